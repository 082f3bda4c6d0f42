"""The API's read side without I/O: scope, filters, facets, pages, request models and errors."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.api import errors
from chalicelib.api.models import MAX_PAGE_SIZE, CasesQuery
from chalicelib.domain import errors as caller_errors
from chalicelib.domain.caselist import (
    CaseFilter,
    checks,
    contact_person,
    facets,
    filter_cases,
    in_scope,
    page_of,
    profile,
)
from chalicelib.domain.cases import Case, CaseSignal, Person
from chalicelib.domain.identity import Identity
from chalicelib.domain.views import ListedCase, ListedSignal
from tests.fakes import make_case

COORDINATOR = Identity(subject="u-coord", role="coordinator", gemeente="GM0202")
WIJKTEAM_NOORD = Identity(subject="u-noord", role="wijkteam", gemeente="GM0202", team="noord")

CASES = [
    make_case(1, wijk="WK020201", signalen=(("vitens", "Water", "80.00"),), team="noord"),
    make_case(2, wijk="WK020202", signalen=(("vitens", "Water", "50.00"), ("eneco", "Energie", "300.00"))),
    make_case(3, wijk="WK020201", signalen=(("woonbedrijf", "Huur", "900.00"),), herhaald=True, crisis=True),
    make_case(4, wijk="WK020202", signalen=(("eneco", "Energie", "75.00"),), status="Opgepakt", team="zuid"),
]


def ids(cases):
    return [case.id[-1] for case in cases]


def test_a_coordinator_sees_every_case_of_its_own_gemeente_only():
    foreign = make_case(9, "GM0268")
    assert all(in_scope(case, COORDINATOR) for case in CASES)
    assert not in_scope(foreign, COORDINATOR)


def test_a_wijkteam_sees_only_cases_assigned_to_its_team():
    assert [c.id[-1] for c in CASES if in_scope(c, WIJKTEAM_NOORD)] == ["1"]


def test_an_unassigned_case_is_seen_by_no_wijkteam():
    assert not in_scope(CASES[1], WIJKTEAM_NOORD)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["1", "2", "3", "4"]),
        ({"wijk": "WK020201"}, ["1", "3"]),
        ({"leverancier": "eneco"}, ["2", "4"]),
        ({"signaaltype": "water"}, ["1", "2"]),
        ({"min_bedrag": "100"}, ["2", "3"]),
        ({"max_bedrag": "80"}, ["1", "4"]),
        ({"min_bedrag": "80", "max_bedrag": "350"}, ["1", "2"]),
        ({"herhaald": "true"}, ["3"]),
        ({"crisis": "false"}, ["1", "2", "4"]),
        ({"status": "Opgepakt"}, ["4"]),
        ({"team": "zuid"}, ["4"]),
        ({"wijk": "WK020202", "leverancier": "vitens"}, ["2"]),
    ],
)
def test_filters_narrow_the_cases_and_keep_rank_order(filters, expected):
    assert ids(filter_cases(CASES, CaseFilter.model_validate(filters))) == expected


def test_facets_count_each_value_with_the_other_filters_applied():
    counted = facets(CASES, CaseFilter(wijk="WK020201"))
    # The wijk facet ignores the wijk filter itself, so both wijken stay choosable.
    assert counted.wijk == {"WK020201": 2, "WK020202": 2}
    assert counted.leverancier == {"vitens": 1, "woonbedrijf": 1}
    assert counted.signaaltype == {"Huur": 1, "Water": 1}
    assert counted.herhaald == {"false": 1, "true": 1}
    assert counted.team == {"noord": 1}


def test_a_case_with_two_suppliers_counts_under_both():
    counted = facets(CASES, CaseFilter())
    assert counted.leverancier == {"eneco": 2, "vitens": 2, "woonbedrijf": 1}


def test_a_bedrag_filter_applies_to_every_facet():
    counted = facets(CASES, CaseFilter(min_bedrag=Decimal(500)))
    assert counted.wijk == {"WK020201": 1}


@given(total=st.integers(0, 1000), page=st.integers(1, 60), size=st.integers(1, MAX_PAGE_SIZE))
def test_pages_cover_every_item_once(total, page, size):
    items = list(range(total))
    chunk, pages = page_of(items, page, size)
    assert pages == max(1, -(-total // size))
    assert chunk == items[(page - 1) * size : page * size]
    assert sum(len(page_of(items, p, size)[0]) for p in range(1, pages + 1)) == total


def test_checks_pass_every_unset_filter():
    assert all(checks(CASES[0], CaseFilter()).values())


@pytest.mark.parametrize(
    "values",
    [
        {"gemeente": "GM0268"},  # unknown parameter: cannot name another tenant
        {"page_size": str(MAX_PAGE_SIZE + 1)},
        {"page": "0"},
        {"min_bedrag": "-1"},
        {"min_bedrag": "NaN"},
        {"max_bedrag": "Infinity"},
        {"min_bedrag": "10", "max_bedrag": "5"},
        {"herhaald": "misschien"},
        {"status": "Onbekend"},
        {"run": "../GM0268"},
        {"wijk": "x" * 65},
    ],
)
def test_bad_list_queries_are_rejected(values):
    with pytest.raises(ValidationError):
        CasesQuery.model_validate(values)


def test_a_query_from_strings_gets_typed_values_and_defaults():
    query = CasesQuery.model_validate({"min_bedrag": "75", "crisis": "true", "page": "2"})
    assert (query.min_bedrag, query.crisis, query.page, query.page_size) == (Decimal(75), True, 2, 50)
    assert query.filter() == CaseFilter(min_bedrag=Decimal(75), crisis=True)


def test_contact_data_leaves_out_the_birth_date():
    person = Person(leverancier="vitens", achternaam="Jansen", geboortedatum=date(1970, 1, 1), telefoon="0612345678")
    shown = contact_person(person).model_dump()
    assert "geboortedatum" not in shown
    assert shown["achternaam"] == "Jansen" and shown["telefoon"] == "0612345678"


def test_profile_shows_role_tenant_and_display_name():
    me = profile(Identity(subject="s", role="wijkteam", gemeente="GM0202", team="noord", display_name="Anna"))
    assert me.model_dump() == {
        "role": "wijkteam",
        "gemeente": "GM0202",
        "leverancier": None,
        "team": "noord",
        "display_name": "Anna",
    }
    assert profile(COORDINATOR).display_name == "GM0202"


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (caller_errors.InvalidRequest(), 400, "invalid_request"),
        (caller_errors.Unauthorized(), 401, "unauthorized"),
        (caller_errors.Forbidden(), 403, "forbidden"),
        (caller_errors.NotFound(), 404, "not_found"),
        (caller_errors.RunNotFound(), 404, "run_not_found"),
        (caller_errors.Unauthorized("het token is verlopen", code="token_expired"), 401, "token_expired"),
        (caller_errors.Forbidden("geen rol", code="role_missing"), 403, "role_missing"),
        (KeyError("Jansen, Dorpsstraat 1"), 500, "internal"),
    ],
)
def test_every_exception_maps_to_one_status_and_the_envelope(exc, status, code):
    got_status, body = errors.for_exception(exc)
    assert (got_status, body["error"]["code"]) == (status, code)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert "Jansen" not in body["error"]["message"]


def test_a_listed_case_is_the_case_without_its_klantnummers():
    assert set(ListedCase.model_fields) == set(Case.model_fields)
    assert set(ListedSignal.model_fields) == set(CaseSignal.model_fields) - {"klantnummer"}
    case = make_case(3, signalen=(("vitens", "Water", "120.00"), ("eneco", "Energie", "80.00")))
    listed = ListedCase.of(case).model_dump(mode="json")
    whole = case.model_dump(mode="json")
    for signal in whole["signalen"]:
        assert signal.pop("klantnummer") == "K3"
    assert listed == whole
