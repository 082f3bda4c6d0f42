"""The supplier's side: a presigned upload for a new delivery, a delivery's report, and the
outbox of news about its own customers.

The supplier is always the caller's own, from the token: every key is built under its prefix,
so another supplier's delivery id is simply not found (404, audited).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from chalicelib.api.audit import AuditEvent, AuditLog, Outcome
from chalicelib.api.cases import Viewer
from chalicelib.api.errors import Forbidden, NotFound
from chalicelib.api.models import MAX_OUTBOX, Outbox, OutboxQuery, UploadRequest, UploadTicket
from chalicelib.domain.casework import SupplierMessage
from chalicelib.domain.report import Report
from chalicelib.services.uploads import PresignedUpload

LEVERANCIER = "leverancier"
ROUTE_REPORT = "GET /api/uploads/{id}"

# (leverancier, filename, size, now) -> a presigned POST (chalicelib.services.uploads.presign_upload)
Presigner = Callable[[str, str, int, datetime], PresignedUpload]


class Reports(Protocol):
    def read(self, leverancier: str, levering: str) -> Report | None: ...


class OutboxReader(Protocol):
    def since(
        self, leverancier: str, since: date, limit: int, after: str | None = None
    ) -> tuple[list[SupplierMessage], bool]: ...


class SupplierDesk:
    def __init__(self, presign: Presigner, reports: Reports, outbox: OutboxReader, audit: AuditLog,
                 clock: Callable[[], datetime]) -> None:
        self._presign = presign
        self._reports = reports
        self._outbox = outbox
        self._audit = audit
        self._clock = clock

    def upload(self, viewer: Viewer, request: UploadRequest) -> UploadTicket:
        """A presigned POST for one CSV of at most `size` bytes under the supplier's own prefix."""
        ticket = self._presign(_leverancier(viewer), request.filename, request.size, self._clock())
        return UploadTicket(levering=ticket.levering, url=ticket.url, fields=ticket.fields,
                            expires_in=ticket.expires_in, max_bytes=ticket.max_bytes)

    def report(self, viewer: Viewer, levering: str) -> Report:
        """The validation report of the supplier's own delivery; NotFound until ingest wrote it.
        A miss is audited: it may be another supplier's id (a pending own delivery looks the same)."""
        leverancier = _leverancier(viewer)
        report = self._reports.read(leverancier, levering)
        if report is None:
            self._audit.record(AuditEvent(
                at=self._clock(), subject=viewer.subject, role=viewer.role, tenant=leverancier,
                route=ROUTE_REPORT, levering=levering, outcome=Outcome.NOT_FOUND,
            ))
            raise NotFound("Deze levering bestaat niet of is nog niet verwerkt.")
        return report

    def outbox(self, viewer: Viewer, query: OutboxQuery) -> Outbox:
        entries, more = self._outbox.since(_leverancier(viewer), query.since, MAX_OUTBOX, query.after)
        last = entries[-1] if more and entries else None
        following = f"{last.datum.isoformat()}/{last.id}" if last else None
        return Outbox(since=query.since, entries=entries, truncated=more, next=following)


def _leverancier(viewer: Viewer) -> str:
    if viewer.role != LEVERANCIER or not viewer.leverancier:
        raise Forbidden()
    return viewer.leverancier
