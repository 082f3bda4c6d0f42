"""Ingest one uploaded delivery: validate, pseudonymise, encrypt, land in the lake, report.

Every write is keyed by the delivery, so a rerun after a crash overwrites with the same
content and converges. The report is written last but one, the raw upload deleted last.
"""

from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.delivery import Rejected, read_delivery
from chalicelib.domain.report import Counts, Finding, Report, Status, finding
from chalicelib.domain.signals import Pseudonymiser, build_signals
from chalicelib.domain.upload import MAX_BYTES, UploadKey
from chalicelib.ports import Lake, ReferenceSource, RegistrySource, Reports, Uploads, Vault


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


def ingest_upload(upload: Upload, deps: IngestDeps, *, upload_date: date, today: date) -> Report:
    """Ingest the upload; returns its report (also stored). Raises UploadKeyError for foreign keys."""
    key = UploadKey.parse(upload.key)
    size = deps.uploads.size(upload.key)
    if size is None:
        existing = deps.reports.read(key.leverancier, key.levering)
        if existing is not None:
            return existing
        raise FileNotFoundError(upload.key)

    leverancier = deps.registry.registry().leverancier(key.leverancier)
    if leverancier is None:
        return _reject(upload, key, deps, finding("leverancier_unknown"), Counts(), [], [])
    if size > MAX_BYTES:
        return _reject(upload, key, deps, finding("file_too_large"), Counts(), [], [])

    result = read_delivery(
        deps.uploads.read(upload.key),
        leverancier,
        upload_date=upload_date,
        today=today,
    )
    if isinstance(result, Rejected):
        return _reject(
            upload,
            key,
            deps,
            result.rejection,
            result.counts,
            result.errors,
            result.warnings,
            peildatum=result.peildatum,
        )

    built = build_signals(
        result.rows,
        leverancier=key.leverancier,
        levering=key.levering,
        peildatum=result.peildatum,
        geupload_op=upload.uploaded_at,
        reference=deps.reference.reference(),
        pseudonymiser=deps.pseudonymiser,
    )
    warnings = result.warnings + [
        finding("adres_niet_gevonden", line=int(line), column="postcode") for line in built.not_found_lines
    ]
    deps.vault.put(key.leverancier, key.levering, built.vault)
    deps.lake.write_signals(
        built.signals, peildatum=result.peildatum.isoformat(), leverancier=key.leverancier, levering=key.levering
    )
    report = Report(
        leverancier=key.leverancier,
        levering=key.levering,
        bestand=key.bestand,
        status=result.status,
        peildatum=result.peildatum.isoformat(),
        counts=result.counts.model_copy(update={"warnings": len(warnings)}),
        errors=result.errors,
        warnings=warnings,
    )
    deps.reports.write(report)
    deps.uploads.delete(upload.key)
    return report


def _reject(
    upload: Upload,
    key: UploadKey,
    deps: IngestDeps,
    reason: Finding,
    counts: Counts,
    errors: list[Finding],
    warnings: list[Finding],
    *,
    peildatum: date | None = None,
) -> Report:
    report = Report(
        leverancier=key.leverancier,
        levering=key.levering,
        bestand=key.bestand,
        status=Status.REJECTED,
        peildatum=peildatum.isoformat() if peildatum else None,
        rejection=reason,
        counts=counts.model_copy(update={"warnings": len(warnings)}),
        errors=errors,
        warnings=warnings,
    )
    deps.reports.write(report)
    deps.uploads.quarantine(upload.key, key, reason.code)
    return report
