"""`GET /api/export/ddas` through Chalice's test client with in-memory ports: a coordinator's own
gemeente only, other roles refused and audited, strict query parsing, one bounded audit event,
and every answer valid against the JSON Schema written from ddas.md with its counts read back."""

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from chalicelib import bootstrap
from chalicelib.domain.audit import Outcome, Route
from chalicelib.domain.errors import InvalidRequest, NotFound
from chalicelib.domain.identity import Identity
from chalicelib.domain.registry import Gemeente
from chalicelib.services.ddas import CLI_ROUTE
from infra.template import TEMPLATE_PATH, function_properties, load_template
from tests.fakes import (
    EDE,
    OLD_UTRECHT,
    RUN,
    UTRECHT,
    MemoryCaseStore,
    MemoryGemeenten,
    MemoryRuns,
    api_client,
    assert_error,
    get,
    make_case,
)

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "ddas-uitwisselmodel-v1.2.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
PATH = "/api/export/ddas?van=2026-10-01&tot=2026-11-30"
ZORG = make_case(9, signalen=(("cz", "Zorg", "80.00"), ("gemeente", "Gemeentebelasting", "40.50")))
BSNS = {ZORG.id: {0: "123456782", 1: "111222333"}, EDE[0].id: {0: "876543210"}}


@pytest.fixture
def store():
    return MemoryCaseStore([*UTRECHT, ZORG, *OLD_UTRECHT, *EDE], BSNS)


@pytest.fixture
def client(store, audit):
    gemeenten = MemoryGemeenten([Gemeente(code="GM0202", naam="Arnhem"), Gemeente(code="GM0268", naam="Nijmegen")])
    with api_client(store, MemoryRuns(), audit, gemeenten=gemeenten) as test_client:
        yield test_client


def download(client, path=PATH, token="coord-utrecht"):
    response = client.http.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.body
    document = json.loads(response.body)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
    assert not errors
    return response.headers, document


def test_the_export_is_a_valid_json_attachment_of_the_own_gemeentes_runs_in_the_period(client):
    headers, document = download(client)
    assert headers["Content-Disposition"] == 'attachment; filename="ddas-GM0202-2026-10-01-2026-11-30.json"'
    assert headers["Content-Type"] == "application/json"
    (levering,) = document["leveringen"]
    cases = [*OLD_UTRECHT, *UTRECHT, ZORG]  # the October run first
    zaken = levering["vroegsignaalzaken"]
    assert [z["vroegsignalen"][0]["ID"].split("-")[0] for z in zaken] == [c.id for c in cases]
    assert len(levering["vroegsignalen"]) == sum(len(c.signalen) for c in cases)
    assert [z["matchingsdatum"] for z in zaken] == ["2026-10-01"] + ["2026-11-01"] * (len(cases) - 1)
    assert (levering["gemeentecode"], levering["aanleverendeOrganisatie"]["naam"]) == ("GM0202", "Arnhem")


def test_another_gemeentes_cases_and_bsns_never_leave(client, store):
    _, document = download(client)
    text = json.dumps(document)
    for case in EDE:
        assert case.id not in text
    assert "876543210" not in text
    _, ede = download(client, token="coord-ede")
    assert {z["vroegsignalen"][0]["ID"].split("-")[0] for z in ede["leveringen"][0]["vroegsignaalzaken"]} == {
        c.id for c in EDE
    }
    assert store.bsn_reads == [(RUN, "GM0202", frozenset({ZORG.id}))]  # Ede's export read no BSN


def test_a_bsn_for_the_zorg_signal_only_and_gemeentebelasting_as_overige(client, store):
    _, document = download(client)
    signalen = {s["ID"]: s for s in document["leveringen"][0]["vroegsignalen"]}
    assert signalen[f"{ZORG.id}-1"]["client"] == {"burgerservicenummer": "123456782"}
    assert signalen[f"{ZORG.id}-2"]["client"] == {"postcode": "6811AB", "huisnummer": 9}
    assert signalen[f"{ZORG.id}-2"]["signaalpartner"] == {"type": "Overige"}
    assert signalen[f"{ZORG.id}-2"]["bedrag"] == 41
    assert "111222333" not in json.dumps(document)
    # Only the cases with a signal that may carry a BSN are asked for theirs.
    assert store.bsn_reads == [(RUN, "GM0202", frozenset({ZORG.id}))]


def test_one_audit_event_with_counts_and_digest_of_the_ids(client, audit):
    _, document = download(client)
    (event,) = [e for e in audit.events if e.route == Route.EXPORT_DDAS]
    ids = sorted(c.id for c in [*OLD_UTRECHT, *UTRECHT, ZORG])
    assert (event.outcome, event.tenant, event.count) == (Outcome.ALLOWED, "GM0202", len(ids))
    assert event.ids_sha256 == hashlib.sha256("\n".join(ids).encode()).hexdigest()
    assert event.filters["signalen"] == str(len(document["leveringen"][0]["vroegsignalen"]))
    assert event.case_ids == ids  # every one, as the CSV export's event has them
    assert (event.filters["van"], event.filters["tot"]) == ("2026-10-01", "2026-11-30")


@pytest.mark.parametrize("token", ["team-noord", "supplier", "operator"])
def test_only_a_coordinator_may_export_and_a_refusal_is_audited(client, audit, token):
    assert_error(get(client, PATH, token), 403)
    (event,) = audit.events
    assert (event.route, event.outcome) == (Route.EXPORT_DDAS, Outcome.DENIED)


def test_the_export_needs_a_token(client):
    assert_error(get(client, PATH), 401)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "van=2026-10-01",
        "van=2026-10-01&tot=2026-11-31",
        "van=2026-10-01&tot=20261130",
        "van=2026-11-30&tot=2026-10-01",
        "van=2025-10-01&tot=2026-10-02",
        "van=2026-10-01&tot=2026-11-30&gemeente=GM0268",
        "van=2026-10-01&van=2026-10-02&tot=2026-11-30",
    ],
)
def test_a_bad_period_or_an_unknown_parameter_is_refused(client, audit, query):
    assert_error(get(client, f"/api/export/ddas?{query}", "coord-utrecht"), 400)
    assert not [e for e in audit.events if e.outcome == Outcome.ALLOWED]


def test_a_period_without_runs_is_an_empty_valid_levering(client):
    _, document = download(client, "/api/export/ddas?van=2025-01-01&tot=2025-12-31")
    (levering,) = document["leveringen"]
    assert levering["vroegsignalen"] == [] and levering["vroegsignaalzaken"] == []


def test_the_template_and_the_openapi_document_have_the_route(client):
    function = function_properties(load_template(TEMPLATE_PATH), "ApiFunction")
    events = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in function["Events"].values()}
    assert ("GET", "/api/export/ddas") in events
    _, document = get(client, "/api/openapi.json")
    operation = document["paths"]["/api/export/ddas"]["get"]
    assert operation["x-roles"] == ["coordinator"]
    assert {p["name"] for p in operation["parameters"]} == {"van", "tot"}


def test_the_operators_command_exports_a_registered_gemeente_and_is_audited_as_the_cli(store, audit):
    operator = Identity(subject="cli:beheer", role="operator", display_name="beheer")
    gemeenten = MemoryGemeenten([Gemeente(code="GM0268", naam="Nijmegen")])
    with api_client(store, MemoryRuns(), audit, gemeenten=gemeenten):
        exporter = bootstrap.api().ddas
        filename, export = exporter.for_operator(operator, "GM0268", date(2026, 11, 1), date(2026, 11, 1))
        with pytest.raises(NotFound):
            exporter.for_operator(operator, "GM0202", date(2026, 11, 1), date(2026, 11, 1))  # not registered
        with pytest.raises(InvalidRequest):
            exporter.for_operator(operator, "gm0268", date(2026, 11, 1), date(2026, 11, 1))
    assert filename == "ddas-GM0268-2026-11-01-2026-11-01.json"
    assert VALIDATOR.is_valid(export.document)
    assert sorted(export.case_ids) == sorted(c.id for c in EDE)
    allowed, missing = audit.events
    assert (allowed.route, allowed.subject, allowed.outcome, allowed.count) == (
        CLI_ROUTE,
        "cli:beheer",
        Outcome.ALLOWED,
        3,
    )
    assert (missing.route, missing.subject, missing.outcome) == (CLI_ROUTE, "cli:beheer", Outcome.NOT_FOUND)
