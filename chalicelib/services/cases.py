"""The gemeente's read side: its runs, its cases filtered and paged with counts, one case, and
one case's contact data. Each list page, case and contact view is audited (one event a request,
with the ids shown); the list shows no klantnummers, the one case does.

The tenant is always the caller's own gemeente, from the token: a case id is looked up among
that gemeente's cases only, so another tenant's id is simply not found (404, audited), and
nothing in a query can widen the set. A wijkteam sees only the cases assigned to its team.

A gemeente's month of cases is one object in the case store (a few MB at most: Amsterdam has
about 3,800 cases a month), so a request reads it whole and filters in memory. What the gemeente
recorded (status, team, attempts, outcome) is laid over it from the case states, read with one
Query per request.
"""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.audit import Outcome, Route
from chalicelib.domain.caselist import (
    CaseFilter,
    contact_person,
    facets,
    filter_cases,
    filter_summary,
    in_scope,
    page_of,
)
from chalicelib.domain.cases import Case, RunInfo
from chalicelib.domain.casework import with_state
from chalicelib.domain.errors import Forbidden, NotFound, RunNotFound
from chalicelib.domain.identity import GEMEENTE_ROLES, Identity
from chalicelib.domain.views import CaseList, Contact, ListedCase, RunList, RunSummary
from chalicelib.ports import CaseStates, CaseStore, RunRegistry
from chalicelib.services.audit import Auditor


class CaseReader:
    """The read routes' logic over a case store, its states, a run registry and the audit log."""

    def __init__(self, store: CaseStore, states: CaseStates, runs: RunRegistry, auditor: Auditor) -> None:
        self._store = store
        self._states = states
        self._runs = runs
        self.auditor = auditor

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
        """One page of the run's visible cases passing the filters, in rank order, with counts; the
        page is audited (its filters and the ids shown) before it is returned."""
        gemeente = _gemeente(viewer)
        run = self.run_for(viewer, run_id, Route.CASES)
        visible = [] if run is None else [c for c in self.worked_cases(run.run_id, gemeente) if in_scope(c, viewer)]
        chosen = filter_cases(visible, wanted)
        cases, pages = page_of(chosen, page, page_size)
        shown = filter_summary(wanted) | {"page": str(page), "page_size": str(page_size)}
        self.auditor.allowed(
            viewer, Route.CASES, case_ids=[c.id for c in cases], run=run.run_id if run else run_id, filters=shown
        )
        return CaseList(
            run=run.run_id if run else None,
            as_of=run.as_of if run else None,
            total=len(chosen),
            visible=len(visible),
            page=page,
            page_size=page_size,
            pages=pages,
            facets=facets(visible, wanted),
            cases=[ListedCase.of(case) for case in cases],
        )

    def case(self, viewer: Identity, case_id: str, run_id: str | None = None) -> Case:
        """One visible case of the run (latest when None), with its klantnummers: audited, allowed
        or not (NotFound then)."""
        (case,) = self.find(viewer, [case_id], run_id, Route.CASE)
        self.auditor.allowed(viewer, Route.CASE, case_ids=[case.id], run=case.run)
        return case

    def contact(self, viewer: Identity, case_id: str, run_id: str | None = None) -> Contact:
        """The people named for one visible case; every call, allowed or not, is audited. The
        allowed event is written before the data is returned: no audit, no contact data."""
        (case,) = self.find(viewer, [case_id], run_id, Route.CONTACT)
        people = self._store.contacts(case.run, case.gemeente, case.id)
        self.auditor.allowed(viewer, Route.CONTACT, case_ids=[case.id], run=case.run)
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
        Raises NotFound when any one is not visible, audited as one event naming the refused ids
        (denied when one of them is in the gemeente but out of the caller's scope)."""
        if viewer.role not in GEMEENTE_ROLES or not viewer.gemeente:
            self.auditor.refused(viewer, route, Outcome.DENIED, case_ids=case_ids, run=run_id)
            raise Forbidden()
        gemeente = viewer.gemeente
        try:
            run = self._run(gemeente, run_id)
        except RunNotFound:
            self.auditor.refused(viewer, route, Outcome.NOT_FOUND, case_ids=case_ids, run=run_id)
            raise
        by_id = {} if run is None else self._worked(run.run_id, gemeente, case_ids)
        missing = [case_id for case_id in case_ids if case_id not in by_id]
        hidden = [case_id for case_id in case_ids if case_id in by_id and not in_scope(by_id[case_id], viewer)]
        if missing or hidden:
            outcome = Outcome.DENIED if hidden else Outcome.NOT_FOUND
            self.auditor.refused(viewer, route, outcome, case_ids=missing + hidden, run=run.run_id if run else run_id)
            raise NotFound("Deze casus bestaat niet of u heeft er geen toegang toe.")
        return [by_id[case_id] for case_id in case_ids]

    def run_for(self, viewer: Identity, run_id: str | None, route: Route) -> RunInfo | None:
        """The run (latest when None) of the caller's gemeente; RunNotFound, audited, when it is
        not published for that gemeente (another gemeente's run is not found either)."""
        try:
            return self._run(_gemeente(viewer), run_id)
        except RunNotFound:
            self.auditor.refused(viewer, route, Outcome.NOT_FOUND, run=run_id)
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


def _gemeente(viewer: Identity) -> str:
    if viewer.role not in GEMEENTE_ROLES or not viewer.gemeente:
        raise Forbidden()
    return viewer.gemeente
