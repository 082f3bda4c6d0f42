"""The API through Chalice's test client, with in-memory ports: tenant isolation, roles,
errors, the audit log, the OpenAPI document, and the template's API events."""

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from openapi_spec_validator import validate

from chalicelib.adapters.aws.audit import S3AuditLog
from chalicelib.api.openapi import OPERATIONS
from chalicelib.domain.audit import AuditEvent, Outcome, Route
from infra.template import TEMPLATE_PATH, function_properties, load_template
from tests.fakes import (
    EDE,
    NOW,
    OLD_RUN,
    OLD_UTRECHT,
    RUN,
    UTRECHT,
    MemoryCaseStore,
    MemoryRuns,
    api_client,
    assert_error,
    chalice_routes,
    get,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(audit):
    with api_client(MemoryCaseStore(UTRECHT + EDE + OLD_UTRECHT), MemoryRuns(), audit) as test_client:
        yield test_client


GEMEENTE_ROUTES = ["/api/runs", "/api/cases", f"/api/cases/{UTRECHT[0].id}", f"/api/cases/{UTRECHT[0].id}/contact"]


def test_health_needs_no_token(client):
    assert get(client, "/api/health") == (200, {"status": "ok"})


@pytest.mark.parametrize("path", ["/api/me", *GEMEENTE_ROUTES])
@pytest.mark.parametrize("token", [None, "forged"])
def test_no_or_a_bad_token_is_401(client, path, token):
    assert_error(get(client, path, token), 401)


@pytest.mark.parametrize("path", GEMEENTE_ROUTES)
@pytest.mark.parametrize("token", ["supplier", "operator"])
def test_suppliers_and_operators_may_not_use_gemeente_routes(client, path, token):
    assert_error(get(client, path, token), 403, "forbidden")


def test_a_denied_role_reading_a_case_is_audited(client, audit):
    get(client, f"/api/cases/{UTRECHT[0].id}/contact", "supplier")
    assert [(e.outcome, e.tenant, e.case_id) for e in audit.events] == [(Outcome.DENIED, "vitens", UTRECHT[0].id)]


def test_me_shows_the_caller(client):
    status, body = get(client, "/api/me", "coord-utrecht")
    assert status == 200
    assert body == {
        "role": "coordinator",
        "gemeente": "GM0202",
        "leverancier": None,
        "team": None,
        "display_name": "Anna",
    }


def test_runs_show_only_the_own_gemeentes_counts(client):
    status, body = get(client, "/api/runs", "coord-ede")
    assert status == 200
    assert body["latest"] == RUN
    assert [(r["run_id"], r["cases"]) for r in body["runs"]] == [(RUN, 3)]
    assert "GM0202" not in json.dumps(body)


def test_a_coordinator_lists_only_its_own_gemeentes_cases_without_contact_data(client):
    status, body = get(client, "/api/cases", "coord-utrecht")
    assert status == 200
    assert [c["id"] for c in body["cases"]] == [c.id for c in UTRECHT]
    assert (body["run"], body["total"], body["visible"], body["pages"]) == (RUN, 5, 5, 1)
    assert {c["gemeente"] for c in body["cases"]} == {"GM0202"}
    text = json.dumps(body)
    assert "Jansen" not in text and "0612345678" not in text and "Dorpsstraat" not in text


def test_the_list_is_filtered_paged_and_counted(client):
    status, body = get(client, "/api/cases?page=2&page_size=2&wijk=WK020201", "coord-utrecht")
    assert status == 200
    assert [c["id"] for c in body["cases"]] == [UTRECHT[2].id, UTRECHT[3].id]
    assert (body["total"], body["page"], body["pages"]) == (5, 2, 3)
    assert body["facets"]["team"] == {"noord": 1}


def test_an_earlier_run_is_listed_by_its_id(client):
    status, body = get(client, f"/api/cases?run={OLD_RUN}", "coord-utrecht")
    assert status == 200
    assert [c["id"] for c in body["cases"]] == [OLD_UTRECHT[0].id]


def test_a_run_the_gemeente_has_no_cases_in_is_not_found(client):
    assert_error(get(client, f"/api/cases?run={OLD_RUN}", "coord-ede"), 404, "run_not_found")


def test_a_wijkteam_sees_only_its_teams_cases(client):
    _, noord = get(client, "/api/cases", "team-noord")
    assert [c["id"] for c in noord["cases"]] == [UTRECHT[0].id]
    _, zuid = get(client, "/api/cases?team=noord", "team-zuid")
    assert (zuid["cases"], zuid["visible"]) == ([], 0)


def test_a_wijkteam_reading_another_teams_case_gets_404_and_is_audited(client, audit):
    assert_error(get(client, f"/api/cases/{UTRECHT[1].id}", "team-noord"), 404, "not_found")
    assert [(e.outcome, e.subject, e.case_id) for e in audit.events] == [(Outcome.DENIED, "s-3", UTRECHT[1].id)]
    assert get(client, f"/api/cases/{UTRECHT[0].id}", "team-noord")[0] == 200


@pytest.mark.parametrize("suffix", ["", "/contact"])
def test_another_gemeentes_case_is_404_never_403_and_is_audited(client, audit, suffix):
    assert_error(get(client, f"/api/cases/{EDE[0].id}{suffix}", "coord-utrecht"), 404, "not_found")
    (event,) = audit.events
    assert (event.outcome, event.tenant, event.case_id, event.run) == (Outcome.NOT_FOUND, "GM0202", EDE[0].id, RUN)
    assert event.route == f"GET /api/cases/{{id}}{suffix}"


def test_the_owner_reads_its_case_with_klantnummers_without_contact_data_and_it_is_audited(client, audit):
    status, body = get(client, f"/api/cases/{UTRECHT[0].id}", "coord-utrecht")
    assert status == 200
    assert body["id"] == UTRECHT[0].id and body["signalen"][0]["leverancier"] == "vitens"
    assert body["signalen"][0]["klantnummer"] == "K1"
    assert "Jansen" not in json.dumps(body)
    assert audit.events == [
        AuditEvent(
            at=NOW,
            subject="s-1",
            role="coordinator",
            tenant="GM0202",
            route="GET /api/cases/{id}",
            case_id=UTRECHT[0].id,
            run=RUN,
            outcome=Outcome.ALLOWED,
        )
    ]


def test_the_list_shows_no_klantnummers_and_each_page_is_one_audit_event_with_its_filter_and_ids(client, audit):
    status, body = get(client, "/api/cases?page_size=2&page=2&wijk=WK020201", "coord-utrecht")
    assert status == 200
    shown = [case["id"] for case in body["cases"]]
    assert shown == [UTRECHT[2].id, UTRECHT[3].id]
    assert "klantnummer" not in json.dumps(body) and "K3" not in json.dumps(body)
    (event,) = audit.events
    assert (event.route, event.outcome, event.run, event.subject) == ("GET /api/cases", Outcome.ALLOWED, RUN, "s-1")
    assert event.case_ids == sorted(shown) and event.count == 2
    assert event.filters == {"wijk": "WK020201", "page": "2", "page_size": "2"}


def test_the_contact_view_shows_names_phone_email_street_and_is_audited(client, audit):
    status, body = get(client, f"/api/cases/{UTRECHT[0].id}/contact", "coord-utrecht")
    assert status == 200
    (person,) = body["personen"]
    assert (person["achternaam"], person["telefoon"], person["email"], person["straat"]) == (
        "Jansen",
        "0612345678",
        "jansen@example.nl",
        "Dorpsstraat 1",
    )
    assert "geboortedatum" not in person
    assert audit.events == [
        AuditEvent(
            at=NOW,
            subject="s-1",
            role="coordinator",
            tenant="GM0202",
            route="GET /api/cases/{id}/contact",
            case_id=UTRECHT[0].id,
            run=RUN,
            outcome=Outcome.ALLOWED,
        )
    ]


def test_the_contact_view_is_not_shown_when_the_audit_cannot_be_written(client, audit):
    def broken(event):
        raise OSError("audit bucket unavailable")

    audit.record = broken
    status, body = get(client, f"/api/cases/{UTRECHT[0].id}/contact", "coord-utrecht")
    assert_error((status, body), 500, "internal")
    assert "Jansen" not in json.dumps(body) and "audit" not in json.dumps(body)


@pytest.mark.parametrize(
    "path",
    [
        "/api/cases?gemeente=GM0268",
        "/api/cases?page_size=500",
        "/api/cases?page=abc",
        "/api/cases?min_bedrag=NaN",
        "/api/cases?min_bedrag=10&max_bedrag=5",
        "/api/cases?herhaald=misschien",
        "/api/cases?wijk=WK020201&wijk=WK020202",
        "/api/cases?run=..%2FGM0268",
        "/api/runs?x=1",
        "/api/cases/not-a-case-id",
        f"/api/cases/{UTRECHT[0].id}?page=1",
        f"/api/cases/{UTRECHT[0].id}/contact?gemeente=GM0268",
    ],
)
def test_unknown_parameters_and_bad_values_are_400_with_the_envelope(client, path):
    assert_error(get(client, path, "coord-utrecht"), 400, "invalid_request")


def test_a_wrong_method_gets_the_envelope_too(client):
    response = client.http.post("/api/cases", body=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 405
    assert set(json.loads(response.body)["error"]) == {"code", "message"}


def test_an_unexpected_failure_is_a_generic_500_without_details(audit, caplog):
    class Exploding(MemoryCaseStore):
        def cases(self, run_id, gemeente):
            raise RuntimeError("s3://vault/cases/GM0202.json: Jansen, Dorpsstraat 1")

    with api_client(Exploding([]), MemoryRuns(), audit) as client:
        status, body = get(client, "/api/cases", "coord-utrecht")
    assert_error((status, body), 500, "internal")
    assert "Jansen" not in json.dumps(body) and "s3://" not in json.dumps(body)
    assert "RuntimeError" in caplog.text and "Jansen" not in caplog.text


def test_the_openapi_document_validates_and_lists_every_route(client):
    status, document = get(client, "/api/openapi.json")
    assert status == 200
    validate(document)
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented == chalice_routes()
    parameters = {p["name"] for p in document["paths"]["/api/cases"]["get"]["parameters"]}
    assert {
        "wijk",
        "leverancier",
        "signaaltype",
        "min_bedrag",
        "max_bedrag",
        "herhaald",
        "crisis",
        "status",
        "team",
        "run",
        "page",
        "page_size",
    } <= parameters


def test_importing_the_app_does_not_import_pyarrow():
    code = "import sys; sys.path.insert(0,'functions/api'); import app; print('pyarrow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_template_app_and_document_serve_exactly_the_route_list():
    function = function_properties(load_template(TEMPLATE_PATH), "ApiFunction")
    events = {(e["Properties"]["Method"].upper(), e["Properties"]["Path"]) for e in function["Events"].values()}
    routes = {(route.method, route.path) for route in Route}
    assert events == chalice_routes() == routes
    assert set(OPERATIONS) == set(Route)
    assert all(e["Type"] == "Api" for e in function["Events"].values())
    assert function["Handler"] == "app.app" and function["CodeUri"] == "functions/api/"
    assert all(e["Properties"]["RestApiId"] == {"Ref": "Api"} for e in function["Events"].values())
    assert function["Environment"]["Variables"]["VINDPLAATS_AUDIT_BUCKET"] == {"Ref": "AuditBucket"}


def test_the_api_requirements_pin_what_the_lock_pins_and_leave_out_pyarrow():
    lock = (ROOT / "requirements.lock").read_text()
    wanted = [
        line
        for line in (ROOT / "functions/api/requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert "chalice==1.34.0" in wanted
    assert all(f"{line} \\" in lock for line in wanted)
    assert not any(line.startswith(("pyarrow", "numpy")) for line in wanted)


@mock_aws
def test_the_s3_audit_log_writes_one_object_per_event_with_ids_only():
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="audit", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    log = S3AuditLog(s3, "audit")
    event = AuditEvent(
        at=NOW,
        subject="s-1",
        role="coordinator",
        tenant="GM0202",
        route="GET /api/cases/{id}/contact",
        case_id=UTRECHT[0].id,
        run=RUN,
        outcome=Outcome.ALLOWED,
    )
    log.record(event)
    log.record(event)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="audit")["Contents"]]
    assert len(keys) == 2 and all(k.startswith("audit/2026/11/03/GM0202/") for k in keys)
    stored = json.loads(s3.get_object(Bucket="audit", Key=keys[0])["Body"].read())
    assert AuditEvent.model_validate(stored) == event
