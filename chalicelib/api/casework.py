"""The gemeente's write side: assign, approach, record a contact attempt or an outcome.

Every write first finds the case(s) as the reader does (own gemeente, a wijkteam only its own
team's, another tenant's id 404 and audited; a role that may not write 403, audited too), then
updates the case's state item and, for an approach or an outcome, tells each supplier involved
through its outbox. The state is written before the outbox: the outbox keys are stable
(SupplierMessage.id), so a retried request writes the same state and overwrites the same entries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.api.audit import Outcome
from chalicelib.api.cases import COORDINATOR, GEMEENTE_ROLES, CaseReader, Viewer
from chalicelib.api.errors import Forbidden
from chalicelib.api.models import (
    Approached,
    ApproachRequest,
    AssignRequest,
    ContactpogingRequest,
    ResultaatRequest,
)
from chalicelib.domain.cases import Case, Contactpoging
from chalicelib.domain.casework import (
    PAUSE_MONTHS,
    STATUS_OPGEPAKT,
    SupplierMessage,
    add_months,
    messages,
    status_after,
)

ROUTE_ASSIGN = "POST /api/cases/{id}/assign"
ROUTE_APPROACH = "POST /api/cases/approach"
ROUTE_CONTACTPOGING = "POST /api/cases/{id}/contactpogingen"
ROUTE_RESULTAAT = "POST /api/cases/{id}/resultaat"
COORDINATOR_ONLY = frozenset({COORDINATOR})


class CaseStateWriter(Protocol):
    def update(
        self, gemeente: str, run_id: str, case_id: str, fields: Mapping[str, Any], *, by: str, at: datetime,
        contactpoging: Contactpoging | None = None,
    ) -> None: ...


class SupplierOutbox(Protocol):
    def send(self, messages: Sequence[tuple[str, SupplierMessage]]) -> list[str]: ...


class CaseWriter:
    """The write routes' logic; `reader` finds the cases, `states` and `outbox` take the writes."""

    def __init__(
        self, reader: CaseReader, states: CaseStateWriter, outbox: SupplierOutbox, clock: Callable[[], datetime]
    ) -> None:
        self._reader = reader
        self._states = states
        self._outbox = outbox
        self._clock = clock

    def assign(self, viewer: Viewer, case_id: str, request: AssignRequest) -> Case:
        case = self._one(viewer, case_id, request.run, ROUTE_ASSIGN, COORDINATOR_ONLY)
        return self._update(viewer, case, {"team": request.team})

    def approach(self, viewer: Viewer, request: ApproachRequest) -> Approached:
        """Mark the cases "Opgepakt", collection paused a month; tell each supplier involved."""
        case_ids = list(dict.fromkeys(request.case_ids))
        cases = self._found(viewer, case_ids, request.run, ROUTE_APPROACH, COORDINATOR_ONLY)
        today = self._today()
        pause_until = add_months(today, PAUSE_MONTHS)
        fields = {"status": STATUS_OPGEPAKT, "approached_on": today, "pause_until": pause_until}
        told = []
        for case in cases:
            self._update(viewer, case, fields)
            told += messages(case, "benaderd", today, pauze_tot=pause_until)
        self._outbox.send(told)
        return Approached(run=cases[0].run, case_ids=case_ids, approached_on=today, pause_until=pause_until,
                          berichten=len(told))

    def contactpoging(self, viewer: Viewer, case_id: str, request: ContactpogingRequest) -> Case:
        case = self._one(viewer, case_id, request.run, ROUTE_CONTACTPOGING, GEMEENTE_ROLES)
        poging = Contactpoging(soort=request.soort, bereikt=request.bereikt, datum=request.datum,
                               dagdeel=request.dagdeel)
        return self._update(viewer, case, {}, poging)

    def resultaat(self, viewer: Viewer, case_id: str, request: ResultaatRequest) -> Case:
        """Record the outcome; each supplier learns it ("andere reden" only as "Niet opgepakt")."""
        case = self._one(viewer, case_id, request.run, ROUTE_RESULTAAT, GEMEENTE_ROLES)
        updated = self._update(viewer, case, {"resultaat": request.resultaat,
                                              "status": status_after(request.resultaat)})
        self._outbox.send(messages(case, "resultaat", self._today(), resultaat=request.resultaat))
        return updated

    def _one(self, viewer: Viewer, case_id: str, run_id: str | None, route: str, roles: frozenset[str]) -> Case:
        return self._found(viewer, [case_id], run_id, route, roles)[0]

    def _found(
        self, viewer: Viewer, case_ids: Sequence[str], run_id: str | None, route: str, roles: frozenset[str]
    ) -> list[Case]:
        if viewer.role not in roles:
            for case_id in case_ids:
                self._reader.record(viewer, route, case_id, run_id, Outcome.DENIED)
            raise Forbidden()
        return self._reader.find(viewer, case_ids, run_id, route)

    def _update(
        self, viewer: Viewer, case: Case, fields: Mapping[str, Any], poging: Contactpoging | None = None
    ) -> Case:
        self._states.update(case.gemeente, case.run, case.id, fields, by=viewer.subject, at=self._clock(),
                            contactpoging=poging)
        changes = dict(fields)
        if poging is not None:
            changes["contactpogingen"] = [*case.contactpogingen, poging]
        return case.model_copy(update=changes)

    def _today(self) -> date:
        return self._clock().date()
