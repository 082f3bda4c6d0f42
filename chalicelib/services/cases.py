"""The gemeente's read side: its runs, its cases filtered and paged with counts, one case, and
one case's contact data (audited).

The tenant is always the caller's own gemeente, from the token: a case id is looked up among
that gemeente's cases only, so another tenant's id is simply not found (404, audited), and
nothing in a query can widen the set. A wijkteam sees only the cases assigned to its team.

A gemeente's month of cases is one object in the case store (a few MB at most: Amsterdam has
about 3,800 cases a month), so a request reads it whole and filters in memory. What the gemeente
recorded (status, team, attempts, outcome) is laid over it from the case states, read with one
Query per request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from chalicelib.domain.audit import AuditEvent, Outcome, Route
from chalicelib.domain.caselist import CaseFilter, contact_person, facets, filter_cases, in_scope, page_of
from chalicelib.domain.cases import Case, RunInfo
from chalicelib.domain.casework import with_state
from chalicelib.domain.errors import Forbidden, NotFound, RunNotFound
from chalicelib.domain.identity import GEMEENTE_ROLES, Identity
from chalicelib.domain.views import CaseList, Contact, RunList, RunSummary
from chalicelib.ports import AuditLog, CaseStates, CaseStore, RunRegistry


class CaseReader:
    """The read routes' logic over a case store, its states, a run registry and an audit log."""

    def __init__(
        self,
        store: CaseStore,
        states: CaseStates,
        runs: RunRegistry,
        audit: AuditLog,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._states = states
        self._runs = runs
        self._audit = audit
        self._clock = clock

    def runs(self, viewer: Identity) -> RunList:
        """The published runs of the caller's gemeente, newest first, with its own counts only."""
        gemeente = _gemeente(viewer)
        latest = self._runs.latest()
        runs = [
            RunSummary(
                run_id=run.run_id, as_of=run.as_of, published_at=run.published_at, cases=run.gemeenten.get(gemeente, 0)
            )
            for run in self._runs.runs_for(gemeente)
        ]
        return RunList(latest=latest.run_id if latest else None, runs=runs)

    def list_cases(
        self, viewer: Identity, run_id: str | None, wanted: CaseFilter, page: int, page_size: int
    ) -> CaseList:
        """One page of the run's visible cases passing the filters, in rank order, with counts."""
        gemeente = _gemeente(viewer)
        run = self.run_for(viewer, run_id, Route.CASES)
        visible = [] if run is None else [c for c in self.worked_cases(run.run_id, gemeente) if in_scope(c, viewer)]
        chosen = filter_cases(visible, wanted)
        cases, pages = page_of(chosen, page, page_size)
        return CaseList(
            run=run.run_id if run else None,
            as_of=run.as_of if run else None,
            total=len(chosen),
            visible=len(visible),
            page=page,
            page_size=page_size,
            pages=pages,
            facets=facets(visible, wanted),
            cases=cases,
        )

    def case(self, viewer: Identity, case_id: str, run_id: str | None = None) -> Case:
        """One visible case of the run (latest when None); NotFound otherwise, and audited then."""
        return self.find(viewer, [case_id], run_id, Route.CASE)[0]

    def contact(self, viewer: Identity, case_id: str, run_id: str | None = None) -> Contact:
        """The people named for one visible case; every call, allowed or not, is audited. The
        allowed event is written before the data is returned: no audit, no contact data."""
        (case,) = self.find(viewer, [case_id], run_id, Route.CONTACT)
        people = self._store.contacts(case.run, case.gemeente, case.id)
        self.record(viewer, Route.CONTACT, case.id, case.run, Outcome.ALLOWED)
        return Contact(case_id=case.id, run=case.run, personen=[contact_person(p) for p in people])

    def worked_cases(self, run_id: str, gemeente: str) -> list[Case]:
        """The gemeente's cases of the run with their recorded state laid over (one state Query)."""
        cases = self._store.cases(run_id, gemeente)
        if not cases:
            return cases
        states = self._states.states(gemeente, run_id)
        return [with_state(case, states.get(case.id)) for case in cases]

    def _worked(self, run_id: str, gemeente: str, case_ids: Sequence[str]) -> dict[str, Case]:
        """The wanted cases by id with their state: one case is one point read, not the run's
        every state (moto's DynamoDB takes about 1 ms an item; AWS bills the read units)."""
        if len(case_ids) != 1:
            return {c.id: c for c in self.worked_cases(run_id, gemeente)}
        case = next((c for c in self._store.cases(run_id, gemeente) if c.id == case_ids[0]), None)
        if case is None:
            return {}
        return {case.id: with_state(case, self._states.state(gemeente, run_id, case.id))}

    def find(self, viewer: Identity, case_ids: Sequence[str], run_id: str | None, route: Route) -> list[Case]:
        """The visible cases with these ids in the run (latest when None), in the given order.
        Raises NotFound, and audits each missing or out-of-scope id, when any one is not visible."""
        if viewer.role not in GEMEENTE_ROLES or not viewer.gemeente:
            for case_id in case_ids:
                self.record(viewer, route, case_id, run_id, Outcome.DENIED)
            raise Forbidden()
        gemeente = viewer.gemeente
        try:
            run = self._run(gemeente, run_id)
        except RunNotFound:
            for case_id in case_ids:
                self.record(viewer, route, case_id, run_id, Outcome.NOT_FOUND)
            raise
        by_id = {} if run is None else self._worked(run.run_id, gemeente, case_ids)
        refused = False
        for case_id in case_ids:
            found = by_id.get(case_id)
            if found is None or not in_scope(found, viewer):
                outcome = Outcome.NOT_FOUND if found is None else Outcome.DENIED
                self.record(viewer, route, case_id, run.run_id if run else run_id, outcome)
                refused = True
        if refused:
            raise NotFound("Deze casus bestaat niet of u heeft er geen toegang toe.")
        return [by_id[case_id] for case_id in case_ids]

    def run_for(self, viewer: Identity, run_id: str | None, route: Route) -> RunInfo | None:
        """The run (latest when None) of the caller's gemeente; RunNotFound, audited, when it is
        not published for that gemeente (another gemeente's run is not found either)."""
        try:
            return self._run(_gemeente(viewer), run_id)
        except RunNotFound:
            self.record(viewer, route, None, run_id, Outcome.NOT_FOUND)
            raise

    def published_runs(self, gemeente: str) -> list[RunInfo]:
        """The gemeente's published runs, as the registry lists them."""
        return self._runs.runs_for(gemeente)

    def _run(self, gemeente: str, run_id: str | None) -> RunInfo | None:
        if run_id is None:
            return self._runs.latest()
        for run in self._runs.runs_for(gemeente):
            if run.run_id == run_id:
                return run
        raise RunNotFound()

    def record(
        self,
        viewer: Identity,
        route: str,  # a Route, or the request's own route when the caller is refused before one
        case_id: str | None,
        run_id: str | None,
        outcome: Outcome,
        count: int | None = None,
        filters: dict[str, str] | None = None,
    ) -> None:
        self._audit.record(
            AuditEvent(
                at=self._clock(),
                subject=viewer.subject,
                role=viewer.role,
                tenant=viewer.gemeente or viewer.leverancier,
                route=route,
                case_id=case_id,
                run=run_id,
                outcome=outcome,
                count=count,
                filters=filters,
            )
        )


def _gemeente(viewer: Identity) -> str:
    if viewer.role not in GEMEENTE_ROLES or not viewer.gemeente:
        raise Forbidden()
    return viewer.gemeente
