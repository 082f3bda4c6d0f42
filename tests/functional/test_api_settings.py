"""`GET/PUT /api/settings` through Chalice's test client, with the real registry adapter on moto:
roles, own gemeente only, the registry's validation, and the audit of each change."""

import json

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.registry import DynamoGemeenten, import_registry, load_registry
from chalicelib.domain.audit import Outcome
from tests.fakes import UTRECHT, MemoryAuditLog, MemoryCaseStore, MemoryRuns, api_client, assert_error, get, pk_sk_table

REGION = "eu-west-1"
RULE = {
    "min_leveranciers": 3,
    "min_dagen": 30,
    "max_dagen": 365,
    "min_bedrag": 25.5,
    "signaaltypen": ["Water", "Energie"],
    "venster": {"Water": [60, 3650]},
}


class World:
    def __init__(self, client, audit, table):
        self.client, self.audit, self.table = client, audit, table

    def gemeente(self, code):
        return load_registry(self.table).gemeente(code)


@pytest.fixture
def world(registry_toml):
    with mock_aws():
        table = pk_sk_table(boto3.resource("dynamodb", region_name=REGION), "registry")
        import_registry(registry_toml, table)
        audit = MemoryAuditLog()
        with api_client(MemoryCaseStore(UTRECHT), MemoryRuns(), audit, gemeenten=DynamoGemeenten(table)) as client:
            yield World(client, audit, table)


def put(client, body, token="coord-utrecht"):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = client.http.put("/api/settings", body=json.dumps(body).encode(), headers=headers)
    assert "Traceback" not in (response.body or b"").decode()
    return response.status_code, json.loads(response.body) if response.body else None


@pytest.mark.parametrize("token", ["coord-utrecht", "team-noord", "supplier", "operator", None, "forged"])
def test_only_a_coordinator_reads_or_changes_the_settings(world, token):
    before = world.gemeente("GM0202")
    results = [get(world.client, "/api/settings", token), put(world.client, RULE, token)]
    for result in results:
        if token == "coord-utrecht":
            assert result[0] == 200, result
        elif token in (None, "forged"):
            assert_error(result, 401)
        else:
            assert_error(result, 403)
    if token != "coord-utrecht":
        assert world.gemeente("GM0202") == before
        # A refused role is audited (both requests), a missing or forged token is not.
        refused = (
            []
            if token in (None, "forged")
            else [("GET /api/settings", Outcome.DENIED), ("PUT /api/settings", Outcome.DENIED)]
        )
        assert [(e.route, e.outcome) for e in world.audit.events] == refused


def test_a_coordinator_reads_its_own_gemeentes_rule(world):
    status, body = get(world.client, "/api/settings", "coord-ede")
    assert status == 200
    assert body == {
        "code": "GM0268",
        "naam": "Nijmegen",
        "min_leveranciers": 3,
        "min_dagen": 10,
        "max_dagen": 200,
        "min_bedrag": 0.0,
        "signaaltypen": ["Water"],
        "venster": {},
    }


def test_a_change_is_stored_read_back_and_audited_without_touching_another_gemeente(world, registry):
    other = world.table.get_item(Key={"pk": "GEMEENTE", "sk": "GM0268"})["Item"]
    status, body = put(world.client, RULE)
    assert status == 200, body
    expected = {"code": "GM0202", "naam": "Arnhem", **RULE, "venster": {"Water": [60, 3650]}}
    assert body == expected
    assert get(world.client, "/api/settings", "coord-utrecht") == (200, expected)
    stored = world.gemeente("GM0202")
    assert (stored.min_leveranciers, stored.min_dagen, stored.max_dagen, str(stored.min_bedrag)) == (
        3,
        30,
        365,
        "25.50",
    )
    assert stored.signaaltypen == ("Water", "Energie") and stored.venster == {"Water": (60, 3650)}
    assert world.table.get_item(Key={"pk": "GEMEENTE", "sk": "GM0268"})["Item"] == other
    assert load_registry(world.table).convenanten == registry.convenanten  # the rest of the registry stays
    (event,) = world.audit.events
    assert (event.route, event.tenant, event.subject, event.outcome) == (
        "PUT /api/settings",
        "GM0202",
        "s-1",
        Outcome.ALLOWED,
    )
    assert "Arnhem" not in event.model_dump_json()


@pytest.mark.parametrize("field", [{"code": "GM0268"}, {"gemeente": "GM0268"}, {"naam": "Anders"}])
def test_a_body_cannot_name_a_gemeente_or_rename_it(world, field):
    assert_error(put(world.client, {**RULE, **field}), 400, "invalid_request")
    assert world.gemeente("GM0202").naam == "Arnhem"
    assert world.gemeente("GM0268").min_leveranciers == 3
    assert world.audit.events == []


@pytest.mark.parametrize(
    "change",
    [
        {"min_dagen": 400, "max_dagen": 300},
        {"signaaltypen": ["Kabel"]},
        {"venster": {"Water": [90, 30]}},
        {"venster": {"Kabel": [0, 30]}},
        {"min_leveranciers": 0},
        {"min_dagen": -1},
        {"min_bedrag": 1_000_000},
        {"min_bedrag": "veel"},
        {"min_leveranciers": True},
    ],
)
def test_an_invalid_rule_is_400_and_changes_nothing(world, change):
    before = world.gemeente("GM0202")
    assert_error(put(world.client, {**RULE, **change}), 400, "invalid_request")
    assert world.gemeente("GM0202") == before
    assert world.audit.events == []


def test_a_missing_field_or_a_query_parameter_is_400(world):
    assert_error(put(world.client, {k: v for k, v in RULE.items() if k != "max_dagen"}), 400, "invalid_request")
    assert_error(get(world.client, "/api/settings?gemeente=GM0268", "coord-utrecht"), 400, "invalid_request")


def test_the_range_error_names_the_rule_in_dutch(world):
    _, body = put(world.client, {**RULE, "min_dagen": 400, "max_dagen": 300})
    assert "min_dagen (400) is groter dan max_dagen (300)" in body["error"]["message"]


def test_a_gemeente_missing_from_the_registry_is_404(world):
    world.table.delete_item(Key={"pk": "GEMEENTE", "sk": "GM0202"})
    assert_error(get(world.client, "/api/settings", "coord-utrecht"), 404, "not_found")
    assert_error(put(world.client, RULE), 404, "not_found")
    assert "Item" not in world.table.get_item(Key={"pk": "GEMEENTE", "sk": "GM0202"})
