"""Planning a run's read of the lake: only the window's peildatum partitions, and of those only
the files that can hold each supplier's latest delivery, decided from partition names and
Parquet footers. Used by the workflow in AWS (publish) and by the local query engine; it needs
pyarrow, not DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from chalicelib.adapters.aws.lake import PARTITION, SIGNALS
from chalicelib.domain.matching import DeliveryFile
from chalicelib.domain.signals import SIGNAL_SCHEMA

_PARTITIONING = ds.partitioning(pa.schema([(PARTITION, pa.date32())]), flavor="hive")
_FILE_COLUMNS = tuple(name for name in SIGNAL_SCHEMA.names if name != PARTITION)


@dataclass(frozen=True)
class SignalScan:
    """The lake files a run reads, chosen from partition names and Parquet footers alone."""

    dataset: ds.Dataset
    partitions_total: int
    partitions_in_window: int
    files_in_window: int
    files_superseded: int
    bytes_in_window: int
    bytes_to_read: int  # the chosen files' column chunks and footers

    @property
    def files_read(self) -> int:
        return self.files_in_window - self.files_superseded

    def read(self) -> pa.Table:
        return self.dataset.to_table(columns=list(SIGNAL_SCHEMA.names))


def scan_signals(
    source: str,
    levering_vanaf: date,
    as_of: date,
    *,
    filesystem: pafs.FileSystem | None = None,
    skip_superseded: bool = True,
) -> SignalScan:
    """Plan reading the signals with peildatum in [levering_vanaf, as_of] under `source`.

    `source` is the lake's `signals` folder (`/path/lake/signals`, or `bucket/signals` on an
    S3FileSystem). Only partition folders whose date is in the window are listed. With
    `skip_superseded`, a file is left out when its footer statistics prove that every delivery
    in it loses to another file of the same supplier on (peildatum, geupload_op, levering), the
    order match.sql picks the latest delivery by; match.sql still applies the rule, so this only
    saves bytes. It relies on what ingest guarantees: one supplier per file and one upload time
    per delivery. Files without usable statistics are always read.
    """
    filesystem = filesystem or pafs.LocalFileSystem()
    root = source.rstrip("/")
    partitions = [
        info
        for info in filesystem.get_file_info(pafs.FileSelector(root, allow_not_found=True))
        if info.type == pafs.FileType.Directory and info.base_name.startswith(PARTITION + "=")
    ]
    in_window = [info for info in partitions if _in_window(info.base_name, levering_vanaf, as_of)]
    files = [
        info
        for partition in in_window
        for info in filesystem.get_file_info(pafs.FileSelector(partition.path))
        if info.type == pafs.FileType.File and info.base_name.endswith(".parquet")
    ]
    dataset = ds.dataset(
        [info.path for info in files],
        schema=SIGNAL_SCHEMA,
        format="parquet",
        filesystem=filesystem,
        partitioning=_PARTITIONING,
        partition_base_dir=root,
    )
    fragments = list(dataset.get_fragments())
    for fragment in fragments:
        fragment.ensure_complete_metadata()
    chosen = _without_superseded(fragments) if skip_superseded else fragments
    return SignalScan(
        dataset=ds.FileSystemDataset(chosen, SIGNAL_SCHEMA, dataset.format, filesystem),
        partitions_total=len(partitions),
        partitions_in_window=len(in_window),
        files_in_window=len(files),
        files_superseded=len(fragments) - len(chosen),
        bytes_in_window=sum(info.size or 0 for info in files),
        bytes_to_read=sum(_bytes_to_read(fragment.metadata) for fragment in chosen),
    )


def read_signals(
    source: str,
    levering_vanaf: date,
    as_of: date,
    *,
    filesystem: pafs.FileSystem | None = None,
    skip_superseded: bool = True,
) -> pa.Table:
    """The lake's signals (SIGNAL_SCHEMA) a run for `as_of` needs; see `scan_signals`."""
    return scan_signals(source, levering_vanaf, as_of, filesystem=filesystem, skip_superseded=skip_superseded).read()


def _in_window(folder: str, low: date, high: date) -> bool:
    try:
        day = date.fromisoformat(folder.partition("=")[2])
    except ValueError:
        return False
    return low <= day <= high


def _without_superseded(fragments: list[ds.ParquetFileFragment]) -> list[ds.ParquetFileFragment]:
    bounds = [_delivery_bounds(fragment) for fragment in fragments]
    best: dict[str, tuple] = {}
    for bound in bounds:
        if bound is not None:
            leverancier, low, _ = bound
            if leverancier not in best or low > best[leverancier]:
                best[leverancier] = low
    return [
        fragment
        for fragment, bound in zip(fragments, bounds, strict=True)
        if bound is None or not bound[2] < best[bound[0]]
    ]


def _delivery_bounds(fragment: ds.ParquetFileFragment) -> tuple[str, tuple, tuple] | None:
    """(leverancier, lowest key, highest key) of the deliveries in the file, by its footer."""
    metadata = fragment.metadata
    peildatum = ds.get_partition_keys(fragment.partition_expression).get(PARTITION)
    if peildatum is None or metadata.num_rows == 0:
        return None
    names = metadata.schema.names
    lows: dict[str, object] = {}
    highs: dict[str, object] = {}
    for column in ("leverancier", "levering", "geupload_op"):
        if column not in names:
            return None
        index = names.index(column)
        for group in range(metadata.num_row_groups):
            statistics = metadata.row_group(group).column(index).statistics
            if (
                statistics is None
                or not statistics.has_min_max
                or not statistics.has_null_count
                or statistics.null_count
            ):
                return None
            lows[column] = min(lows.get(column, statistics.min), statistics.min)
            highs[column] = max(highs.get(column, statistics.max), statistics.max)
    if lows["leverancier"] != highs["leverancier"]:
        return None
    return (
        str(lows["leverancier"]),
        (peildatum, lows["geupload_op"], lows["levering"]),
        (peildatum, highs["geupload_op"], highs["levering"]),
    )


def _bytes_to_read(metadata) -> int:
    names = metadata.schema.names
    wanted = [names.index(column) for column in _FILE_COLUMNS if column in names]
    chunks = sum(
        metadata.row_group(group).column(index).total_compressed_size
        for group in range(metadata.num_row_groups)
        for index in wanted
    )
    return chunks + metadata.serialized_size + 8  # footer length and magic


def deliveries_in_window(
    source: str, levering_vanaf: date, as_of: date, *, filesystem: pafs.FileSystem | None = None
) -> list[DeliveryFile]:
    """Every delivery with peildatum in [levering_vanaf, as_of], marking the one per supplier
    that match.sql reads (latest by peildatum, upload time, levering), from footers alone."""
    scan = scan_signals(source, levering_vanaf, as_of, filesystem=filesystem, skip_superseded=False)
    found: list[tuple[str, str, date, tuple]] = []
    for fragment in scan.dataset.get_fragments():
        bound = _delivery_bounds(fragment)
        if bound is None:
            continue
        leverancier, _, high = bound
        found.append((leverancier, str(high[2]), high[0], high))
    best: dict[str, tuple] = {}
    for leverancier, _, _, key in found:
        if leverancier not in best or key > best[leverancier]:
            best[leverancier] = key
    return [
        DeliveryFile(leverancier, levering, peildatum, latest=key == best[leverancier])
        for leverancier, levering, peildatum, key in found
    ]


class S3SignalFiles:
    """The lake's signals files (signals/peildatum=<date>/...) as the run's window sees them."""

    def __init__(self, lake_bucket: str, filesystem: pafs.FileSystem) -> None:
        self._source = f"{lake_bucket}/{SIGNALS}"
        self._filesystem = filesystem

    def in_window(self, first: date, last: date) -> list[DeliveryFile]:
        return deliveries_in_window(self._source, first, last, filesystem=self._filesystem)
