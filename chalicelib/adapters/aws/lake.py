"""The ingest side of the lake: a delivery's pseudonymous signals (its report: reports.py).

    lake bucket   signals/peildatum=<yyyy-mm-dd>/<leverancier>_<levering>.parquet   a delivery's signals

The `peildatum=` partitions are Hive-style so the monthly query prunes by date (lake_scan.py
plans that read), and retention removes a peildatum's signals as a whole. Ingest writes a
delivery's signals batch by batch (a row group each) into a temporary file and puts it only when
the delivery is accepted.
"""

import io
import tempfile
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq

from chalicelib.adapters.aws.objects import delete_prefix

SIGNALS = "signals"  # the folder of every delivery's signals
PARTITION = "peildatum"  # its Hive-style partition column

# Dictionary-encoding the unique columns (pseudonym, regel) only to fall back costs time.
_LOW_CARDINALITY = ["levering", "leverancier", "gemeente", "wijk", "buurt", "signaaltype"]


def signals_key(peildatum: str, leverancier: str, levering: str) -> str:
    """Hive-style partition by peildatum, so the monthly query prunes by date."""
    return f"{SIGNALS}/{PARTITION}={peildatum}/{leverancier}_{levering}.parquet"


class S3Lake:
    def __init__(self, s3, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def write_signals(self, signals: pa.Table, *, peildatum: str, leverancier: str, levering: str) -> str:
        key = signals_key(peildatum, leverancier, levering)
        body = io.BytesIO()
        pq.write_table(signals.drop_columns(["peildatum"]), body, compression="zstd", use_dictionary=_LOW_CARDINALITY)
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=body.getvalue(), ContentType="application/vnd.apache.parquet"
        )
        return key

    def stage_signals(self, *, leverancier: str, levering: str) -> "StagedParquet":
        return StagedParquet(self._s3, self._bucket, leverancier, levering)

    def peildatums(self) -> list[date]:
        """The peildatum of every partition of signals in the lake (SignalPartitions)."""
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=f"{SIGNALS}/{PARTITION}=", Delimiter="/"
        )
        found = []
        for page in pages:
            for common in page.get("CommonPrefixes", []):
                try:
                    found.append(date.fromisoformat(common["Prefix"].rstrip("/").split("=", 1)[1]))
                except ValueError:
                    continue  # not a partition this module wrote
        return sorted(found)

    def delete_peildatum(self, peildatum: date) -> int:
        return delete_prefix(self._s3, self._bucket, f"{SIGNALS}/{PARTITION}={peildatum.isoformat()}/")


class StagedParquet:
    """One delivery's signals as a Parquet file in a temporary file, a row group per batch."""

    def __init__(self, s3, bucket: str, leverancier: str, levering: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._leverancier = leverancier
        self._levering = levering
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by commit or discard)
        self._writer: pq.ParquetWriter | None = None

    def write(self, signals: pa.Table) -> None:
        table = signals.drop_columns(["peildatum"])
        if self._writer is None:
            self._writer = pq.ParquetWriter(
                self._file, table.schema, compression="zstd", use_dictionary=_LOW_CARDINALITY
            )
        self._writer.write_table(table)

    def commit(self, *, peildatum: str) -> str:
        if self._writer is None:
            raise ValueError("nothing written: write at least the (empty) signals of the delivery")
        self._writer.close()
        self._file.seek(0)
        key = signals_key(peildatum, self._leverancier, self._levering)
        try:
            self._s3.put_object(
                Bucket=self._bucket, Key=key, Body=self._file, ContentType="application/vnd.apache.parquet"
            )
        finally:
            self._file.close()
        return key

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()  # its finaliser would write to the closed file otherwise
        self._file.close()
