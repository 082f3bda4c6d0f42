"""Writing the audit log: what was shown (allowed) and what was refused, one event per request.

Every service records through an `Auditor`, so each request leaves at most one event, bounded in
size (chalicelib.domain.audit.named_ids), and refusals pass the per-user limit first: past it a
refused request raises TooManyRefusals (429) instead, and only the first one over the limit in a
window is recorded, so a user probing ids adds at most `limit + 1` events per window.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from chalicelib.domain.audit import MAX_IDS, AuditEvent, Outcome, RefusalLimit, named_ids
from chalicelib.domain.errors import TooManyRefusals
from chalicelib.domain.identity import Identity
from chalicelib.ports import AuditLog, RefusalCounter


class Auditor:
    """The audit log with the refusal limit in front of it."""

    def __init__(
        self,
        log: AuditLog,
        refusals: RefusalCounter,
        clock: Callable[[], datetime],
        limit: RefusalLimit = RefusalLimit(),  # noqa: B008 - frozen, so one default is safe
    ) -> None:
        self._log = log
        self._refusals = refusals
        self._clock = clock
        self._limit = limit

    def allowed(
        self,
        viewer: Identity,
        route: str,
        *,
        case_ids: Collection[str] = (),
        run: str | None = None,
        count: int | None = None,
        filters: Mapping[str, str] | None = None,
        all_ids: bool = False,
    ) -> None:
        """Record what the caller is about to be shown or has changed; raises if it cannot be
        stored, so nothing is shown unaudited. `all_ids` keeps every id (an export's rows), not a page."""
        ids = named_ids(case_ids, None if all_ids else MAX_IDS)
        if count is not None:
            ids["count"] = count
        self._record(viewer, route, Outcome.ALLOWED, run=run, filters=dict(filters) if filters else None, **ids)

    def refused(
        self,
        viewer: Identity,
        route: str,
        outcome: Outcome,
        *,
        case_ids: Collection[str] = (),
        run: str | None = None,
        levering: str | None = None,
    ) -> None:
        """Record one refusal (the caller then raises its own error), or raise TooManyRefusals
        when the caller is over its limit (recorded once, as rate_limited)."""
        now = self._clock()
        start, end = self._limit.window(now)
        count = self._refusals.count(viewer.subject, start, end)
        if not self._limit.allows(count):
            if self._limit.first_over(count):
                self._record(viewer, route, Outcome.RATE_LIMITED, at=now, run=run, levering=levering)
            raise TooManyRefusals()
        self._record(viewer, route, outcome, at=now, run=run, levering=levering, **named_ids(case_ids, MAX_IDS))

    def _record(
        self, viewer: Identity, route: str, outcome: Outcome, at: datetime | None = None, **fields: Any
    ) -> None:
        self._log.record(
            AuditEvent(
                at=at or self._clock(),
                subject=viewer.subject,
                role=viewer.role,
                tenant=viewer.gemeente or viewer.leverancier,
                route=route,
                outcome=outcome,
                **fields,
            )
        )
