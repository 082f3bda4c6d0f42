"""The gemeente's write side: assign, approach, record a contact attempt or an outcome.

Every write first finds the case(s) as the reader does (own gemeente, a wijkteam only its own
team's, another tenant's id 404 and audited; a role that may not write 403, audited too), then
records the write in the audit log (one event with the case ids), updates the case's state item
and, for an approach or an outcome, tells each supplier involved by queueing the news for the
notify function, which writes their outboxes. The state is written before the news is queued:
the messages' ids are stable (SupplierMessage.id), so a retried request writes the same state and
its news overwrites the same outbox entries.
A case holds at most `max_contactpogingen` attempts (409 after), which keeps its state item far
under DynamoDB's 400 KB.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.domain.audit import Outcome, Route
from chalicelib.domain.cases import Case, Contactpoging, add_months
from chalicelib.domain.casework import (
    MAX_CONTACTPOGINGEN,
    PAUSE_MONTHS,
    STATUS_OPGEPAKT,
    contactpogingen_full,
    messages,
    status_after,
)
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.identity import GEMEENTE_ROLES, Identity, Role
from chalicelib.domain.retention import RetentionPeriods, case_expires_on, picked_up
from chalicelib.domain.views import Approached
from chalicelib.ports import CaseStates, NotifyEvents
from chalicelib.services.cases import CaseReader

COORDINATOR_ONLY = frozenset({Role.COORDINATOR})


class CaseWriter:
    """The write routes' logic; `reader` finds the cases, `states` takes the writes and `events`
    the suppliers' news."""

    def __init__(
        self,
        reader: CaseReader,
        states: CaseStates,
        events: NotifyEvents,
        clock: Callable[[], datetime],
        retention: RetentionPeriods,
        max_contactpogingen: int = MAX_CONTACTPOGINGEN,
    ) -> None:
        self._reader = reader
        self._states = states
        self._events = events
        self._clock = clock
        self._retention = retention
        self._max_contactpogingen = max_contactpogingen

    def assign(self, viewer: Identity, case_id: str, run_id: str | None, team: str) -> Case:
        case = self._one(viewer, case_id, run_id, Route.ASSIGN, COORDINATOR_ONLY)
        self._allow(viewer, Route.ASSIGN, [case])
        return self._update(viewer, case, {"team": team})

    def approach(self, viewer: Identity, case_ids: Sequence[str], run_id: str | None) -> Approached:
        """Mark the cases "Opgepakt", collection paused a month; tell each supplier involved."""
        unique = list(dict.fromkeys(case_ids))
        cases = self._found(viewer, unique, run_id, Route.APPROACH, COORDINATOR_ONLY)
        self._allow(viewer, Route.APPROACH, cases)
        at = self._clock()
        today = at.date()
        pause_until = add_months(today, PAUSE_MONTHS)
        fields = {"status": STATUS_OPGEPAKT, "approached_on": today, "pause_until": pause_until}
        told = []
        for case in cases:
            self._update(viewer, case, fields)
            told += messages(case, "benaderd", at, today, pauze_tot=pause_until)
        self._events.suppliers_told(told)
        return Approached(
            run=cases[0].run, case_ids=unique, approached_on=today, pause_until=pause_until, berichten=len(told)
        )

    def contactpoging(self, viewer: Identity, case_id: str, run_id: str | None, poging: Contactpoging) -> Case:
        """Add a contact attempt; LimitReached (409) once the case has `max_contactpogingen`."""
        case = self._one(viewer, case_id, run_id, Route.CONTACTPOGING, GEMEENTE_ROLES)
        if len(case.contactpogingen) >= self._max_contactpogingen:
            raise contactpogingen_full(self._max_contactpogingen)
        self._allow(viewer, Route.CONTACTPOGING, [case])
        return self._update(viewer, case, {}, poging)

    def resultaat(self, viewer: Identity, case_id: str, run_id: str | None, resultaat: str) -> Case:
        """Record the outcome; each supplier learns it ("andere reden" only as "Niet opgepakt")."""
        case = self._one(viewer, case_id, run_id, Route.RESULTAAT, GEMEENTE_ROLES)
        self._allow(viewer, Route.RESULTAAT, [case])
        at = self._clock()
        fields = {"resultaat": resultaat, "resultaat_op": at.date(), "status": status_after(resultaat)}
        updated = self._update(viewer, case, fields)
        self._events.suppliers_told(messages(case, "resultaat", at, at.date(), resultaat=resultaat))
        return updated

    def _one(self, viewer: Identity, case_id: str, run_id: str | None, route: Route, roles: frozenset[str]) -> Case:
        return self._found(viewer, [case_id], run_id, route, roles)[0]

    def _found(
        self, viewer: Identity, case_ids: Sequence[str], run_id: str | None, route: Route, roles: frozenset[str]
    ) -> list[Case]:
        if viewer.role not in roles:
            self._reader.auditor.refused(viewer, route, Outcome.DENIED, case_ids=case_ids, run=run_id)
            raise Forbidden()
        return self._reader.find(viewer, case_ids, run_id, route)

    def _allow(self, viewer: Identity, route: Route, cases: Sequence[Case]) -> None:
        # No unaudited change: the event is stored before the write (a failed write leaves one extra).
        self._reader.auditor.allowed(viewer, route, case_ids=[case.id for case in cases], run=cases[0].run)

    def _update(
        self, viewer: Identity, case: Case, fields: Mapping[str, Any], poging: Contactpoging | None = None
    ) -> Case:
        # The state goes when the case does: its expiry follows from the case as it is after this write.
        expires_on = case_expires_on(
            case.as_of,
            picked_up(fields.get("status", case.status)),
            fields.get("resultaat_op", case.resultaat_op),
            self._retention,
        )
        self._states.update(
            case.gemeente,
            case.run,
            case.id,
            {**fields, "expires_on": expires_on},
            by=viewer.subject,
            at=self._clock(),
            contactpoging=poging,
            max_contactpogingen=self._max_contactpogingen,
        )
        changes = dict(fields)
        if poging is not None:
            changes["contactpogingen"] = [*case.contactpogingen, poging]
        return case.model_copy(update=changes)
