"""A gemeente's list of cases as a caller may see it: scope, filters, facets, pages. Pure.

A coordinator sees every case of its gemeente, a wijkteam only its own team's; a filter only
ever narrows that set.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.cases import Case, Person
from chalicelib.domain.identity import Identity, Role
from chalicelib.domain.views import ContactPerson, Facets, Me

FACETS = ("wijk", "leverancier", "signaaltype", "status", "team", "herhaald", "crisis")


class CaseFilter(BaseModel):
    """The list filters (None: no filter on that dimension)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wijk: str | None = None
    leverancier: str | None = None
    signaaltype: str | None = None
    min_bedrag: Decimal | None = None
    max_bedrag: Decimal | None = None
    herhaald: bool | None = None
    crisis: bool | None = None
    status: str | None = None
    team: str | None = None


def filter_summary(wanted: CaseFilter) -> dict[str, str]:
    """The filters that are set, as an audit event's flat strings (codes and amounts, never a name)."""
    return {name: str(value) for name, value in wanted.model_dump(mode="json").items() if value is not None}


def in_scope(case: Case, viewer: Identity) -> bool:
    """A coordinator sees every case of its gemeente, a wijkteam only its own team's."""
    if case.gemeente != viewer.gemeente:
        return False
    if viewer.role == Role.COORDINATOR:
        return True
    return viewer.role == Role.WIJKTEAM and viewer.team is not None and case.team == viewer.team


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
    counts: dict[str, Counter[str]] = {facet: Counter() for facet in FACETS}
    for case in cases:
        passed = checks(case, wanted)
        failed = [name for name, ok in passed.items() if not ok]
        if len(failed) > 1:
            continue
        for facet in FACETS:
            if not failed or failed == [facet]:
                counts[facet].update(facet_values(case, facet))
    return Facets(**{facet: dict(sorted(counter.items())) for facet, counter in counts.items()})


def page_of(items: Sequence[Case], page: int, page_size: int) -> tuple[list[Case], int]:
    """The items of 1-based `page` and the number of pages (at least 1); a page past the end is []."""
    pages = max(1, math.ceil(len(items) / page_size))
    start = (page - 1) * page_size
    return list(items[start : start + page_size]), pages


def profile(viewer: Identity) -> Me:
    display_name = viewer.display_name or viewer.gemeente or viewer.leverancier or viewer.subject
    return Me(
        role=viewer.role,
        gemeente=viewer.gemeente,
        leverancier=viewer.leverancier,
        team=viewer.team,
        display_name=display_name,
    )


def contact_person(person: Person) -> ContactPerson:
    return ContactPerson.model_validate(person.model_dump(include=set(ContactPerson.model_fields)))
