"""The supplier's side: a presigned upload for a new delivery, its deliveries and each one's
report, and the outbox of news about its own customers.

The supplier is always the caller's own, from the token: every key is built under its prefix,
so another supplier's delivery id is simply not found (404, audited).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.audit import Outcome, Route
from chalicelib.domain.errors import DeliveryPending, Forbidden, NotFound
from chalicelib.domain.identity import Identity, Role
from chalicelib.domain.leveringen import newest_first, next_run_as_of, read_by_run
from chalicelib.domain.report import Report, ReportSummary, bound_report
from chalicelib.domain.views import LeveringList, OutboxPage, OwnLevering, UploadTicket
from chalicelib.ports import Deliveries, IncomingUploads, Presigner, Reports, SupplierOutbox
from chalicelib.services.audit import Auditor

MAX_OUTBOX = 1000  # entries per answer
MAX_LEVERINGEN = 100  # deliveries per answer
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class LeverancierDesk:
    def __init__(
        self,
        presigner: Presigner,
        reports: Reports,
        outbox: SupplierOutbox,
        auditor: Auditor,
        clock: Callable[[], datetime],
        deliveries: Deliveries,
        incoming: IncomingUploads,
    ) -> None:
        self._presigner = presigner
        self._incoming = incoming
        self._reports = reports
        self._deliveries = deliveries
        self._outbox = outbox
        self._auditor = auditor
        self._clock = clock

    def upload(self, viewer: Identity, filename: str, size: int) -> UploadTicket:
        """A presigned POST for one CSV of at most `size` bytes under the supplier's own prefix."""
        ticket = self._presigner.presign(_leverancier(viewer), filename, size, self._clock())
        return UploadTicket(
            levering=ticket.levering,
            url=ticket.url,
            fields=ticket.fields,
            expires_in=ticket.expires_in,
            max_bytes=ticket.max_bytes,
        )

    def leveringen(self, viewer: Identity) -> LeveringList:
        """The supplier's own newest MAX_LEVERINGEN deliveries, each marked when the next monthly
        run would read it as things stand (domain.leveringen.read_by_run)."""
        leverancier = _leverancier(viewer)
        received = newest_first(self._deliveries.leveringen(leverancier))
        shown = summaries(self._deliveries, leverancier, received[:MAX_LEVERINGEN])
        as_of = next_run_as_of(self._clock().astimezone(_AMSTERDAM).date())
        read = read_by_run((summary for summary, _ in shown), as_of)
        self._auditor.allowed(viewer, Route.UPLOADS, count=len(shown))
        return LeveringList(
            leveringen=[OwnLevering.of(summary, day, volgende_run=summary.levering == read) for summary, day in shown],
            truncated=len(received) > MAX_LEVERINGEN,
            volgende_run_as_of=as_of,
        )

    def report(self, viewer: Identity, levering: str) -> Report:
        """The validation report of the supplier's own delivery. DeliveryPending while its upload
        waits under the supplier's own prefix (so polling for a report is not a refusal); otherwise
        NotFound, audited: it may be another supplier's id, or an upload that never arrived."""
        leverancier = _leverancier(viewer)
        report = self._reports.read(leverancier, levering)
        if report is None and self._incoming.pending(leverancier, levering):
            raise DeliveryPending()
        if report is None:
            self._auditor.refused(viewer, Route.UPLOAD_REPORT, Outcome.NOT_FOUND, levering=levering)
            raise NotFound("Deze levering bestaat niet of is nog niet verwerkt.")
        return bound_report(report)  # one stored before reports were bounded may be larger

    def outbox(self, viewer: Identity, since: date, after: str | None) -> OutboxPage:
        entries, more = self._outbox.since(_leverancier(viewer), since, MAX_OUTBOX, after)
        last = entries[-1] if more and entries else None
        following = f"{last.datum.isoformat()}/{last.id}" if last else None
        return OutboxPage(since=since, entries=entries, truncated=more, next=following)


def summaries(
    deliveries: Deliveries, leverancier: str, received: list[tuple[str, date]]
) -> list[tuple[ReportSummary, date]]:
    """Each (levering, day received)'s report summary with the day; one without a report is left out."""
    found = ((deliveries.summary(leverancier, levering), day) for levering, day in received)
    return [(summary, day) for summary, day in found if summary is not None]


def _leverancier(viewer: Identity) -> str:
    if viewer.role != Role.LEVERANCIER or not viewer.leverancier:
        raise Forbidden()
    return viewer.leverancier
