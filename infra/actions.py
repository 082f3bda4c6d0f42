"""What the `vindplaats` commands do, on a Target (the local stack or AWS).

Deliveries go through the real path: a presigned POST under the supplier's prefix, the S3
event, the queue and the ingest handler. Nothing here writes the lake directly.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import requests

from chalicelib.adapters.aws.presign import S3Presigner
from chalicelib.adapters.aws.reference import import_reference
from chalicelib.adapters.aws.registry import import_registry
from chalicelib.adapters.aws.reports import S3Reports
from chalicelib.bootstrap import build_ddas_export
from chalicelib.domain.ddas import DdasExport
from chalicelib.domain.identity import Identity, Role
from chalicelib.domain.notify import MissingDelivery
from chalicelib.domain.registry import Registry
from chalicelib.domain.report import Report
from chalicelib.domain.upload import CONTENT_TYPE, PresignedUpload
from infra.local.target import Target


def registry_import(target: Target, path: Path) -> Registry:
    table = target.resource("dynamodb").Table(target.settings.registry_table)
    return import_registry(path.read_text(encoding="utf-8"), table)


def reference_import(target: Target, path: Path) -> int:
    return import_reference(path.read_bytes(), target.client("s3"), target.settings.lake_bucket)


@dataclass(frozen=True)
class Delivered:
    leverancier: str
    levering: str
    path: Path


def upload(target: Target, leverancier: str, path: Path, *, now: datetime | None = None) -> Delivered:
    """POST one file through a presigned upload, as a supplier would."""
    data = path.read_bytes()
    presigner = S3Presigner(target.client("s3"), target.settings.upload_bucket)
    presigned = presigner.presign(leverancier, path.name, max(len(data), 1), now or datetime.now(UTC))
    post_file(presigned, path.name, data)
    return Delivered(leverancier, presigned.levering, path)


def post_file(presigned: PresignedUpload, filename: str, data: bytes) -> None:
    response = requests.post(
        presigned.url,
        data=presigned.fields,
        files={"file": (filename, data, CONTENT_TYPE)},
        timeout=120,
    )
    if response.status_code >= 300:
        raise RuntimeError(f"upload van {filename} geweigerd: HTTP {response.status_code} {response.text[:200]}")


def deliveries(folder: Path) -> Iterator[tuple[str, Path]]:
    """`<folder>/<leverancier-id>/*.csv` in name order per supplier."""
    for supplier in sorted(p for p in folder.iterdir() if p.is_dir()):
        for path in sorted(p for p in supplier.iterdir() if p.is_file() and p.suffix.lower() == ".csv"):
            yield supplier.name, path


def read_report(target: Target, delivered: Delivered) -> Report | None:
    return S3Reports(target.client("s3"), target.settings.lake_bucket).read(delivered.leverancier, delivered.levering)


def wait_for_reports(
    target: Target,
    delivered: list[Delivered],
    *,
    timeout: float = 120.0,
    pump: Callable[[], object] | None = None,
) -> dict[Delivered, Report]:
    """Every delivery's report, waiting (and pumping the local runtime, if given) until all exist."""
    reports: dict[Delivered, Report] = {}
    deadline = time.monotonic() + timeout
    while len(reports) < len(delivered):
        if pump is not None:
            pump()
        for item in delivered:
            if item not in reports:
                found = read_report(target, item)
                if found is not None:
                    reports[item] = found
        if len(reports) < len(delivered):
            if time.monotonic() > deadline:
                missing = ", ".join(f"{d.leverancier}/{d.path.name}" for d in delivered if d not in reports)
                raise TimeoutError(f"geen rapport na {timeout:.0f} s voor: {missing}")
            time.sleep(0.2)
    return reports


def describe(report: Report) -> str:
    counts = report.counts
    text = (
        f"{report.status.value:<21} {counts.read:>6} gelezen, {counts.accepted:>6} goed, "
        f"{counts.rejected:>4} fout, {counts.warnings:>4} waarschuwingen"
    )
    if report.rejection is not None:
        text += f" ({report.rejection.code})"
    return text


def missing_deliveries(target: Target, today: date) -> list[MissingDelivery]:
    """The suppliers with an active convenant and no accepted delivery in 35 days, as the notify
    function's daily check finds them."""
    from chalicelib.adapters.aws.registry import DynamoRegistrySource
    from chalicelib.services.notify import suppliers_missing

    settings = target.settings
    registry = DynamoRegistrySource(target.aws.table(settings.registry_table))
    return suppliers_missing(registry, S3Reports(target.client("s3"), settings.lake_bucket), today)


AUDIT_BUCKET = "VINDPLAATS_AUDIT_BUCKET"


def export_ddas(target: Target, gemeente: str, van: date, tot: date, operator: str) -> tuple[str, DdasExport]:
    """The gemeente's DDAS export of [van, tot], audited as the operator's (chalicelib.services.ddas)."""
    audit_bucket = target.env.get(AUDIT_BUCKET)
    if not audit_bucket:
        raise ValueError(f"{AUDIT_BUCKET} ontbreekt: zonder auditlog geen export")
    exporter = build_ddas_export(target.settings, target.aws, audit_bucket)
    identity = Identity(subject=f"cli:{operator}", role=Role.OPERATOR, display_name=operator)
    return exporter.for_operator(identity, gemeente, van, tot)
