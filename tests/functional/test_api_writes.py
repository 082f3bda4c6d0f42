"""The API's write routes and supplier routes through Chalice's test client, with the real
DynamoDB and S3 adapters on moto: roles, tenancy, case state, and what suppliers are told."""

import json
from datetime import UTC, date, datetime, time

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.case_states import DynamoCaseStates
from chalicelib.adapters.aws.notify_events import SqsNotifyEvents
from chalicelib.adapters.aws.outbox import DAILY, S3SupplierOutbox
from chalicelib.adapters.aws.presign import S3Presigner
from chalicelib.adapters.aws.reports import S3Reports, report_key
from chalicelib.adapters.aws.uploads import S3Uploads
from chalicelib.domain.audit import Outcome
from chalicelib.domain.parsing import MESSAGES
from chalicelib.domain.report import MAX_FINDINGS_PER_CODE, Finding, Report, Status
from tests.fakes import (
    EDE,
    RUN,
    UTRECHT,
    MemoryAuditLog,
    MemoryCaseStore,
    MemoryRuns,
    api_client,
    assert_error,
    drain_notify_queue,
    get,
    make_case,
    pk_sk_table,
    post,
)

REGION = "eu-west-1"
LAKE, UPLOADS, TABLE = "lake", "uploads", "cases"
TWO_SUPPLIERS = make_case(9, "GM0202", signalen=(("vitens", "Water", "80.00"), ("eneco", "Energie", "300.00")))
CASES = UTRECHT + EDE + [TWO_SUPPLIERS]
ALLOWED_OUTBOX_FIELDS = {"id", "klantnummer", "gemeente", "soort", "datum", "tijdstip", "pauze_tot", "resultaat"}
# What two suppliers of one household may both find in their outboxes: nothing that links them.
SHAREABLE_OUTBOX_FIELDS = {"gemeente", "soort", "datum", "tijdstip", "pauze_tot", "resultaat"}


class CountingStates(DynamoCaseStates):
    def __init__(self, table):
        super().__init__(table)
        self.queries = 0
        self.point_reads = 0

    def states(self, gemeente, run_id):
        self.queries += 1
        return super().states(gemeente, run_id)

    def state(self, gemeente, run_id, case_id):
        self.point_reads += 1
        return super().state(gemeente, run_id, case_id)


class World:
    def __init__(self, client, audit, s3, table, states, sqs, queue):
        self.client, self.audit, self.s3, self.table, self.states = client, audit, s3, table, states
        self.sqs, self.queue = sqs, queue

    def drain(self, *, delete=True):
        """The notify function on what the API queued (as Lambda's SQS event source calls it)."""
        return drain_notify_queue(self.sqs, self.queue, S3SupplierOutbox(self.s3, LAKE), delete=delete)

    def keys(self, prefix):
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=LAKE, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def outbox(self, leverancier=""):
        """The supplier messages in the outbox (the daily files left out), after the notify
        function handled what the API queued."""
        self.drain()
        keys = [key for key in self.keys(f"outbox/leverancier/{leverancier}") if f"/{DAILY}" not in key]
        return {key: json.loads(self.s3.get_object(Bucket=LAKE, Key=key)["Body"].read()) for key in keys}

    def state_items(self):
        return self.table.scan()["Items"]  # the test may scan; the API never does


@pytest.fixture
def world():
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (LAKE, UPLOADS):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        table = pk_sk_table(boto3.resource("dynamodb", region_name=REGION), TABLE)
        audit = MemoryAuditLog()
        states = CountingStates(table)
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName="notify")["QueueUrl"]

        with api_client(
            MemoryCaseStore(CASES),
            MemoryRuns(),
            audit,
            states=states,
            outbox=S3SupplierOutbox(s3, LAKE),
            events=SqsNotifyEvents(sqs, queue),
            presign=S3Presigner(s3, UPLOADS),
            reports=S3Reports(s3, LAKE),
            incoming=S3Uploads(s3, UPLOADS),
        ) as client:
            yield World(client, audit, s3, table, states, sqs, queue)


CASE = UTRECHT[0].id  # team noord
CONTACTPOGING = {"soort": "Telefoon", "bereikt": False, "datum": "2026-11-02", "dagdeel": "Ochtend"}
WRITES = [
    (f"/api/cases/{CASE}/assign", {"team": "zuid"}, {"coord-utrecht"}),
    ("/api/cases/approach", {"case_ids": [CASE]}, {"coord-utrecht"}),
    (f"/api/cases/{CASE}/contactpogingen", CONTACTPOGING, {"coord-utrecht", "team-noord"}),
    (f"/api/cases/{CASE}/resultaat", {"resultaat": "Vervolghulp en/of verwijzing"}, {"coord-utrecht", "team-noord"}),
]


@pytest.mark.parametrize(("path", "body", "allowed"), WRITES)
@pytest.mark.parametrize("token", ["coord-utrecht", "team-noord", "supplier", "operator", None, "forged"])
def test_each_write_route_admits_only_its_roles(world, path, body, allowed, token):
    status, response = post(world.client, path, body, token)
    if token in allowed:
        assert status == 200, response
    elif token in (None, "forged"):
        assert_error((status, response), 401)
    else:
        assert_error((status, response), 403)


@pytest.mark.parametrize(("path", "body", "_"), WRITES)
def test_writing_to_another_gemeentes_case_is_404_audited_and_writes_nothing(world, path, body, _):
    path = path.replace(CASE, EDE[0].id)
    body = {"case_ids": [EDE[0].id]} if "case_ids" in body else body
    assert_error(post(world.client, path, body, "coord-utrecht"), 404, "not_found")
    (event,) = world.audit.events
    assert (event.outcome, event.tenant, event.case_id) == (Outcome.NOT_FOUND, "GM0202", EDE[0].id)
    assert world.state_items() == [] and world.outbox() == {}


def test_an_assignment_shows_in_the_list_and_moves_the_case_to_that_team(world):
    status, case = post(world.client, f"/api/cases/{UTRECHT[1].id}/assign", {"team": "zuid"}, "coord-utrecht")
    assert (status, case["team"]) == (200, "zuid")
    _, listed = get(world.client, "/api/cases?team=zuid", "coord-utrecht")
    assert [c["id"] for c in listed["cases"]] == [UTRECHT[1].id]
    _, zuid = get(world.client, "/api/cases", "team-zuid")
    assert [c["id"] for c in zuid["cases"]] == [UTRECHT[1].id]
    (item,) = world.state_items()
    assert (item["pk"], item["sk"], item["updated_by"]) == (f"STATE#GM0202#{RUN}", UTRECHT[1].id, "s-1")


def test_the_list_reads_all_case_state_with_one_query(world):
    for case in UTRECHT[:3]:
        post(world.client, f"/api/cases/{case.id}/assign", {"team": "west"}, "coord-utrecht")
    world.states.queries = 0
    _, listed = get(world.client, "/api/cases", "coord-utrecht")
    assert listed["facets"]["team"] == {"west": 3}
    assert world.states.queries == 1


def test_one_case_is_read_with_its_own_state_only(world):
    case = UTRECHT[0]
    post(world.client, f"/api/cases/{case.id}/assign", {"team": "west"}, "coord-utrecht")
    world.states.queries = world.states.point_reads = 0
    _, detail = get(world.client, f"/api/cases/{case.id}", "coord-utrecht")
    status, _ = get(world.client, f"/api/cases/{case.id}/contact", "coord-utrecht")
    assert (detail["team"], status) == ("west", 200)
    assert (world.states.queries, world.states.point_reads) == (0, 2)


def test_approaching_marks_the_cases_and_tells_each_supplier_its_own_customers_only(world):
    ids = [UTRECHT[0].id, TWO_SUPPLIERS.id]
    status, body = post(world.client, "/api/cases/approach", {"case_ids": ids}, "coord-utrecht")
    assert status == 200
    assert body == {
        "run": RUN,
        "case_ids": ids,
        "approached_on": "2026-11-03",
        "pause_until": "2026-12-03",
        "berichten": 3,
    }
    _, case = get(world.client, f"/api/cases/{TWO_SUPPLIERS.id}", "coord-utrecht")
    assert (case["status"], case["approached_on"], case["pause_until"]) == ("Opgepakt", "2026-11-03", "2026-12-03")
    _, listed = get(world.client, "/api/cases?status=Opgepakt", "coord-utrecht")
    assert {c["id"] for c in listed["cases"]} == set(ids)

    vitens, eneco = world.outbox("vitens/"), world.outbox("eneco/")
    assert all(key.startswith("outbox/leverancier/vitens/2026-11-03/") for key in vitens)
    assert sorted(m["klantnummer"] for m in vitens.values()) == ["K1", "K9"]
    assert [m["klantnummer"] for m in eneco.values()] == ["K9"]
    for message in [*vitens.values(), *eneco.values()]:
        assert set(message) == ALLOWED_OUTBOX_FIELDS
        assert (message["soort"], message["pauze_tot"], message["datum"]) == ("benaderd", "2026-12-03", "2026-11-03")
        assert (message["gemeente"], message["tijdstip"]) == ("GM0202", "2026-11-03T09:30:00Z")
        assert all(case_id not in json.dumps(message) for case_id in ids)
    # The household's two suppliers: no value in common but gemeente, dates and codes (the test
    # world gives both the same klantnummer K9; real klantnummers are each supplier's own).
    (from_eneco,) = eneco.values()
    (from_vitens,) = [m for m in vitens.values() if m["klantnummer"] == "K9"]
    shared = {k for k in from_eneco if k != "klantnummer" and from_eneco[k] == from_vitens[k]}
    assert shared <= SHAREABLE_OUTBOX_FIELDS
    assert from_eneco["id"] != from_vitens["id"]


def test_approaching_twice_overwrites_the_same_outbox_entries(world):
    for _ in range(2):
        post(world.client, "/api/cases/approach", {"case_ids": [UTRECHT[0].id]}, "coord-utrecht")
    assert len(world.outbox()) == 1


def test_an_approach_with_one_foreign_id_writes_nothing(world):
    body = {"case_ids": [UTRECHT[0].id, EDE[1].id]}
    assert_error(post(world.client, "/api/cases/approach", body, "coord-utrecht"), 404, "not_found")
    assert [(e.case_id, e.outcome) for e in world.audit.events] == [(EDE[1].id, Outcome.NOT_FOUND)]
    assert world.state_items() == [] and world.outbox() == {}


def test_contact_attempts_accumulate_on_the_case(world):
    second = CONTACTPOGING | {"bereikt": True, "soort": "Huisbezoek", "dagdeel": "Avond"}
    assert post(world.client, f"/api/cases/{CASE}/contactpogingen", CONTACTPOGING, "team-noord")[0] == 200
    status, case = post(world.client, f"/api/cases/{CASE}/contactpogingen", second, "coord-utrecht")
    assert status == 200 and len(case["contactpogingen"]) == 2
    _, read = get(world.client, f"/api/cases/{CASE}", "team-noord")
    assert read["contactpogingen"] == [
        {"soort": "Telefoon", "bereikt": False, "datum": "2026-11-02", "dagdeel": "Ochtend"},
        {"soort": "Huisbezoek", "bereikt": True, "datum": "2026-11-02", "dagdeel": "Avond"},
    ]


@pytest.mark.parametrize("route", ["contactpogingen", "resultaat"])
def test_a_wijkteam_may_not_write_to_another_teams_case(world, route):
    body = CONTACTPOGING if route == "contactpogingen" else {"resultaat": "Vervolghulp en/of verwijzing"}
    assert_error(post(world.client, f"/api/cases/{UTRECHT[1].id}/{route}", body, "team-noord"), 404, "not_found")
    assert [(e.subject, e.case_id, e.outcome) for e in world.audit.events] == [("s-3", UTRECHT[1].id, Outcome.DENIED)]
    assert world.state_items() == []


def test_an_outcome_is_recorded_and_each_supplier_learns_the_code(world):
    status, case = post(
        world.client,
        f"/api/cases/{TWO_SUPPLIERS.id}/resultaat",
        {"resultaat": "Niet opgepakt: onterecht signaal"},
        "coord-utrecht",
    )
    assert (status, case["resultaat"], case["status"]) == (
        200,
        "Niet opgepakt: onterecht signaal",
        "Niet opgepakt: onterecht signaal",
    )
    messages = list(world.outbox().values())
    assert len(messages) == 2
    assert {(m["soort"], m["resultaat"], m["klantnummer"]) for m in messages} == {
        ("resultaat", "Niet opgepakt: onterecht signaal", "K9")
    }
    assert all(set(m) <= ALLOWED_OUTBOX_FIELDS for m in messages)


def test_for_andere_reden_the_supplier_only_learns_it_was_not_picked_up(world):
    status, case = post(
        world.client, f"/api/cases/{CASE}/resultaat", {"resultaat": "Niet opgepakt: andere reden"}, "team-noord"
    )
    assert (status, case["resultaat"]) == (200, "Niet opgepakt: andere reden")
    (message,) = world.outbox("vitens/").values()
    assert message["resultaat"] == "Niet opgepakt"
    assert "andere reden" not in json.dumps(message)


def test_an_outcome_that_is_not_a_status_marks_the_case_picked_up(world):
    _, case = post(
        world.client, f"/api/cases/{CASE}/resultaat", {"resultaat": "(Budget)advies en/of quick fix"}, "coord-utrecht"
    )
    assert case["status"] == "Opgepakt"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/api/cases/{CASE}/assign", {"team": "zuid", "gemeente": "GM0268"}),
        (f"/api/cases/{CASE}/assign", {"team": "../zuid"}),
        (f"/api/cases/{CASE}/assign", {}),
        (f"/api/cases/{CASE}/assign", b"not json"),
        (f"/api/cases/{CASE}/assign", ["zuid"]),
        ("/api/cases/not-an-id/assign", {"team": "zuid"}),
        (f"/api/cases/{CASE}/assign?run=x", {"team": "zuid"}),
        ("/api/cases/approach", {"case_ids": []}),
        ("/api/cases/approach", {"case_ids": ["GM0268"]}),
        (f"/api/cases/{CASE}/contactpogingen", CONTACTPOGING | {"soort": "Postduif"}),
        (f"/api/cases/{CASE}/contactpogingen", CONTACTPOGING | {"dagdeel": "Nacht"}),
        (f"/api/cases/{CASE}/contactpogingen", CONTACTPOGING | {"datum": "gisteren"}),
        (f"/api/cases/{CASE}/contactpogingen", {"soort": "Telefoon"}),
        (f"/api/cases/{CASE}/resultaat", {"resultaat": "Opgelost"}),
        (f"/api/cases/{CASE}/resultaat", {"resultaat": "Vervolghulp en/of verwijzing", "run": "../x"}),
        (f"/api/cases/{CASE}/resultaat", b"{" + b" " * 70_000 + b"}"),
    ],
)
def test_bad_bodies_are_400_with_the_envelope_and_write_nothing(world, path, body):
    assert_error(post(world.client, path, body, "coord-utrecht"), 400, "invalid_request")
    assert world.state_items() == [] and world.outbox() == {}


def test_an_approach_naming_more_than_a_page_of_ids_is_400_too_many_ids_before_any_lookup(world):
    assert_error(
        post(world.client, "/api/cases/approach", {"case_ids": [CASE] * 201}, "coord-utrecht"), 400, "too_many_ids"
    )
    assert world.state_items() == [] and world.outbox() == {}
    assert world.audit.events == [] and world.states.queries == world.states.point_reads == 0


def test_a_write_to_an_unknown_run_is_404(world):
    body = {"team": "zuid", "run": "20200101-nope"}
    assert_error(post(world.client, f"/api/cases/{CASE}/assign", body, "coord-utrecht"), 404, "run_not_found")


# Supplier routes

SUPPLIER_ROUTES = [
    ("POST", "/api/uploads", {"filename": "levering.csv", "size": 1000}),
    ("GET", "/api/uploads/20261103T093000000000-abcd1234", None),
    ("GET", "/api/outbox?since=2026-11-01", None),
]


@pytest.mark.parametrize(("method", "path", "body"), SUPPLIER_ROUTES)
@pytest.mark.parametrize("token", ["coord-utrecht", "team-noord", "operator", None])
def test_supplier_routes_are_for_suppliers_only(world, method, path, body, token):
    result = post(world.client, path, body, token) if method == "POST" else get(world.client, path, token)
    assert_error(result, 401 if token is None else 403)


def test_an_upload_ticket_is_a_presigned_post_under_the_suppliers_own_prefix(world):
    status, ticket = post(world.client, "/api/uploads", {"filename": "../eneco/x.csv", "size": 1000}, "supplier")
    assert status == 200
    assert set(ticket) == {"levering", "url", "fields", "expires_in", "max_bytes"}
    assert ticket["fields"]["key"] == f"incoming/vitens/{ticket['levering']}/x.csv"
    assert (ticket["expires_in"], ticket["max_bytes"], ticket["fields"]["Content-Type"]) == (300, 1000, "text/csv")


@pytest.mark.parametrize(
    "body",
    [
        {"filename": "a.csv", "size": 0},
        {"filename": "a.csv", "size": 10**12},
        {"filename": "a.csv"},
        {"filename": "a.csv", "size": 10, "leverancier": "eneco"},
    ],
)
def test_a_bad_upload_request_is_400(world, body):
    assert_error(post(world.client, "/api/uploads", body, "supplier"), 400, "invalid_request")


def put_report(world, leverancier, levering):
    report = Report(leverancier=leverancier, levering=levering, bestand="x.csv", status=Status.ACCEPTED)
    world.s3.put_object(Bucket=LAKE, Key=report_key(leverancier, levering), Body=report.model_dump_json().encode())


def test_a_supplier_reads_its_own_delivery_report_and_not_another_suppliers(world):
    put_report(world, "vitens", "L-vitens-1")
    put_report(world, "eneco", "L-eneco-1")
    status, report = get(world.client, "/api/uploads/L-vitens-1", "supplier")
    assert (status, report["leverancier"], report["status"]) == (200, "vitens", "accepted")
    assert_error(get(world.client, "/api/uploads/L-eneco-1", "supplier"), 404, "not_found")
    assert_error(get(world.client, "/api/uploads/..%2Feneco%2FL-eneco-1", "supplier"), 400, "invalid_request")


def test_an_own_upload_waiting_for_ingest_is_pending_not_a_refusal_and_another_suppliers_is(world):
    status, ticket = post(world.client, "/api/uploads", {"filename": "november.csv", "size": 100}, "supplier")
    assert status == 200
    key = ticket["fields"]["key"]
    world.s3.put_object(Bucket=UPLOADS, Key=key, Body=b"klantnummer;postcode\n")
    eneco = key.replace("incoming/vitens/", "incoming/eneco/")
    world.s3.put_object(Bucket=UPLOADS, Key=eneco, Body=b"klantnummer;postcode\n")
    before = len(world.audit.events)

    pending = get(world.client, f"/api/uploads/{ticket['levering']}", "supplier")
    assert_error(pending, 404, "delivery_pending")
    assert "wordt nog gecontroleerd" in pending[1]["error"]["message"]
    assert len(world.audit.events) == before  # polling for one's own report is not a refusal

    world.s3.delete_object(Bucket=UPLOADS, Key=key)  # ingested, or never sent: no longer pending
    assert_error(get(world.client, f"/api/uploads/{ticket['levering']}", "supplier"), 404, "not_found")
    [refused] = world.audit.events[before:]
    assert (refused.outcome, refused.route) == ("not_found", "GET /api/uploads/{id}")

    put_report(world, "vitens", ticket["levering"])
    status, report = get(world.client, f"/api/uploads/{ticket['levering']}", "supplier")
    assert (status, report["status"]) == (200, "accepted")
    # eneco's upload of the same id waits under eneco's prefix, never under vitens'.
    world.s3.delete_object(Bucket=LAKE, Key=report_key("vitens", ticket["levering"]))
    assert_error(get(world.client, f"/api/uploads/{ticket['levering']}", "supplier"), 404, "not_found")


LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


def test_a_report_stored_before_reports_were_bounded_comes_back_bounded_within_the_response_limit(world):
    errors = [
        Finding(line=line, column="huisnummer", code="huisnummer_invalid", message=MESSAGES["huisnummer_invalid"])
        for line in range(2, 30_002)
    ]
    report = Report(leverancier="vitens", levering="L-vitens-2", bestand="x.csv", status=Status.REJECTED, errors=errors)
    body = report.model_dump_json().encode()
    assert len(body) > LAMBDA_RESPONSE_LIMIT
    world.s3.put_object(Bucket=LAKE, Key=report_key("vitens", "L-vitens-2"), Body=body)
    status, returned = get(world.client, "/api/uploads/L-vitens-2", "supplier")
    assert status == 200
    assert len(json.dumps(returned).encode()) < 1_000_000
    assert [e["line"] for e in returned["errors"]] == list(range(2, 2 + MAX_FINDINGS_PER_CODE))
    assert returned["errors_per_code"] == {"huisnummer_invalid": 30_000}
    assert returned["truncated"] is True and returned["note"]


def test_the_outbox_shows_only_the_suppliers_own_entries_since_the_date(world):
    post(world.client, "/api/cases/approach", {"case_ids": [UTRECHT[0].id, TWO_SUPPLIERS.id]}, "coord-utrecht")
    assert get(world.client, "/api/outbox?since=2026-11-03", "supplier")[1]["entries"] == []  # queued, not yet told
    world.drain()
    status, outbox = get(world.client, "/api/outbox?since=2026-11-03", "supplier")
    assert status == 200 and outbox["truncated"] is False
    assert sorted(e["klantnummer"] for e in outbox["entries"]) == ["K1", "K9"]
    assert {e["soort"] for e in outbox["entries"]} == {"benaderd"}
    assert get(world.client, "/api/outbox?since=2026-11-04", "supplier")[1]["entries"] == []
    assert_error(get(world.client, "/api/outbox", "supplier"), 400, "invalid_request")
    assert_error(get(world.client, "/api/outbox?since=2026-11-03&leverancier=eneco", "supplier"), 400)


def test_a_long_outbox_is_read_page_by_page_without_gaps_or_repeats(world, monkeypatch):
    monkeypatch.setattr("chalicelib.services.leveranciers.MAX_OUTBOX", 1)
    post(world.client, "/api/cases/approach", {"case_ids": [UTRECHT[0].id, TWO_SUPPLIERS.id]}, "coord-utrecht")
    status, _ = post(
        world.client,
        f"/api/cases/{UTRECHT[0].id}/resultaat",
        {"resultaat": "Vervolghulp en/of verwijzing"},
        "coord-utrecht",
    )
    assert status == 200
    world.drain()
    seen, query = [], "/api/outbox?since=2026-11-03"
    for _ in range(10):  # three entries: a cursor that does not move fails here, not forever
        status, outbox = get(world.client, query, "supplier")
        assert status == 200 and len(outbox["entries"]) <= 1
        seen += [(e["klantnummer"], e["soort"]) for e in outbox["entries"]]
        if not outbox["truncated"]:
            assert outbox["next"] is None
            break
        query = f"/api/outbox?since=2026-11-03&after={outbox['next']}"
    else:
        pytest.fail(f"the outbox cursor did not reach the end: {seen}")
    assert sorted(seen) == [("K1", "benaderd"), ("K1", "resultaat"), ("K9", "benaderd")]
    assert_error(get(world.client, "/api/outbox?since=2026-11-03&after=../eneco", "supplier"), 400, "invalid_request")


def test_the_outbox_date_helper_keeps_month_ends():
    from chalicelib.domain.cases import add_months

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def _expiry(world, case_id):
    (item,) = [item for item in world.state_items() if item["sk"] == case_id]
    return item.get("expires_on"), item.get("expires_at")


def test_each_state_item_goes_when_its_case_does(world):
    """matching.md's retention on the state items' TTL: six months after the run while nobody
    picked the case up, no expiry while it is worked, eighteen months after its outcome."""
    untouched, worked = UTRECHT[1].id, UTRECHT[2].id
    epoch = lambda day: int(datetime.combine(day, time.min, UTC).timestamp())  # noqa: E731

    post(world.client, f"/api/cases/{untouched}/assign", {"team": "zuid"}, "coord-utrecht")
    assert _expiry(world, untouched) == ("2027-05-01", epoch(date(2027, 5, 1)))  # the run is of 2026-11-01

    post(world.client, "/api/cases/approach", {"case_ids": [worked]}, "coord-utrecht")
    assert _expiry(world, worked) == (None, None)
    post(world.client, f"/api/cases/{worked}/contactpogingen", CONTACTPOGING, "coord-utrecht")
    assert _expiry(world, worked) == (None, None)

    post(world.client, f"/api/cases/{worked}/resultaat", {"resultaat": "Vervolghulp en/of verwijzing"}, "coord-utrecht")
    assert _expiry(world, worked) == ("2028-05-03", epoch(date(2028, 5, 3)))  # recorded on 2026-11-03
    post(world.client, f"/api/cases/{worked}/contactpogingen", CONTACTPOGING, "coord-utrecht")
    assert _expiry(world, worked) == ("2028-05-03", epoch(date(2028, 5, 3)))


def test_retention_reads_the_picked_up_cases_and_their_outcome_dates(world):
    never, open_, closed = (case.id for case in UTRECHT[1:4])
    post(world.client, f"/api/cases/{never}/assign", {"team": "zuid"}, "coord-utrecht")
    post(world.client, "/api/cases/approach", {"case_ids": [open_, closed]}, "coord-utrecht")
    post(world.client, f"/api/cases/{closed}/resultaat", {"resultaat": "Vervolghulp en/of verwijzing"}, "coord-utrecht")
    outcomes = DynamoCaseStates(world.table).outcomes(RUN, "GM0202")
    assert outcomes == {open_: None, closed: date(2026, 11, 3)}
    assert DynamoCaseStates(world.table).outcomes(RUN, "GM0268") == {}


def test_a_redelivered_case_event_makes_no_second_outbox_line_and_the_daily_files_match_the_api(world):
    post(world.client, "/api/cases/approach", {"case_ids": [UTRECHT[0].id, TWO_SUPPLIERS.id]}, "coord-utrecht")
    assert world.drain(delete=False) == 1  # handled, then back on the queue as if the delete was lost
    assert world.drain() == 1  # the redelivery
    assert world.drain() == 0
    entries = get(world.client, "/api/outbox?since=2026-11-03", "supplier")[1]["entries"]
    assert sorted(e["klantnummer"] for e in entries) == ["K1", "K9"]
    daily = json.loads(
        world.s3.get_object(Bucket=LAKE, Key=f"outbox/leverancier/vitens/{DAILY}2026-11-03.json")["Body"].read()
    )
    assert sorted(daily, key=lambda e: e["id"]) == sorted(entries, key=lambda e: e["id"])
    csv_lines = world.s3.get_object(Bucket=LAKE, Key=f"outbox/leverancier/vitens/{DAILY}2026-11-03.csv")["Body"].read()
    rows = csv_lines.decode().splitlines()
    assert rows[0].split(";") == [
        "id",
        "klantnummer",
        "gemeente",
        "soort",
        "datum",
        "tijdstip",
        "pauze_tot",
        "resultaat",
    ]
    assert sorted(row.split(";")[0] for row in rows[1:]) == sorted(e["id"] for e in entries)
    # eneco's daily file holds only eneco's customer
    eneco = json.loads(
        world.s3.get_object(Bucket=LAKE, Key=f"outbox/leverancier/eneco/{DAILY}2026-11-03.json")["Body"].read()
    )
    assert [e["klantnummer"] for e in eneco] == ["K9"]
