"""The gemeente's read side: its runs, its cases filtered and paged with counts, one case, and
one case's contact data (audited).

The tenant is always the caller's own gemeente, from the token: a case id is looked up among
that gemeente's cases only, so another tenant's id is simply not found (404, audited), and
nothing in a query can widen the set. A wijkteam sees only the cases assigned to its team.

A gemeente's month of cases is one object in the case store (a few MB at most: Amsterdam has
about 3,800 cases a month), so a request reads it whole and filters in memory. What the gemeente
recorded (status, team, attempts, outcome) is laid over it from the case states, read with one
Query per request (chalicelib.adapters.aws.casework).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from chalicelib.api.audit import AuditEvent, AuditLog, Outcome
from chalicelib.api.errors import Forbidden, NotFound, RunNotFound
from chalicelib.api.models import (
    CaseFilter,
    CaseList,
    CasesQuery,
    Contact,
    ContactPerson,
    Facets,
    Me,
    RunList,
    RunSummary,
)
from chalicelib.domain.cases import Case, Person, RunInfo
from chalicelib.domain.casework import CaseState, with_state

COORDINATOR = "coordinator"
WIJKTEAM = "wijkteam"
GEMEENTE_ROLES = frozenset({COORDINATOR, WIJKTEAM})

ROUTE_LIST = "GET /api/cases"
ROUTE_CASE = "GET /api/cases/{id}"
ROUTE_CONTACT = "GET /api/cases/{id}/contact"


class Viewer(Protocol):
    """What the read side needs of an authenticated caller (chalicelib.domain.identity.Identity
    has these attributes)."""

    subject: str
    role: str
    gemeente: str | None
    leverancier: str | None
    team: str | None


class CaseStore(Protocol):
    def cases(self, run_id: str, gemeente: str) -> list[Case]: ...
    def contacts(self, run_id: str, gemeente: str, case_id: str) -> list[Person]: ...


class CaseStates(Protocol):
    def states(self, gemeente: str, run_id: str) -> dict[str, CaseState]: ...
    def state(self, gemeente: str, run_id: str, case_id: str) -> CaseState | None: ...


class RunRegistry(Protocol):
    def latest(self) -> RunInfo | None: ...
    def runs_for(self, gemeente: str) -> list[RunInfo]: ...


# Pure functions: scope, filters, facets, pages.

_FACETS = ("wijk", "leverancier", "signaaltype", "status", "team", "herhaald", "crisis")


def in_scope(case: Case, viewer: Viewer) -> bool:
    """A coordinator sees every case of its gemeente, a wijkteam only its own team's."""
    if case.gemeente != viewer.gemeente:
        return False
    if viewer.role == COORDINATOR:
        return True
    return viewer.role == WIJKTEAM and viewer.team is not None and case.team == viewer.team


def checks(case: Case, wanted: CaseFilter) -> dict[str, bool]:
    """Per filter dimension, whether the case passes it (an unset filter always passes)."""
    signaaltype = wanted.signaaltype.casefold() if wanted.signaaltype else None
    return {
        "wijk": wanted.wijk is None or case.wijk.code == wanted.wijk,
        "leverancier": wanted.leverancier is None or any(s.leverancier == wanted.leverancier for s in case.signalen),
        "signaaltype": signaaltype is None or any(s.signaaltype.casefold() == signaaltype for s in case.signalen),
        "bedrag": (wanted.min_bedrag is None or case.totaal_bedrag >= wanted.min_bedrag)
        and (wanted.max_bedrag is None or case.totaal_bedrag <= wanted.max_bedrag),
        "herhaald": wanted.herhaald is None or case.herhaald == wanted.herhaald,
        "crisis": wanted.crisis is None or case.crisis == wanted.crisis,
        "status": wanted.status is None or case.status == wanted.status,
        "team": wanted.team is None or case.team == wanted.team,
    }


def filter_cases(cases: Iterable[Case], wanted: CaseFilter) -> list[Case]:
    """The cases passing every filter, in their given (rank) order."""
    return [case for case in cases if all(checks(case, wanted).values())]


def facet_values(case: Case, facet: str) -> set[str]:
    """The values a case counts under in one facet (a case with two suppliers counts for both)."""
    if facet == "wijk":
        return {case.wijk.code}
    if facet == "leverancier":
        return {s.leverancier for s in case.signalen}
    if facet == "signaaltype":
        return {s.signaaltype for s in case.signalen}
    if facet == "status":
        return {case.status}
    if facet == "team":
        return set() if case.team is None else {case.team}
    if facet in ("herhaald", "crisis"):
        return {"true" if getattr(case, facet) else "false"}
    raise ValueError(f"unknown facet {facet}")


def facets(cases: Iterable[Case], wanted: CaseFilter) -> Facets:
    """Per facet, the count of each value among the cases passing every *other* filter: what
    choosing that value would give."""
    counts: dict[str, Counter[str]] = {facet: Counter() for facet in _FACETS}
    for case in cases:
        passed = checks(case, wanted)
        failed = [name for name, ok in passed.items() if not ok]
        if len(failed) > 1:
            continue
        for facet in _FACETS:
            if not failed or failed == [facet]:
                counts[facet].update(facet_values(case, facet))
    return Facets(**{facet: dict(sorted(counter.items())) for facet, counter in counts.items()})


def page_of(items: Sequence[Case], page: int, page_size: int) -> tuple[list[Case], int]:
    """The items of 1-based `page` and the number of pages (at least 1); a page past the end is []."""
    pages = max(1, math.ceil(len(items) / page_size))
    start = (page - 1) * page_size
    return list(items[start : start + page_size]), pages


def profile(viewer: Viewer) -> Me:
    display_name = getattr(viewer, "display_name", None) or viewer.gemeente or viewer.leverancier or viewer.subject
    return Me(
        role=viewer.role,
        gemeente=viewer.gemeente,
        leverancier=viewer.leverancier,
        team=viewer.team,
        display_name=display_name,
    )


def contact_person(person: Person) -> ContactPerson:
    return ContactPerson.model_validate(person.model_dump(include=set(ContactPerson.model_fields)))


# The service.


class CaseReader:
    """The read routes' logic over a case store, a run registry and an audit log."""

    def __init__(
        self, store: CaseStore, runs: RunRegistry, audit: AuditLog, clock: Callable[[], datetime],
        states: CaseStates | None = None,
    ) -> None:
        self._store = store
        self._runs = runs
        self._audit = audit
        self._clock = clock
        self._states = states

    def runs(self, viewer: Viewer) -> RunList:
        """The published runs of the caller's gemeente, newest first, with its own counts only."""
        gemeente = _gemeente(viewer)
        latest = self._runs.latest()
        runs = [
            RunSummary(run_id=run.run_id, as_of=run.as_of, published_at=run.published_at,
                       cases=run.gemeenten.get(gemeente, 0))
            for run in self._runs.runs_for(gemeente)
        ]
        return RunList(latest=latest.run_id if latest else None, runs=runs)

    def list_cases(self, viewer: Viewer, query: CasesQuery) -> CaseList:
        """One page of the run's visible cases passing the filters, in rank order, with counts."""
        gemeente = _gemeente(viewer)
        run = self.run_for(viewer, query.run, ROUTE_LIST)
        wanted = query.filter()
        visible = [] if run is None else [c for c in self.worked_cases(run.run_id, gemeente) if in_scope(c, viewer)]
        chosen = filter_cases(visible, wanted)
        cases, pages = page_of(chosen, query.page, query.page_size)
        return CaseList(
            run=run.run_id if run else None,
            as_of=run.as_of if run else None,
            total=len(chosen),
            visible=len(visible),
            page=query.page,
            page_size=query.page_size,
            pages=pages,
            facets=facets(visible, wanted),
            cases=cases,
        )

    def case(self, viewer: Viewer, case_id: str, run_id: str | None = None) -> Case:
        """One visible case of the run (latest when None); NotFound otherwise, and audited then."""
        return self.find(viewer, [case_id], run_id, ROUTE_CASE)[0]

    def contact(self, viewer: Viewer, case_id: str, run_id: str | None = None) -> Contact:
        """The people named for one visible case; every call, allowed or not, is audited. The
        allowed event is written before the data is returned: no audit, no contact data."""
        (case,) = self.find(viewer, [case_id], run_id, ROUTE_CONTACT)
        people = self._store.contacts(case.run, case.gemeente, case.id)
        self.record(viewer, ROUTE_CONTACT, case.id, case.run, Outcome.ALLOWED)
        return Contact(case_id=case.id, run=case.run, personen=[contact_person(p) for p in people])

    def worked_cases(self, run_id: str, gemeente: str) -> list[Case]:
        """The gemeente's cases of the run with their recorded state laid over (one state Query)."""
        cases = self._store.cases(run_id, gemeente)
        if self._states is None or not cases:
            return cases
        states = self._states.states(gemeente, run_id)
        return [with_state(case, states.get(case.id)) for case in cases]

    def _worked(self, run_id: str, gemeente: str, case_ids: Sequence[str]) -> dict[str, Case]:
        """The wanted cases by id with their state: one case is one point read, not the run's
        every state (moto's DynamoDB takes about 1 ms an item; AWS bills the read units)."""
        if self._states is None or len(case_ids) != 1:
            return {c.id: c for c in self.worked_cases(run_id, gemeente)}
        case = next((c for c in self._store.cases(run_id, gemeente) if c.id == case_ids[0]), None)
        if case is None:
            return {}
        return {case.id: with_state(case, self._states.state(gemeente, run_id, case.id))}

    def find(self, viewer: Viewer, case_ids: Sequence[str], run_id: str | None, route: str) -> list[Case]:
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

    def run_for(self, viewer: Viewer, run_id: str | None, route: str) -> RunInfo | None:
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
        self, viewer: Viewer, route: str, case_id: str | None, run_id: str | None, outcome: Outcome,
        count: int | None = None, filters: dict[str, str] | None = None,
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


def _gemeente(viewer: Viewer) -> str:
    if viewer.role not in GEMEENTE_ROLES or not viewer.gemeente:
        raise Forbidden()
    return viewer.gemeente
