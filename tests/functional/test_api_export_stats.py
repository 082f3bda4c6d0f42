"""The coordinator's export and stats through Chalice's test client, with in-memory ports:
roles, tenant isolation, formula injection, the audit log, small-count suppression, and the
OpenAPI document and template events covering both routes."""

import csv
import io
import json
import time
from datetime import date

import pytest
from openapi_spec_validator import validate

from chalicelib.domain.audit import Outcome
from chalicelib.domain.cases import RunInfo, RunStatus
from chalicelib.services.overview import EXPORT_COLUMNS, neutralised
from infra.template import TEMPLATE_PATH, function_properties, load_template
from tests.fakes import (
    EDE,
    OLD_RUN,
    RUN,
    UTRECHT,
    MemoryCaseStore,
    MemoryRuns,
    api_client,
    assert_error,
    chalice_routes,
    get,
    make_case,
)

ROUTES = ["/api/export.csv", "/api/stats"]
INJECTIONS = ["=", "+", "-", "@", "\t", "\r"]


def client_for(cases, audit, runs=None):
    return api_client(MemoryCaseStore(cases), runs or MemoryRuns(), audit)


@pytest.fixture
def client(audit):
    with client_for(UTRECHT + EDE, audit) as test_client:
        yield test_client


def download(client, path, token="coord-utrecht"):
    response = client.http.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.body
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    return response.headers, list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("token", ["team-noord", "supplier", "operator"])
def test_only_a_coordinator_may_export_or_see_stats(client, path, token):
    assert_error(get(client, path, token), 403)


@pytest.mark.parametrize("path", ROUTES)
def test_export_and_stats_need_a_token(client, path):
    assert_error(get(client, path), 401)


def test_the_export_is_a_csv_attachment_of_the_own_gemeentes_cases_without_contact_data(client):
    headers, rows = download(client, "/api/export.csv")
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == f'attachment; filename="cases-GM0202-{RUN}.csv"'
    assert rows[0] == list(EXPORT_COLUMNS)
    assert [row[0] for row in rows[1:]] == [case.id for case in UTRECHT]
    assert not {case.id for case in EDE} & {row[0] for row in rows}
    assert "K1" not in json.dumps(rows)  # no klantnummer
    first = dict(zip(rows[0], rows[1], strict=False))
    assert (first["wijk"], first["postcode"], first["totaal_bedrag"], first["team"], first["leveranciers"]) == (
        "WK020201",
        "6811AB",
        "120.00",
        "noord",
        "vitens",
    )


def test_the_export_applies_the_lists_filters_and_run(client):
    _, rows = download(client, "/api/export.csv?team=noord")
    assert [row[0] for row in rows[1:]] == [UTRECHT[0].id]
    assert_error(get(client, f"/api/export.csv?run={OLD_RUN}", "coord-ede"), 404, "run_not_found")
    assert_error(get(client, "/api/export.csv?page=1", "coord-utrecht"), 400, "invalid_request")


def test_the_export_is_audited_once_with_its_filters_and_count(client, audit):
    download(client, "/api/export.csv?wijk=WK020201&herhaald=false")
    (event,) = audit.events
    assert (event.outcome, event.route, event.tenant, event.run, event.case_id, event.count) == (
        Outcome.ALLOWED,
        "GET /api/export.csv",
        "GM0202",
        RUN,
        None,
        5,
    )
    assert event.filters == {"wijk": "WK020201", "herhaald": "False"}


def test_no_export_leaves_when_the_audit_cannot_be_written(client, audit):
    def broken(event):
        raise OSError("audit bucket unavailable")

    audit.record = broken
    assert_error(get(client, "/api/export.csv", "coord-utrecht"), 500, "internal")


@pytest.mark.parametrize("start", INJECTIONS)
def test_every_text_cell_starting_a_formula_is_neutralised(audit, start):
    payload = f'{start}HYPERLINK("http://evil")'
    case = make_case(
        1, "GM0202", wijk=f"{start}WK", team=f"{start}team", signalen=((f"{start}lev", f"{start}Water", "10.00"),)
    )
    case = case.model_copy(
        update={
            "wijk": case.wijk.model_copy(update={"naam": payload}),
            "buurt": case.buurt.model_copy(update={"code": f"{start}BU", "naam": payload}),
            "adres": case.adres.model_copy(
                update={"postcode": f"{start}1", "huisletter": f"{start}a", "toevoeging": f"{start}b"}
            ),
            "status": f"{start}status",
        }
    )
    with client_for([case], audit) as test_client:
        _, rows = download(test_client, "/api/export.csv")
    (row,) = rows[1:]
    cells = dict(zip(rows[0], row, strict=False))
    texts = (
        "wijk",
        "wijk_naam",
        "buurt",
        "buurt_naam",
        "postcode",
        "huisletter",
        "toevoeging",
        "status",
        "team",
        "leveranciers",
    )
    for column in texts:
        assert cells[column].startswith("'" + start), column
    assert not any(cell.startswith(tuple(INJECTIONS)) for cell in row)


def test_neutralised_leaves_ordinary_text_alone():
    assert (neutralised("Noord"), neutralised(""), neutralised("a=b")) == ("Noord", "", "a=b")


def test_5000_cases_export_in_well_under_two_seconds(audit):
    cases = [make_case(n, "GM0202", team="noord") for n in range(1, 5001)]
    with client_for(cases, audit) as test_client:
        started = time.perf_counter()
        _, rows = download(test_client, "/api/export.csv")
        elapsed = time.perf_counter() - started
    assert len(rows) == 5001
    assert elapsed < 1.0, elapsed


def test_stats_suppress_counts_under_five_and_show_five(audit):
    cases = [make_case(n, "GM0202", wijk="WK1", signalen=(("vitens", "Water", "1.00"),)) for n in range(1, 6)]
    cases += [make_case(n, "GM0202", wijk="WK2", signalen=(("eneco", "Energie", "1.00"),)) for n in range(6, 10)]
    cases += [make_case(20, "GM0268", wijk="WK2")]  # another gemeente's case never counts
    runs = MemoryRuns()
    runs._runs = [
        RunInfo(run_id=RUN, as_of=date(2026, 11, 1), status=RunStatus.PUBLISHED, gemeenten={"GM0202": 9}),
        RunInfo(run_id=OLD_RUN, as_of=date(2026, 10, 1), status=RunStatus.PUBLISHED, gemeenten={"GM0202": 4}),
    ]
    with client_for(cases, audit, runs) as test_client:
        status, body = get(test_client, "/api/stats", "coord-utrecht")
        old_status, old = get(test_client, f"/api/stats?run={OLD_RUN}", "coord-utrecht")
    shown, hidden = {"count": 5, "suppressed": False}, {"count": None, "suppressed": True}
    assert status == 200
    assert (body["run"], body["threshold"], body["total"]) == (RUN, 5, {"count": 9, "suppressed": False})
    assert body["wijk"] == {"WK1": shown, "WK2": hidden}
    assert body["leverancier"] == {"eneco": hidden, "vitens": shown}
    assert body["signaaltype"] == {"Energie": hidden, "Water": shown}
    assert body["status"] == {"Nog niet opgepakt": {"count": 9, "suppressed": False}}
    assert body["resultaat"] == {}
    assert body["maand"] == {"2026-10": hidden, "2026-11": {"count": 9, "suppressed": False}}
    assert old_status == 200 and old["maand"] == {"2026-10": hidden}
    assert audit.events == []


def test_stats_reject_unknown_parameters(client):
    assert_error(get(client, "/api/stats?gemeente=GM0268", "coord-utrecht"), 400, "invalid_request")


def test_the_openapi_document_validates_and_covers_export_and_stats(client):
    status, document = get(client, "/api/openapi.json")
    assert status == 200
    validate(document)
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented == chalice_routes()
    export = document["paths"]["/api/export.csv"]["get"]
    assert list(export["responses"]["200"]["content"]) == ["text/csv"]
    assert export["x-roles"] == ["coordinator"] and "audit log" in export["description"]
    assert {"wijk", "team", "run"} <= {p["name"] for p in export["parameters"]}
    assert "page" not in {p["name"] for p in export["parameters"]}
    stats = document["paths"]["/api/stats"]["get"]
    assert "suppressed" in stats["description"] and stats["x-roles"] == ["coordinator"]


def test_the_template_has_an_api_event_for_export_and_stats():
    function = function_properties(load_template(TEMPLATE_PATH), "ApiFunction")
    events = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in function["Events"].values()}
    assert events == chalice_routes()
    assert {("GET", "/api/export.csv"), ("GET", "/api/stats")} <= events
