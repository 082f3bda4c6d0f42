"""Ingest one uploaded delivery: validate, pseudonymise, encrypt, land in the lake, report.

The file streams through in batches, so memory does not grow with it. Every write is keyed by
the delivery, so a rerun after a crash overwrites with the same content and converges. Signals
and vault are stored only once the whole file is accepted; the report is written last but one,
the raw upload deleted last.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from chalicelib.domain.csvfile import Reread
from chalicelib.domain.delivery import DEFAULT_LIMITS, DeliveryReader, Limits, ReadResult, Rejected
from chalicelib.domain.report import TRUNCATED_NOTE, Finding, Report, Status, finding
from chalicelib.domain.signals import Pseudonymiser, build_signals
from chalicelib.domain.upload import UploadKey
from chalicelib.ports import (
    Lake,
    ReferenceSource,
    RegistrySource,
    Reports,
    StagedRecords,
    StagedSignals,
    Uploads,
    Vault,
)


@dataclass(frozen=True)
class Upload:
    """An object that arrived in the upload bucket."""

    key: str
    uploaded_at: datetime


@dataclass(frozen=True)
class IngestDeps:
    uploads: Uploads
    lake: Lake
    reports: Reports
    vault: Vault
    registry: RegistrySource
    reference: ReferenceSource
    pseudonymiser: Pseudonymiser


def ingest_upload(
    upload: Upload, deps: IngestDeps, *, upload_date: date, today: date, limits: Limits = DEFAULT_LIMITS
) -> Report:
    """Ingest the upload; returns its report (also stored). Raises UploadKeyError for foreign keys.

    The file is read batch by batch; each batch's signals and vault records are written to staged
    objects as it comes, which are stored only when the whole file is accepted. `limits` are
    delivery-format.md's unless a benchmark lifts them.
    """
    key = UploadKey.parse(upload.key)
    size = deps.uploads.size(upload.key)
    if size is None:
        existing = deps.reports.read(key.leverancier, key.levering)
        if existing is not None:
            return existing
        raise FileNotFoundError(upload.key)

    leverancier = deps.registry.registry().leverancier(key.leverancier)
    if leverancier is None:
        return _reject(upload, key, deps, finding("leverancier_unknown"))
    if size > limits.bytes:
        return _reject(upload, key, deps, finding("file_too_large"))

    encoding = None
    while True:
        reader = DeliveryReader(leverancier, upload_date=upload_date, today=today, limits=limits, encoding=encoding)
        signals = deps.lake.stage_signals(leverancier=key.leverancier, levering=key.levering)
        vault = deps.vault.stage(key.leverancier, key.levering)
        try:
            _stream(upload, key, deps, reader, signals, vault)
        except Reread:
            signals.discard()
            vault.discard()
            encoding = "cp1252"
            continue
        except BaseException:
            signals.discard()
            vault.discard()
            raise
        break

    result = reader.result()
    if isinstance(result, Rejected):
        signals.discard()
        vault.discard()
        return _reject(upload, key, deps, result.rejection, result)
    vault.commit()
    signals.commit(peildatum=result.peildatum.isoformat())
    report = Report(
        leverancier=key.leverancier,
        levering=key.levering,
        bestand=key.bestand,
        status=result.status,
        peildatum=result.peildatum.isoformat(),
        **_listed(result),
    )
    deps.reports.write(report)
    deps.uploads.delete(upload.key)
    return report


def _stream(
    upload: Upload,
    key: UploadKey,
    deps: IngestDeps,
    reader: DeliveryReader,
    signals: StagedSignals,
    vault: StagedRecords,
) -> None:
    """Every batch of valid rows pseudonymised, looked up and written to the staged objects."""
    reference = deps.reference.reference()
    written = False
    for rows in reader.read(deps.uploads.chunks(upload.key)):
        _write(rows, upload, key, deps, reader, reference, signals, vault)
        written = True
    if not written:  # an accepted file without valid rows still lands, as an empty delivery
        _write(reader.empty_rows(), upload, key, deps, reader, reference, signals, vault)


def _write(
    rows: pa.Table,
    upload: Upload,
    key: UploadKey,
    deps: IngestDeps,
    reader: DeliveryReader,
    reference: pa.Table,
    signals: StagedSignals,
    vault: StagedRecords,
) -> None:
    built = build_signals(
        rows,
        leverancier=key.leverancier,
        levering=key.levering,
        peildatum=reader.peildatum(),
        geupload_op=upload.uploaded_at,
        reference=reference,
        pseudonymiser=deps.pseudonymiser,
    )
    reader.not_found(built.not_found_lines)
    vault.write(built.vault)
    signals.write(built.signals)


def _listed(result: ReadResult) -> dict[str, Any]:
    return {
        "counts": result.counts,
        "errors": result.errors,
        "warnings": result.warnings,
        "errors_per_code": result.errors_per_code,
        "warnings_per_code": result.warnings_per_code,
        "truncated": result.truncated,
        "note": TRUNCATED_NOTE if result.truncated else None,
    }


def _reject(
    upload: Upload, key: UploadKey, deps: IngestDeps, reason: Finding, result: Rejected | None = None
) -> Report:
    peildatum = result.peildatum if result is not None else None
    report = Report(
        leverancier=key.leverancier,
        levering=key.levering,
        bestand=key.bestand,
        status=Status.REJECTED,
        peildatum=peildatum.isoformat() if peildatum else None,
        rejection=reason,
        **(_listed(result) if result is not None else {}),
    )
    deps.reports.write(report)
    deps.uploads.quarantine(upload.key, key, reason.code)
    return report
