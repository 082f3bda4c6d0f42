"""Match benchmark (quality.md): a lake of N pseudonymised signals through the local query engine.

    python benchmarks/match.py [--signals 10000000] [--seed 7] [--sample 200000] [--threads 2]

The lake (342 gemeenten, 60 suppliers with four or five deliveries each, about half of them
outside the 45-day window or superseded) is generated with numpy and written once through the
real lake writer (S3Lake) into /tmp, cached by N and seed. A run is `scan_signals` + read (only
the partitions in the window; superseded deliveries skipped by their footers), `run_matching` on
DuckDB, and writing the result as Parquet. Bytes read come from the kernel (/proc/self/io rchar).
The baseline is the plain-Python rule of tests/match_reference.py on a sample of whole
households, scaled linearly; the engine's cases for those households must equal its cases. The
last line printed is one JSON object.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.adapters.aws.lake import S3Lake  # noqa: E402
from chalicelib.adapters.aws.lake_scan import scan_signals  # noqa: E402
from chalicelib.adapters.local.duckdb_engine import DuckDbQueryEngine  # noqa: E402
from chalicelib.domain.leveringen import levering_vanaf  # noqa: E402
from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA, match_sql  # noqa: E402
from chalicelib.domain.registry import Convenant, Gemeente, Leverancier, Registry  # noqa: E402
from chalicelib.domain.signals import SIGNAL_SCHEMA  # noqa: E402
from tests.match_reference import Case, reference_cases, run_matching  # noqa: E402

AS_OF = date(2026, 11, 15)
GEMEENTEN = 342
CACHE = Path(tempfile.gettempdir()) / "vindplaats-bench-match"
_EPOCH = date(1970, 1, 1)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)

# (prefix, signaaltype, how many, gemeenten each covers (None: all), relative volume per household)
_SUPPLIER_KINDS = [
    ("water", "Water", 10, 34, 1.0),
    ("energie", "Energie", 8, None, 0.6),
    ("zorg", "Zorg", 8, None, 0.5),
    ("cak", "CAK Eigen bijdrage", 2, None, 0.3),
    ("toeslagen", "Dienst Toeslagen", 2, None, 0.4),
    ("woning", "Huur", 30, 12, 3.0),
]


class _FolderS3:
    """Just enough of an S3 client for S3Lake to write into a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put_object(self, Bucket, Key, Body, ContentType):  # noqa: N803 - boto3's names
        path = self.root / Bucket / Key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Body)


def _hex_keys(raw: np.ndarray) -> pa.StringArray:
    n = raw.shape[0]
    text = np.empty((n, 32), dtype=np.uint8)
    text[:, 0::2] = _HEX[raw >> 4]
    text[:, 1::2] = _HEX[raw & 0x0F]
    offsets = np.arange(0, n * 32 + 1, 32, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))


def _constant(value: object, n: int, type_: pa.DataType) -> pa.Array:
    return pa.nulls(n, type_).fill_null(pa.scalar(value, type_))


def _days(day: date) -> int:
    return (day - _EPOCH).days


class World:
    """The generated country: gemeenten, households, suppliers and their deliveries, deterministic by seed."""

    def __init__(self, signals: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.codes = [f"GM{c:04d}" for c in sorted(rng.choice(np.arange(3, 2000), GEMEENTEN, replace=False))]
        self.households = max(signals // 3, 10 * GEMEENTEN)
        self.suppliers = []
        for prefix, signaaltype, count, span, volume in _SUPPLIER_KINDS:
            for i in range(count):
                if span is None:
                    first, last = 0, GEMEENTEN
                else:
                    first = int(rng.integers(0, GEMEENTEN - span)) if prefix == "woning" else i * span
                    last = min(first + span, GEMEENTEN)
                self.suppliers.append((f"{prefix}-{i + 1}", signaaltype, first, last, volume))
        self.signals = signals

    def household_range(self, first: int, last: int) -> tuple[int, int]:
        return first * self.households // GEMEENTEN, last * self.households // GEMEENTEN

    def deliveries(self) -> list[tuple[str, str, str, date, datetime, int, int, int]]:
        """(leverancier, signaaltype, levering, peildatum, geupload_op, first household, end, rows)."""
        plans = []
        for number, (leverancier, signaaltype, first, last, volume) in enumerate(self.suppliers):
            jitter = number % 6
            peildata = [AS_OF - timedelta(days=d + jitter) for d in (100, 70, 40, 10)]
            uploads = [datetime.combine(p + timedelta(days=2), datetime.min.time(), UTC) for p in peildata]
            if number % 3 == 0:  # a correction of the latest delivery, same peildatum, uploaded later
                peildata.append(peildata[-1])
                uploads.append(uploads[-1] + timedelta(hours=6))
            low, high = self.household_range(first, last)
            for k, (peildatum, upload) in enumerate(zip(peildata, uploads, strict=True)):
                levering = f"L{peildatum:%Y%m%d}{k}"
                plans.append([leverancier, signaaltype, levering, peildatum, upload, low, high, (high - low) * volume])
        weights = np.array([p[7] for p in plans], dtype=np.float64)
        rows = np.floor(weights / weights.sum() * self.signals).astype(np.int64)
        rows[: self.signals - rows.sum()] += 1
        for plan, count in zip(plans, rows, strict=True):
            plan[7] = int(count)
        return [tuple(p) for p in plans]

    def registry(self) -> Registry:
        rng = np.random.default_rng(self.seed + 2)
        gemeenten = []
        for i, code in enumerate(self.codes):
            rule: dict = {}
            if i % 7 == 3:
                rule["min_bedrag"] = 50
            if i % 11 == 5:
                rule["signaaltypen"] = ("Huur", "Water", "Energie")
            if i % 5 == 1:
                rule["venster"] = {"Water": (30, 3650)}
            if i % 13 == 2:
                rule["min_leveranciers"] = 3
            if i % 29 == 4:
                rule["min_leveranciers"] = 1
            gemeenten.append(Gemeente(code=code, naam=f"Gemeente {code}", **rule))
        convenanten = []
        for leverancier, _, first, last, _ in self.suppliers:
            for g in range(first, last):
                draw = rng.random()
                if draw < 0.04:
                    vanaf, tot = date(2025, 1, 1), AS_OF - timedelta(days=1)
                elif draw < 0.07:
                    vanaf, tot = AS_OF + timedelta(days=1), None
                else:
                    vanaf, tot = date(2026, 1, 1), None
                convenanten.append(Convenant(gemeente=self.codes[g], leverancier=leverancier, vanaf=vanaf, tot=tot))
        return Registry(
            gemeenten=tuple(gemeenten),
            leveranciers=tuple(Leverancier(id=s[0], naam=s[0], signaaltype=s[1]) for s in self.suppliers),
            convenanten=tuple(convenanten),
        )


def generate(signals: int, seed: int) -> Path:
    """The lake folder for (signals, seed), generated once and cached; returns its `signals` folder."""
    folder = CACHE / f"n{signals}-s{seed}"
    source = folder / "lake" / "signals"
    if (folder / "complete").exists():
        return source
    shutil.rmtree(folder, ignore_errors=True)
    world = World(signals, seed)
    rng = np.random.default_rng(seed + 1)
    keys = _hex_keys(rng.integers(0, 256, size=(world.households, 16), dtype=np.uint8))
    household_gemeente = np.arange(world.households, dtype=np.int64) * GEMEENTEN // world.households
    wijk_of = household_gemeente * 10 + (np.arange(world.households) * 7919 % 10)
    known = (np.arange(world.households) % 100) != 99  # about 1% of addresses not in the reference
    codes = pa.array(world.codes)
    wijken = pa.array([f"WK{code[2:]}{w:02d}" for code in world.codes for w in range(10)])
    buurten = pa.array([f"BU{code[2:]}{w:02d}01" for code in world.codes for w in range(10)])
    lake = S3Lake(_FolderS3(folder), "lake")
    for leverancier, signaaltype, levering, peildatum, upload, low, high, rows in world.deliveries():
        members = rng.integers(low, high, size=rows)
        mask = pa.array(~known[members])
        gemeente_index = pa.array(household_gemeente[members])
        wijk_index = pa.array(wijk_of[members])
        table = pa.table(
            {
                "huishouden": keys.take(pa.array(members)),
                "levering": _constant(levering, rows, pa.string()),
                "regel": pa.array(np.arange(2, rows + 2, dtype=np.int32)),
                "leverancier": _constant(leverancier, rows, pa.string()),
                "gemeente": pc.if_else(mask, pa.scalar(None, pa.string()), codes.take(gemeente_index)),
                "wijk": pc.if_else(mask, pa.scalar(None, pa.string()), wijken.take(wijk_index)),
                "buurt": pc.if_else(mask, pa.scalar(None, pa.string()), buurten.take(wijk_index)),
                "signaaltype": _constant(signaaltype, rows, pa.string()),
                "bedrag_cent": pa.array(np.clip(rng.lognormal(np.log(30_000), 1.0, rows), 100, 5e6).astype(np.int64)),
                "achterstand_sinds": pa.array(
                    (_days(peildatum) - rng.integers(0, 200, rows)).astype(np.int32), pa.int32()
                ).cast(pa.date32()),
                "peildatum": pa.array(np.full(rows, _days(peildatum), dtype=np.int32), pa.int32()).cast(pa.date32()),
                "crisis": pa.array(rng.random(rows) < 0.01),
                "geupload_op": _constant(upload, rows, SIGNAL_SCHEMA.field("geupload_op").type),
            },
            schema=SIGNAL_SCHEMA,
        )
        lake.write_signals(table, peildatum=peildatum.isoformat(), leverancier=leverancier, levering=levering)
    previous_count = world.households // 50
    previous_members = rng.choice(world.households, previous_count, replace=False)
    previous_days = rng.choice(np.array([30, 61, 92, 182, 183, 200]), previous_count)
    previous = pa.table(
        {
            "huishouden": keys.take(pa.array(previous_members)),
            "gemeente": codes.take(pa.array(household_gemeente[previous_members])),
            "as_of": pa.array((_days(AS_OF) - previous_days).astype(np.int32), pa.int32()).cast(pa.date32()),
        },
        schema=VORIGE_MATCHES_SCHEMA,
    )
    pq.write_table(previous, folder / "vorige_matches.parquet")
    (folder / "complete").write_text(json.dumps({"signals": signals, "seed": seed}))
    return source


def _rchar() -> int:
    try:
        for line in Path("/proc/self/io").read_text().splitlines():
            if line.startswith("rchar:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def _columns_match_sql_reads() -> set[str]:
    tree = sqlglot.parse_one(match_sql(), read="athena")
    aliases = {t.alias_or_name for t in tree.find_all(exp.Table) if t.name == "signals"}
    return {c.name for c in tree.find_all(exp.Column) if c.table in aliases}


def _cases(rows: list[dict]) -> list[Case]:
    grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in rows:
        grouped[(row["gemeente"], row["huishouden"])].append(row)
    return [
        Case(
            gemeente=g,
            huishouden=h,
            wijk=members[0]["wijk"],
            buurt=members[0]["buurt"],
            aantal_leveranciers=members[0]["aantal_leveranciers"],
            totaal_bedrag_cent=members[0]["totaal_bedrag_cent"],
            oudste_achterstand=members[0]["oudste_achterstand"],
            herhaald=members[0]["herhaald"],
            crisis=members[0]["case_crisis"],
            signals=tuple(
                (
                    m["leverancier"],
                    m["levering"],
                    m["regel"],
                    m["signaaltype"],
                    m["bedrag_cent"],
                    m["achterstand_sinds"],
                    m["peildatum"],
                    m["crisis"],
                )
                for m in members
            ),
        )
        for (g, h), members in grouped.items()
    ]


def run(source: Path, registry: Registry, previous: pa.Table, out: Path, threads: int, skip: bool) -> dict:
    filesystem = pafs.LocalFileSystem()
    started = time.perf_counter()
    before = _rchar()
    scan = scan_signals(str(source), levering_vanaf(AS_OF), AS_OF, filesystem=filesystem, skip_superseded=skip)
    signals = scan.read()
    bytes_read = _rchar() - before
    read_done = time.perf_counter()
    result = run_matching(registry, AS_OF, signals, previous, DuckDbQueryEngine(threads=threads))
    match_done = time.perf_counter()
    pq.write_table(result, out, compression="zstd")
    finished = time.perf_counter()
    chosen = [fragment.path for fragment in scan.dataset.get_fragments()]
    return {
        "scan": scan,
        "signals": signals,
        "result": result,
        "bytes_read": bytes_read,
        "bytes_of_files_read": sum(info.size for info in filesystem.get_file_info(chosen)),
        "read_seconds": read_done - started,
        "match_seconds": match_done - read_done,
        "write_seconds": finished - match_done,
        "seconds": finished - started,
    }


def baseline(registry: Registry, signals: pa.Table, previous: pa.Table, sample: int) -> dict:
    """The plain-Python rule on whole households whose key sorts below a threshold, timed and checked."""
    fraction = min(1.0, sample / max(signals.num_rows, 1))
    threshold = f"{min(int(fraction * 16**8), 16**8 - 1):08x}"
    started = time.perf_counter()
    rows = signals.filter(pc.less(signals["huishouden"], threshold)).to_pylist()
    earlier = previous.filter(pc.less(previous["huishouden"], threshold)).to_pylist()
    cases = reference_cases(registry, AS_OF, rows, earlier)
    seconds = time.perf_counter() - started
    return {"threshold": threshold, "rows": len(rows), "seconds": seconds, "cases": cases}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False
    )
    parser.add_argument("--signals", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sample", type=int, default=200_000, help="rows for the plain-Python baseline")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    generating = time.perf_counter()
    source = generate(args.signals, args.seed)
    generate_seconds = time.perf_counter() - generating
    registry = World(args.signals, args.seed).registry()
    previous = pq.read_table(source.parent.parent / "vorige_matches.parquet")
    lake_bytes = sum(p.stat().st_size for p in source.rglob("*.parquet"))

    with tempfile.TemporaryDirectory() as scratch:
        full = run(source, registry, previous, Path(scratch) / "all.parquet", args.threads, skip=False)
        measured = run(source, registry, previous, Path(scratch) / "cases.parquet", args.threads, skip=True)
    assert measured["result"].equals(full["result"]), "skipping superseded files changed the result"
    scan, result = measured["scan"], measured["result"]

    base = baseline(registry, measured["signals"], previous, args.sample)
    sampled = result.filter(pc.less(result["huishouden"], base["threshold"]))
    sample_agrees = _cases(sampled.to_pylist()) == base["cases"]
    scale = measured["signals"].num_rows / max(base["rows"], 1)
    baseline_seconds = base["seconds"] * scale

    cases = result.group_by(["gemeente", "huishouden"]).aggregate([]).num_rows
    case_table = result.group_by(["gemeente", "huishouden"]).aggregate(
        [("herhaald", "max"), ("case_crisis", "max"), ("aantal_leveranciers", "max")]
    )
    columns_needed = _columns_match_sql_reads()
    figures = {
        "signals": args.signals,
        "gemeenten": GEMEENTEN,
        "leveranciers": len(registry.leveranciers),
        "convenanten": len(registry.convenanten),
        "threads": args.threads,
        "seconds": round(measured["seconds"], 3),
        "read_seconds": round(measured["read_seconds"], 3),
        "match_seconds": round(measured["match_seconds"], 3),
        "write_seconds": round(measured["write_seconds"], 3),
        "seconds_reading_superseded_too": round(full["seconds"], 3),
        "rows_read": measured["signals"].num_rows,
        "bytes_read": measured["bytes_read"],
        "bytes_planned": scan.bytes_to_read,
        "bytes_in_window": scan.bytes_in_window,
        "bytes_in_lake": lake_bytes,
        "partitions_in_lake": scan.partitions_total,
        "partitions_read": scan.partitions_in_window,
        "files_in_window": scan.files_in_window,
        "files_read": scan.files_read,
        "columns_read": sorted(SIGNAL_SCHEMA.names),
        "only_needed_columns_read": set(SIGNAL_SCHEMA.names) == columns_needed,
        # Footers of superseded files in the window are read too (pyarrow reads the last 64 KiB).
        "only_needed_partitions_read": measured["bytes_read"] <= scan.bytes_in_window + (1 << 20),
        "bytes_of_files_read": measured["bytes_of_files_read"],
        "matches": cases,
        "match_rows": result.num_rows,
        "herhaald": sum(case_table["herhaald_max"].to_pylist()),
        "crisis": sum(case_table["case_crisis_max"].to_pylist()),
        "baseline_sample_rows": base["rows"],
        "baseline_sample_seconds": round(base["seconds"], 3),
        "baseline_seconds": round(baseline_seconds, 3),
        "speedup_vs_baseline": round(baseline_seconds / measured["match_seconds"], 1),
        "speedup_end_to_end": round(
            (measured["read_seconds"] + baseline_seconds + measured["write_seconds"]) / measured["seconds"], 1
        ),
        "sample_agrees_with_baseline": sample_agrees,
        "generate_seconds": round(generate_seconds, 1),
        "target_seconds": 10,
    }
    print(
        f"lake: {args.signals:,} signals, {scan.partitions_total} partitions, {lake_bytes / 1e6:,.0f} MB "
        f"in {source} (generated or reused in {generate_seconds:.1f} s)"
    )
    print(
        f"read: {scan.partitions_in_window} partitions in the window, {scan.files_read} of "
        f"{scan.files_in_window} files (superseded skipped), {figures['rows_read']:,} rows, "
        f"{measured['bytes_read'] / 1e6:,.0f} MB read of {lake_bytes / 1e6:,.0f} MB, "
        f"{measured['read_seconds']:.2f} s"
    )
    print(
        f"match: {cases:,} cases ({result.num_rows:,} signal rows) in {measured['match_seconds']:.2f} s "
        f"on {args.threads} threads; write {measured['write_seconds']:.2f} s; total {measured['seconds']:.2f} s "
        f"(target 10 s; {full['seconds']:.2f} s when superseded files are read too)"
    )
    print(
        f"baseline: plain Python on {base['rows']:,} rows took {base['seconds']:.2f} s, about "
        f"{baseline_seconds:.1f} s for all; DuckDB {figures['speedup_vs_baseline']}x faster on the rule; "
        f"sample agrees: {sample_agrees}"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
