"""The audit log cannot be flooded: one event a refused request however many ids it names, a
request naming more than a page refused before any lookup, and a per-user limit on refusals,
through the real S3 audit log and the DynamoDB refusal counter on moto."""

import json
import secrets
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.audit import S3AuditLog
from chalicelib.adapters.aws.refusals import DynamoRefusalCounter
from chalicelib.domain.audit import MAX_IDS, AuditEvent, Outcome, RefusalLimit, ids_digest
from tests.fakes import (
    EDE,
    NOW,
    UTRECHT,
    MemoryCaseStore,
    MemoryRuns,
    api_client,
    assert_error,
    get,
    pk_sk_table,
    post,
)

REGION = "eu-west-1"
LIMIT = RefusalLimit(limit=5, window_seconds=900)


class World:
    def __init__(self, s3, table, clock):
        self.s3, self.table, self.clock = s3, table, clock

    def events(self) -> list[AuditEvent]:
        listed = self.s3.list_objects_v2(Bucket="audit").get("Contents", [])
        return [
            AuditEvent.model_validate_json(self.s3.get_object(Bucket="audit", Key=o["Key"])["Body"].read())
            for o in sorted(listed, key=lambda o: o["Key"])
        ]

    def objects(self) -> int:
        return self.s3.list_objects_v2(Bucket="audit").get("KeyCount", 0)


@pytest.fixture
def world():
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="audit", CreateBucketConfiguration={"LocationConstraint": REGION})
        table = pk_sk_table(boto3.resource("dynamodb", region_name=REGION), "cases")
        clock = [NOW]
        with api_client(
            MemoryCaseStore(UTRECHT + EDE),
            MemoryRuns(),
            S3AuditLog(s3, "audit"),
            refusals=DynamoRefusalCounter(table),
            clock=lambda: clock[0],
            refusal_limit=LIMIT,
        ) as client:
            world = World(s3, table, clock)
            world.client = client
            yield world


def random_ids(n):
    return [secrets.token_hex(8) for _ in range(n)]


@pytest.mark.parametrize("token", ["coord-utrecht", "supplier"])
def test_500_random_ids_are_refused_before_any_lookup_and_write_no_audit_object(world, token):
    assert_error(post(world.client, "/api/cases/approach", {"case_ids": random_ids(500)}, token), 400, "too_many_ids")
    assert world.objects() == 0


@pytest.mark.parametrize(
    ("token", "status", "outcome"), [("coord-utrecht", 404, "not_found"), ("supplier", 403, "denied")]
)
def test_a_page_of_random_ids_is_one_audit_object_with_the_ids_their_count_and_digest(world, token, status, outcome):
    ids = random_ids(MAX_IDS)
    assert post(world.client, "/api/cases/approach", {"case_ids": ids}, token)[0] == status
    (event,) = world.events()
    assert event.outcome == outcome and event.route == "POST /api/cases/approach"
    assert event.case_ids == sorted(ids) and event.count == MAX_IDS and event.ids_sha256 == ids_digest(ids)
    stored = world.s3.list_objects_v2(Bucket="audit")["Contents"][0]["Size"]
    assert stored < 8 * 1024  # a page of ids: about 19 bytes each


def test_a_mix_of_own_and_foreign_ids_names_only_the_refused_ones(world):
    ids = [UTRECHT[0].id, EDE[0].id, "ffffffffffffffff"]
    assert_error(post(world.client, "/api/cases/approach", {"case_ids": ids}, "coord-utrecht"), 404, "not_found")
    (event,) = world.events()
    assert event.case_ids == sorted([EDE[0].id, "ffffffffffffffff"]) and event.count == 2


@pytest.mark.parametrize("token", ["coord-utrecht", "supplier"])
def test_repeated_refusals_get_429_after_the_limit_and_the_audit_log_stops_growing(world, token):
    statuses = [
        post(world.client, "/api/cases/approach", {"case_ids": random_ids(MAX_IDS)}, token)[0] for _ in range(20)
    ]
    refused = 404 if token == "coord-utrecht" else 403
    assert statuses == [refused] * LIMIT.limit + [429] * (20 - LIMIT.limit)
    events = world.events()
    assert len(events) == LIMIT.limit + 1  # the refusals, and one rate_limited event at the crossing
    assert [e.outcome for e in events].count(Outcome.RATE_LIMITED) == 1
    # Any refused route counts against the same limit and gets 429 too; allowed requests still pass.
    assert_error(get(world.client, f"/api/cases/{EDE[0].id}", token), 429, "too_many_refusals")
    assert world.objects() == LIMIT.limit + 1
    if token == "coord-utrecht":
        assert get(world.client, f"/api/cases/{UTRECHT[0].id}", token)[0] == 200
        assert world.objects() == LIMIT.limit + 2  # the allowed view, audited


def test_the_limit_is_per_user_and_per_window_and_its_counter_expires(world):
    for _ in range(LIMIT.limit + 1):
        post(world.client, "/api/cases/approach", {"case_ids": random_ids(2)}, "coord-utrecht")
    assert_error(get(world.client, f"/api/cases/{EDE[0].id}", "coord-utrecht"), 429, "too_many_refusals")
    # Another user of the same gemeente is not held back.
    assert_error(get(world.client, f"/api/cases/{EDE[0].id}", "team-noord"), 404, "not_found")
    # The next window starts afresh.
    world.clock[0] = NOW + timedelta(seconds=LIMIT.window_seconds)
    assert_error(get(world.client, f"/api/cases/{EDE[0].id}", "coord-utrecht"), 404, "not_found")
    items = world.table.scan()["Items"]
    counters = {(i["pk"], i["sk"]): (int(i["refusals"]), int(i["expires_at"])) for i in items}
    start, end = LIMIT.window(NOW)
    assert counters[("REFUSALS#s-1", start.isoformat())] == (LIMIT.limit + 2, int(end.timestamp()))
    assert counters[("REFUSALS#s-3", start.isoformat())][0] == 1


def test_429_is_in_the_envelope_with_a_dutch_message(world):
    for _ in range(LIMIT.limit):
        post(world.client, "/api/cases/approach", {"case_ids": random_ids(2)}, "supplier")
    status, body = post(world.client, "/api/cases/approach", {"case_ids": random_ids(2)}, "supplier")
    assert status == 429 and body["error"]["code"] == "too_many_refusals"
    assert "Probeer het later opnieuw" in body["error"]["message"]
    assert json.dumps(body).count("case") == 0
