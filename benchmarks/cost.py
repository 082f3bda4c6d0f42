"""Cost benchmark (quality.md): the measured figures turned into a monthly AWS bill at national scale.

    python benchmarks/cost.py [--gemeenten 342] [--signals 100000] [--users 3000] [--measured-dir DIR]

Measures first, in this run, with the other benchmarks at small sizes (each as a subprocess, its
last JSON line read): `ingest.py --rows 200000` (rows/s on one core), `e2e.py --repeat 1` (per
file ingest overhead, each workflow task's seconds, the first page) and `api.py --cases 2000`
(p50 per route). With `--measured-dir`, reads `ingest.json`, `e2e.json` and `api.json` there
instead (the last lines of earlier runs).

Then the bill, item by item, from a stated workload (below) and AWS list prices in USD for
eu-central-1 (Frankfurt), as published on aws.amazon.com/<service>/pricing and known on
PRICES_DATE; this machine has no internet, so they are not re-read here: update PRICES when
they change. Free tiers that never expire (Cognito's 10,000 monthly active users, the Glue
catalogue's first million objects) are applied; the 12-month free tier is not. The last line is
one JSON object with `total_eur_per_month` and `per_gemeente_eur_per_month`. Target: ≤ €100 a
month in all.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_EUR = 100.0
PRICES_DATE = "2025-11-01"
EUR_PER_USD = 0.87  # ECB reference rate around PRICES_DATE, rounded

PRICES = {  # USD, eu-central-1
    "lambda_gb_s": 0.0000166667,  # x86, first tier
    "lambda_request": 0.20 / 1e6,
    "api_gateway_request": 3.70 / 1e6,  # REST API, first 333 M
    "s3_gb_month": 0.0245,  # Standard, first 50 TB
    "s3_put": 0.0054 / 1000,
    "s3_get": 0.00043 / 1000,
    "s3_lifecycle_transition": 0.0,  # expirations are free
    "athena_tb_scanned": 5.0,  # with a 10 MB minimum per query
    "sfn_transition": 0.025 / 1000,  # standard workflows
    "dynamodb_write": 0.7625 / 1e6,  # on-demand write request units
    "dynamodb_read": 0.1525 / 1e6,  # on-demand read request units
    "dynamodb_gb_month": 0.306,
    "kms_key_month": 1.0,
    "kms_request": 0.03 / 10_000,
    "secret_month": 0.40,
    "secret_call": 0.05 / 10_000,
    "sqs_request": 0.40 / 1e6,
    "logs_ingest_gb": 0.63,
    "logs_store_gb_month": 0.0324,
    "alarm_month": 0.10,
    "dashboard_month": 3.0,
    "ses_mail": 0.10 / 1000,
    "cognito_mau_over_10k": 0.015,  # Essentials; the first 10,000 MAU are free
}


@dataclass(frozen=True)
class Workload:
    """A month at national scale; the assumptions besides the three given figures are stated here."""

    gemeenten: int
    signals: int
    users: int
    deliveries: int = 400  # files a month: suppliers deliver per region, not per gemeente
    sessions_per_user: int = 12  # a wijkteam member opens the page about three times a week
    requests_per_session: int = 25  # sign-in, list pages, a few cases and contacts, writes
    audited_share: float = 0.3  # requests that write an audit object (detail, contact, writes, refusals)
    writes_per_session: int = 3  # assign, approach, contact attempts, outcomes: DynamoDB writes
    bytes_per_signal_lake: int = 120  # Parquet, pseudonyms only, compressed
    bytes_per_signal_vault: int = 600  # sealed personal fields
    bytes_per_audit_event: int = 600
    log_bytes_per_request: int = 1_500
    alarms: int = 30
    dashboards: int = 1
    kms_keys: int = 2
    secrets: int = 1

    @property
    def api_requests(self) -> int:
        return self.users * self.sessions_per_user * self.requests_per_session


@dataclass(frozen=True)
class Measured:
    ingest_rows_per_s: float
    ingest_overhead_s_per_file: float
    workflow_task_s: dict[str, float]
    api_p50_s: float

    @classmethod
    def of(cls, ingest: dict[str, Any], e2e: dict[str, Any], api: dict[str, Any]) -> Measured:
        rows_per_s = float(ingest["rows_per_s"])
        files = int(e2e["files"])
        per_file = max(0.0, (float(e2e["ingest_s"]) - int(e2e["rows"]) / rows_per_s) / files)
        tasks = {k.removeprefix("task_").removesuffix("_s"): float(v) for k, v in e2e.items() if k.startswith("task_")}
        p50 = [float(v) for k, v in api.items() if k.endswith("_p50_ms") and not k.startswith("export")]
        return cls(rows_per_s, per_file, tasks, statistics.median(p50) / 1000)


MEMORY_GB = {"IngestFunction": 1.769, "ApiFunction": 1.024, "MatchTask": 1.769}


def bill(work: Workload, measured: Measured) -> list[tuple[str, str, float]]:
    """(item, how it is counted, USD a month)."""
    p = PRICES
    items: list[tuple[str, str, float]] = []

    def add(item: str, how: str, usd: float) -> None:
        items.append((item, how, usd))

    ingest_s = work.signals / measured.ingest_rows_per_s + work.deliveries * measured.ingest_overhead_s_per_file
    add(
        "Lambda ingest",
        f"{ingest_s:,.0f} s x {MEMORY_GB['IngestFunction']} GB, {work.deliveries} requests",
        ingest_s * MEMORY_GB["IngestFunction"] * p["lambda_gb_s"] + work.deliveries * p["lambda_request"],
    )
    # The workflow's tasks on the demo scale; at national scale the query is Athena's, and the
    # Lambda tasks read and write per gemeente: scale them by gemeenten / 3 (the demo has three).
    scale = work.gemeenten / 3
    task_s = sum(measured.workflow_task_s.values()) * scale
    add(
        "Lambda workflow tasks",
        f"{task_s:,.0f} s x {MEMORY_GB['MatchTask']} GB (demo tasks x {scale:.0f})",
        task_s * MEMORY_GB["MatchTask"] * p["lambda_gb_s"] + len(measured.workflow_task_s) * p["lambda_request"],
    )
    api_s = work.api_requests * measured.api_p50_s
    add(
        "Lambda API",
        f"{work.api_requests:,} requests x {measured.api_p50_s * 1000:.0f} ms x {MEMORY_GB['ApiFunction']} GB",
        api_s * MEMORY_GB["ApiFunction"] * p["lambda_gb_s"] + work.api_requests * p["lambda_request"],
    )
    add("API Gateway", f"{work.api_requests:,} REST requests", work.api_requests * p["api_gateway_request"])
    add(
        "Cognito",
        f"{work.users:,} monthly active users (10,000 free)",
        max(0, work.users - 10_000) * p["cognito_mau_over_10k"],
    )
    # Storage at steady state: signals 190 days, vault until published (~46 days), audit 2 years.
    lake_gb = work.signals * 6.3 * work.bytes_per_signal_lake / 1e9
    vault_gb = work.signals * 1.5 * work.bytes_per_signal_vault / 1e9
    audit_events = work.api_requests * work.audited_share
    audit_gb = audit_events * 24 * work.bytes_per_audit_event / 1e9
    stored_gb = lake_gb + vault_gb + audit_gb + work.deliveries * 2 * 5e-3  # raw uploads ~5 MB, briefly
    add("S3 storage", f"{stored_gb:,.2f} GB (lake, vault, 24 months of audit)", stored_gb * p["s3_gb_month"])
    puts = work.deliveries * 12 + audit_events + work.users * work.sessions_per_user * 2 + work.gemeenten * 6
    gets = work.api_requests * 2 + work.gemeenten * 20 + work.deliveries * 6
    add("S3 requests", f"{puts:,.0f} PUT/LIST, {gets:,.0f} GET", puts * p["s3_put"] + gets * p["s3_get"])
    scanned_tb = max(10e6, work.signals * 6.3 * work.bytes_per_signal_lake) / 1e12
    add("Athena", f"one run a month, {scanned_tb * 1e6:,.1f} MB scanned", scanned_tb * p["athena_tb_scanned"])
    add("Step Functions", "one run, about 20 transitions", 20 * p["sfn_transition"])
    writes = work.users * work.sessions_per_user * work.writes_per_session + work.gemeenten * 10
    reads = work.api_requests * 2
    add(
        "DynamoDB",
        f"{writes:,} writes, {reads:,} reads, < 1 GB",
        writes * p["dynamodb_write"] + reads * p["dynamodb_read"] + p["dynamodb_gb_month"],
    )
    kms_requests = work.deliveries * 4 + work.api_requests * 0.5 + work.gemeenten * 4
    add(
        "KMS",
        f"{work.kms_keys} keys, {kms_requests:,.0f} requests",
        work.kms_keys * p["kms_key_month"] + kms_requests * p["kms_request"],
    )
    add(
        "Secrets Manager",
        f"{work.secrets} secret, {work.deliveries} reads",
        work.secrets * p["secret_month"] + work.deliveries * p["secret_call"],
    )
    add("SQS", f"{work.deliveries * 3:,} requests", work.deliveries * 3 * p["sqs_request"])
    log_gb = (work.api_requests + work.deliveries * 50) * work.log_bytes_per_request / 1e9
    add(
        "CloudWatch Logs",
        f"{log_gb:,.2f} GB ingested, kept per retention",
        log_gb * p["logs_ingest_gb"] + log_gb * 6 * p["logs_store_gb_month"],
    )
    add(
        "CloudWatch alarms and dashboard",
        f"{work.alarms} alarms, {work.dashboards} dashboard",
        work.alarms * p["alarm_month"] + work.dashboards * p["dashboard_month"],
    )
    add("SES", f"{work.gemeenten * 3:,} mails (a run is ready)", work.gemeenten * 3 * p["ses_mail"])
    return items


def _last_json(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{' '.join(command)} printed no JSON (exit {done.returncode}): {done.stderr[-2000:]}")
    return json.loads(lines[-1])


def measure(directory: Path | None) -> Measured:
    if directory is not None:
        read = lambda name: json.loads((directory / f"{name}.json").read_text().strip().splitlines()[-1])  # noqa: E731
        return Measured.of(read("ingest"), read("e2e"), read("api"))
    python = sys.executable
    print("measuring: ingest.py --rows 200000, e2e.py --repeat 1, api.py --cases 2000 ...", flush=True)
    ingest = _last_json([python, "benchmarks/ingest.py", "--rows", "200000", "--repeat", "1", "--sample", "20000"])
    e2e = _last_json([python, "benchmarks/e2e.py", "--repeat", "1"])
    api = _last_json([python, "benchmarks/api.py", "--cases", "2000", "--requests", "20", "--export-requests", "3"])
    return Measured.of(ingest, e2e, api)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--gemeenten", type=int, default=342)
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=3_000)
    parser.add_argument("--measured-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    measured = measure(args.measured_dir)
    work = Workload(args.gemeenten, args.signals, args.users)
    items = bill(work, measured)
    total_usd = sum(usd for _, _, usd in items)
    total_eur = total_usd * EUR_PER_USD
    print(
        f"\nmeasured: ingest {measured.ingest_rows_per_s:,.0f} rows/s + {measured.ingest_overhead_s_per_file:.2f} s "
        f"a file; workflow tasks {sum(measured.workflow_task_s.values()):.2f} s on the demo; "
        f"API p50 {measured.api_p50_s * 1000:.0f} ms"
    )
    print(
        f"workload: {work.gemeenten} gemeenten, {work.signals:,} signals, {work.users:,} users, "
        f"{work.api_requests:,} API requests"
    )
    print(f"prices: AWS list prices, eu-central-1, USD, as of {PRICES_DATE}; €{EUR_PER_USD} per $\n")
    for item, how, usd in items:
        print(f"{item:<34} €{usd * EUR_PER_USD:>8.2f}   {how}")
    print(f"{'total':<34} €{total_eur:>8.2f}   (target ≤ €{TARGET_EUR:.0f})")
    per_gemeente = total_eur / work.gemeenten
    print(f"{'per gemeente':<34} €{per_gemeente:>8.2f}")
    result = {
        "total_eur_per_month": round(total_eur, 2),
        "per_gemeente_eur_per_month": round(per_gemeente, 4),
        "items_eur": {item: round(usd * EUR_PER_USD, 2) for item, _, usd in items},
        "prices_date": PRICES_DATE,
        "eur_per_usd": EUR_PER_USD,
        "target_eur": TARGET_EUR,
        "met": total_eur <= TARGET_EUR,
        "measured": {
            "ingest_rows_per_s": round(measured.ingest_rows_per_s),
            "ingest_overhead_s_per_file": round(measured.ingest_overhead_s_per_file, 3),
            "workflow_task_s": {k: round(v, 3) for k, v in measured.workflow_task_s.items()},
            "api_p50_ms": round(measured.api_p50_s * 1000, 1),
        },
    }
    print(json.dumps(result))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
