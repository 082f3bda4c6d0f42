"""Ingest benchmark (quality.md): one generated delivery through the whole in-process pipeline.

    python benchmarks/ingest.py [--rows 1000000] [--repeat 3] [--sample 50000]

The ingest service itself (chalicelib/services/ingest.py, with S3 and KMS faked: the file read in
the upload bucket's 1 MiB chunks, the staged objects written to temporary files) streams the file through
validation, normalisation, reference lookup, pseudonymisation, vault encryption and Parquet
writing, batch by batch, on one core (pinned, pyarrow single-threaded), as a 1,769 MB Lambda has.
Above delivery-format.md's 2,000,000 rows (`--rows 5000000`) its limits are lifted, to show that
memory does not grow with the file. In the
same run it measures the floor (single-threaded `pyarrow.csv.read_csv` of the same file) and a
naive baseline (csv module + a pydantic model per row + `hmac.digest` per row) on a sample.
Each measurement runs in a fresh interpreter, so peak RSS belongs to that work alone. The last
line printed is one JSON object.
"""

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.corpus.measured import CountingS3, FileUploads, peak_rss_mb  # noqa: E402

PEILDATUM = date(2026, 11, 1)
HEADER = (
    "klantnummer;postcode;huisnummer;huisletter;huisnummertoevoeging;bedrag;achterstand_sinds;peildatum;"
    "signaaltype;crisissignaal;voorletters;tussenvoegsel;achternaam;geboortedatum;straat;woonplaats;"
    "telefoon;email;bsn"
)
_ACHTERNAMEN = [
    "Jansen",
    "Vries",
    "Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Boer",
    "Mulder",
    "Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Leeuwen",
    "Dekker",
    "Brouwer",
    "Wit",
    "Dijkstra",
    "Smits",
    "Graaf",
    "Linden",
    "Kok",
    "Jacobs",
    "Haan",
    "Vermeulen",
    "Heuvel",
    "Veen",
    "Broek",
    "Bruijn",
    "Yilmaz",
    "El Amrani",
    "Kaya",
    "Nguyen",
    "Schouten",
    "Willems",
    "Hoekstra",
    "Koster",
    "Prins",
    "Sanders",
]
_TUSSENVOEGSELS = ["", "", "", "van", "de", "van der", "van den", "van de", "ter", "in 't"]
_STRATEN = [
    "Dorpsstraat",
    "Kerkstraat",
    "Schoolstraat",
    "Molenweg",
    "Stationsweg",
    "Julianastraat",
    "Beatrixlaan",
    "Burgemeester Weertsstraat",
    "Van Oldenbarneveltstraat",
    "Koningin Wilhelminalaan",
    "Sonsbeekweg",
    "Graafseweg",
    "Hertogstraat",
    "Vughterweg",
    "Oranjesingel",
    "Kastanjelaan",
    "Prins Hendrikstraat",
]
_PLAATSEN = ["Arnhem", "Nijmegen", "'s-Hertogenbosch", "Zwolle", "Leeuwarden", "Velp", "Rosmalen", "Lent"]
_DOMEINEN = ["gmail.com", "hotmail.com", "outlook.com", "ziggo.nl", "kpnmail.nl", "live.nl", "planet.nl"]


def _bsn(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=False))
        last = total % 11
        if last < 10:
            return "".join(map(str, digits)) + str(last)


def generate(path: Path, rows: int, seed: int) -> tuple[Path, Path]:
    """A realistic health insurer's delivery (CSV) and a reference covering about 95% of it.

    One supplier's system writes one format: ISO dates and Dutch decimal commas throughout,
    every column of delivery-format.md; about 5% of the addresses are written messily and
    about 1% of the rows are invalid.
    """
    rng = random.Random(seed)
    letters = "ABCDEFGHJKLMNPRTUVWXYZ"
    postcodes = sorted(
        {f"{rng.randrange(1000, 10000)}{rng.choice(letters)}{rng.choice(letters)}" for _ in range(max(rows // 8, 10))}
    )
    reference = path.with_suffix(".adressen.csv")
    with reference.open("w", encoding="utf-8") as ref:
        ref.write("postcode,huisnummer,gemeentecode,wijkcode,wijknaam,buurtcode,buurtnaam\n")
        for i, postcode in enumerate(postcodes):
            if i % 20 == 19:
                continue
            gemeente = 200 + i % 342
            ref.write(
                f"{postcode},,GM{gemeente:04d},WK{gemeente:04d}{i % 10:02d},Wijk {i % 10},"
                f"BU{gemeente:04d}{i % 10:02d}{i % 7:02d},Buurt {i % 7}\n"
            )
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for i in range(rows):
            postcode = rng.choice(postcodes)
            nummer = rng.randrange(1, 300)
            letter, toevoeging, huisnummer = "", "", str(nummer)
            if rng.random() < 0.05:
                postcode = f"{postcode[:4]} {postcode[4:].lower()}"
                huisnummer = rng.choice([f"{nummer}-a", f"{nummer} B", f"{nummer}/2", f"{nummer} bis", f"{nummer}A-1"])
            elif rng.random() < 0.1:
                letter = rng.choice("ABC")
            elif rng.random() < 0.05:
                toevoeging = rng.choice(["1", "2", "HS", "BIS"])
            euros, cents = rng.randrange(5, 5000), rng.randrange(100)
            bedrag = f"{euros},{cents:02d}"
            sinds = (PEILDATUM - timedelta(days=rng.randrange(1, 200))).isoformat()
            if rng.random() < 0.01:
                broken = rng.randrange(3)
                if broken == 0:
                    postcode = "0000XX"
                elif broken == 1:
                    bedrag = "onbekend"
                else:
                    sinds = (PEILDATUM + timedelta(days=3)).isoformat()
            geboren = (date(1940, 1, 1) + timedelta(days=rng.randrange(0, 25000))).isoformat()
            naam = rng.choice(_ACHTERNAMEN)
            voorletters = ".".join(rng.sample("ABCDEFGHJKLMNPRSTW", rng.randrange(1, 4))) + "."
            email = (
                f"{voorletters[0].lower()}.{naam.lower().replace(' ', '')}{rng.randrange(100)}@{rng.choice(_DOMEINEN)}"
            )
            crisis = "ja" if rng.random() < 0.02 else "nee"
            out.write(
                f"ZK{i:010d};{postcode};{huisnummer};{letter};{toevoeging};{bedrag};{sinds};{PEILDATUM.isoformat()};"
                f"Zorg;{crisis};{voorletters};{rng.choice(_TUSSENVOEGSELS)};{naam};{geboren};{rng.choice(_STRATEN)};"
                f"{rng.choice(_PLAATSEN)};06-{rng.randrange(10**7, 10**8)};{email};{_bsn(rng)}\n"
            )
    return path, reference


def _one_core() -> None:
    import pyarrow as pa

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)


class _FakeKms:
    """A data key without a network: the benchmark measures the encryption, not KMS's latency."""

    def generate_data_key(self, **_: object) -> dict:
        return {"Plaintext": os.urandom(32), "CiphertextBlob": os.urandom(184)}


class _Timed:
    """Wraps an object so that the time spent in its methods adds up under one stage name."""

    def __init__(self, inner: object, stages: dict[str, float], name: str) -> None:
        self._inner, self._stages, self._name = inner, stages, name

    def __getattr__(self, attribute: str):
        method = getattr(self._inner, attribute)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self._stages[self._name] = self._stages.get(self._name, 0.0) + time.perf_counter() - started

        return timed


def measure_pipeline(delivery: Path, reference_csv: Path, rows: int) -> dict:
    """The real ingest service (chalicelib/services/ingest.py) on the file, with S3 and KMS faked."""
    _one_core()
    from types import SimpleNamespace

    from chalicelib.adapters.aws.lake import S3Lake
    from chalicelib.adapters.aws.vault import KmsVault
    from chalicelib.domain.delivery import DEFAULT_LIMITS, Limits
    from chalicelib.domain.reference import parse_reference_csv
    from chalicelib.domain.registry import Leverancier
    from chalicelib.domain.signals import Pseudonymiser
    from chalicelib.services.ingest import IngestDeps, Upload, ingest_upload

    reference = parse_reference_csv(reference_csv.read_bytes())
    supplier = Leverancier(id="bench-zorg", naam="bench-zorg", signaaltype="Zorg")
    s3 = CountingS3()
    stages: dict[str, float] = {}
    lake, vault = S3Lake(s3, "lake"), KmsVault(s3, _FakeKms(), "vault", "key")
    reports: list = []
    deps = IngestDeps(
        uploads=FileUploads(delivery),
        lake=SimpleNamespace(stage_signals=lambda **kw: _Timed(lake.stage_signals(**kw), stages, "parquet")),  # type: ignore[arg-type]
        reports=SimpleNamespace(write=reports.append, read=lambda *_: None),  # type: ignore[arg-type]
        vault=SimpleNamespace(stage=lambda *a: _Timed(vault.stage(*a), stages, "vault")),  # type: ignore[arg-type]
        registry=SimpleNamespace(registry=lambda: SimpleNamespace(leverancier=lambda _: supplier)),  # type: ignore[arg-type]
        reference=SimpleNamespace(reference=lambda: reference),  # type: ignore[arg-type]
        pseudonymiser=_Timed(Pseudonymiser(os.urandom(64)), stages, "pseudonymise"),  # type: ignore[arg-type]
    )
    # Beyond delivery-format.md's 2,000,000 rows and 512 MiB only to show that memory stays flat.
    lifted = rows > DEFAULT_LIMITS.rows or delivery.stat().st_size > DEFAULT_LIMITS.bytes
    limits = Limits(rows=max(rows, DEFAULT_LIMITS.rows), bytes=max(delivery.stat().st_size, DEFAULT_LIMITS.bytes))
    started, cpu = time.perf_counter(), _cpu()
    report = ingest_upload(
        Upload("incoming/bench-zorg/20261101T090000000000-bench/levering.csv", datetime(2026, 11, 1, 9, tzinfo=UTC)),
        deps,
        upload_date=PEILDATUM,
        today=PEILDATUM,
        limits=limits,
    )
    seconds, cpu_seconds = time.perf_counter() - started, _cpu() - cpu
    if report.status.value == "rejected":
        raise AssertionError(f"the benchmark delivery was rejected: {report.rejection}")
    stages["read_validate_lookup"] = seconds - sum(stages.values())
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "stages": {name: round(value, 3) for name, value in stages.items()},
        "status": report.status.value,
        "read": report.counts.read,
        "accepted": report.counts.accepted,
        "rejected": report.counts.rejected,
        "not_found": report.warnings_per_code.get("adres_niet_gevonden", 0),
        "report_bytes": len(report.model_dump_json()),
        "lake_bytes": sum(size for key, size in s3.sizes.items() if key.startswith("signals/")),
        "vault_bytes": sum(size for key, size in s3.sizes.items() if key.startswith("vault/")),
        "limits_lifted": lifted,
        "peak_rss_mb": peak_rss_mb(),
    }


def measure_floor(delivery: Path) -> dict:
    _one_core()
    import pyarrow as pa
    import pyarrow.csv as pacsv

    started, cpu = time.perf_counter(), _cpu()
    table = pacsv.read_csv(
        pa.BufferReader(delivery.read_bytes()),
        read_options=pacsv.ReadOptions(use_threads=False),
        parse_options=pacsv.ParseOptions(delimiter=";"),
    )
    return {"seconds": time.perf_counter() - started, "cpu_seconds": _cpu() - cpu, "rows": table.num_rows}


def measure_naive(delivery: Path, sample: int) -> dict:
    """csv module + a pydantic model per row + hmac.digest per row: the obvious implementation.

    The model checks what the pipeline checks (delivery-format.md), written the plain way.
    """
    _one_core()
    import csv
    import hmac
    import re
    from datetime import date
    from decimal import Decimal

    from pydantic import BaseModel, field_validator

    postcode_form = re.compile(r"[1-9][0-9]{3}[A-Z]{2}")
    huisnummer_form = re.compile(r"(\d+)[ /-]*([A-Za-z0-9 /-]*)")

    class Row(BaseModel):
        klantnummer: str
        postcode: str
        huisnummer: str
        huisletter: str = ""
        huisnummertoevoeging: str = ""
        bedrag: Decimal
        achterstand_sinds: date
        peildatum: date
        signaaltype: str
        crisissignaal: bool
        voorletters: str = ""
        tussenvoegsel: str = ""
        achternaam: str = ""
        geboortedatum: date | None = None
        straat: str = ""
        woonplaats: str = ""
        telefoon: str = ""
        email: str = ""
        bsn: str = ""

        @field_validator("postcode")
        @classmethod
        def _postcode(cls, value: str) -> str:
            value = value.replace(" ", "").upper()
            if not postcode_form.fullmatch(value) or value[4:] in ("SA", "SD", "SS"):
                raise ValueError("postcode")
            return value

        @field_validator("huisnummer")
        @classmethod
        def _huisnummer(cls, value: str) -> str:
            if not huisnummer_form.fullmatch(value.strip()):
                raise ValueError("huisnummer")
            return value

        @field_validator("bedrag", mode="before")
        @classmethod
        def _bedrag(cls, value: str) -> Decimal:
            text = value.replace("€", "").strip()
            if "," in text and "." in text:
                text = (
                    text.replace(".", "").replace(",", ".")
                    if text.rfind(",") > text.rfind(".")
                    else text.replace(",", "")
                )
            else:
                text = text.replace(",", ".")
            try:
                amount = Decimal(text)
            except ArithmeticError as exc:
                raise ValueError("bedrag") from exc
            if not 0 < amount < 1_000_000 or amount != amount.quantize(Decimal("0.01")):
                raise ValueError("bedrag")
            return amount

        @field_validator("crisissignaal", mode="before")
        @classmethod
        def _crisis(cls, value: str) -> bool:
            return value.strip().lower() in ("ja", "true", "1")

        @field_validator("email")
        @classmethod
        def _email(cls, value: str) -> str:
            if value and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
                raise ValueError("email")
            return value

        @field_validator("bsn")
        @classmethod
        def _bsn(cls, value: str) -> str:
            weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
            if value and (len(value) != 9 or sum(int(d) * w for d, w in zip(value, weights, strict=False)) % 11):
                raise ValueError("bsn")
            return value

    key = os.urandom(64)
    text = delivery.read_text(encoding="utf-8").splitlines()[: sample + 1]
    started, cpu = time.perf_counter(), _cpu()
    seen: set[str] = set()
    out = []
    for record in csv.DictReader(io.StringIO("\n".join(text)), delimiter=";"):
        try:
            row = Row.model_validate(record)
        except ValueError:
            continue
        if row.klantnummer in seen or row.achterstand_sinds > row.peildatum:
            continue
        seen.add(row.klantnummer)
        address = f"{row.postcode}|{row.huisnummer}|{row.huisletter}|{row.huisnummertoevoeging}"
        out.append((hmac.digest(key, address.encode(), "sha256"), row))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "cpu_seconds": _cpu() - cpu, "rows": len(text) - 1}


def _cpu() -> float:
    """This process's CPU seconds: on a machine shared with other work, wall time also counts the
    waiting for the core, CPU time only the work."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child(kind: str, *args: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", kind, *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sample", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "pipeline":
            print(json.dumps(measure_pipeline(Path(rest[0]), Path(rest[1]), int(rest[2]))))
        elif kind == "floor":
            print(json.dumps(measure_floor(Path(rest[0]))))
        else:
            print(json.dumps(measure_naive(Path(rest[0]), int(rest[1]))))
        return

    folder = Path(tempfile.gettempdir()) / "vindplaats-bench"
    folder.mkdir(exist_ok=True)
    delivery = folder / f"levering-{args.rows}-{args.seed}.csv"
    reference = delivery.with_suffix(".adressen.csv")
    if not delivery.exists() or not reference.exists():
        print(f"generating {args.rows:,} rows in {delivery} ...", flush=True)
        generate(delivery, args.rows, args.seed)
    pipeline = [_child("pipeline", str(delivery), str(reference), str(args.rows)) for _ in range(args.repeat)]
    floor = [_child("floor", str(delivery)) for _ in range(args.repeat)]
    naive = _child("naive", str(delivery), str(min(args.sample, args.rows)))
    best = min(pipeline, key=lambda run: run["seconds"])
    floor_seconds = min(run["seconds"] for run in floor)
    rows_per_s = args.rows / best["seconds"]
    naive_rows_per_s = naive["rows"] / naive["seconds"]
    best_cpu = min(run["cpu_seconds"] for run in pipeline)
    floor_cpu = min(run["cpu_seconds"] for run in floor)
    naive_cpu_rows_per_s = naive["rows"] / naive["cpu_seconds"]
    result = {
        "rows": args.rows,
        "cpu_seconds": round(best_cpu, 3),
        "rows_per_cpu_s": round(args.rows / best_cpu),
        "cpu_ratio_vs_floor": round(best_cpu / floor_cpu, 2),
        "cpu_speedup_vs_naive": round(args.rows / best_cpu / naive_cpu_rows_per_s, 2),
        "seconds": round(best["seconds"], 3),
        "rows_per_s": round(rows_per_s),
        "floor_seconds": round(floor_seconds, 3),
        "ratio_vs_floor": round(best["seconds"] / floor_seconds, 2),
        "naive_rows_per_s": round(naive_rows_per_s),
        "speedup_vs_naive": round(rows_per_s / naive_rows_per_s, 2),
        "peak_rss_mb": round(max(run["peak_rss_mb"] for run in pipeline), 1),
        "runs_seconds": [round(run["seconds"], 3) for run in pipeline],
        "floor_runs_seconds": [round(run["seconds"], 3) for run in floor],
        "stages": best["stages"],
        "file_mb": round(delivery.stat().st_size / 1e6, 1),
        "accepted": best["accepted"],
        "rejected": best["rejected"],
        "status": best["status"],
        "address_not_found": best["not_found"],
        "lake_bytes": best["lake_bytes"],
        "vault_bytes": best["vault_bytes"],
        "report_bytes": best["report_bytes"],
        "limits_lifted": best["limits_lifted"],
        "one_core": True,
    }
    print(
        f"ingest: {args.rows:,} rows in {result['seconds']} s = {result['rows_per_s']:,} rows/s "
        f"({result['ratio_vs_floor']}x the read_csv floor of {result['floor_seconds']} s; "
        f"{result['speedup_vs_naive']}x the naive {result['naive_rows_per_s']:,} rows/s); "
        f"peak RSS {result['peak_rss_mb']} MB; {result['accepted']:,} accepted, {result['rejected']:,} rejected; "
        f"in CPU time {result['rows_per_cpu_s']:,} rows/s ({result['cpu_ratio_vs_floor']}x the floor, "
        f"{result['cpu_speedup_vs_naive']}x the naive)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
