"""Caps on growing items: a case holds at most `max_contactpogingen` contact attempts (409 with a
Dutch message after, checked atomically in DynamoDB), and the largest state item the API can write
stays under DynamoDB's 400 KB item limit, computed as DynamoDB counts it (moto does not enforce it)."""

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.case_states import DynamoCaseStates
from chalicelib.adapters.aws.jwks import MAX_TOKEN_LENGTH
from chalicelib.config import Audit
from chalicelib.domain.cases import Contactpoging
from chalicelib.domain.casework import CONTACTSOORTEN, DAGDELEN, EINDRESULTATEN, MAX_CONTACTPOGINGEN, SIGNAALSTATUSSEN
from chalicelib.domain.errors import LimitReached
from tests.fakes import RUN, UTRECHT, MemoryAuditLog, MemoryCaseStore, MemoryRuns, api_client, pk_sk_table, post

REGION = "eu-west-1"
ITEM_LIMIT = 400 * 1024  # DynamoDB's, attribute names and values together
CASE = UTRECHT[2].id
POGING = {"soort": "Telefoon", "bereikt": False, "datum": "2026-11-02", "dagdeel": "Ochtend"}


def dynamodb_size(item: Mapping) -> int:
    """The item's size as DynamoDB counts it: each attribute's UTF-8 name plus its value."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def value_size(value) -> int:
    """DynamoDB's sizes: a string its UTF-8 bytes, a number (significant digits / 2) + 1 (+1 when
    negative), a boolean or null 1, a list or map 3 plus 1 a member plus the members (a map's names too)."""
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, bytes | bytearray):
        return len(value)
    if isinstance(value, int | Decimal):
        significant = len(Decimal(value).normalize().as_tuple().digits)  # normalised: no trailing zeros
        return math.ceil(significant / 2) + 1 + (1 if value < 0 else 0)
    if isinstance(value, Mapping):
        return 3 + sum(1 + len(name.encode()) + value_size(member) for name, member in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(1 + value_size(member) for member in value)
    raise TypeError(type(value))


@pytest.mark.parametrize(
    ("item", "size"),
    [
        ({"a": "abc"}, 4),  # name 1 + 3 bytes
        ({"naam": "é"}, 6),  # UTF-8: 2 bytes
        ({"n": Decimal(12345)}, 1 + 4),  # 5 significant digits: 3 + 1
        ({"n": 1000}, 1 + 2),  # 1 significant digit
        ({"b": True, "z": None}, 4),
        ({"l": []}, 4),
        ({"l": ["ab", "c"]}, 1 + 3 + (1 + 2) + (1 + 1)),
        ({"m": {"x": "yz"}}, 1 + 3 + (1 + 1 + 2)),
    ],
)
def test_the_size_is_counted_as_dynamodb_counts_it(item, size):
    assert dynamodb_size(item) == size


@pytest.fixture
def table():
    with mock_aws():
        yield pk_sk_table(boto3.resource("dynamodb", region_name=REGION), "cases")


def longest(values) -> str:
    return max(values, key=lambda value: len(value.encode()))


def test_the_largest_state_item_the_api_can_write_stays_under_400_kb(table):
    """Every field at its largest: the longest status, outcome and team, a subject as long as a
    token claim may be, dates set, and the most attempts the setting allows, each the longest."""
    states = DynamoCaseStates(table)
    cap = Audit.model_fields["max_contactpogingen"].metadata[1].le  # the setting's upper bound
    gemeente, run = "GM0202", "r" * 64  # RunId: at most 64 characters
    subject = "s" * MAX_TOKEN_LENGTH  # more than a token of that length can carry as its sub
    at = datetime(2026, 11, 3, 9, 30, 12, 123456, tzinfo=UTC)
    fields = {
        "status": longest(SIGNAALSTATUSSEN),
        "team": "t" * 64,  # Code
        "resultaat": longest(EINDRESULTATEN),
        "resultaat_op": date(2026, 11, 3),
        "approached_on": date(2026, 11, 3),
        "pause_until": date(2026, 12, 3),
        "expires_on": date(2028, 11, 3),
    }
    poging = Contactpoging(
        soort=longest(CONTACTSOORTEN), bereikt=True, datum=date(2026, 11, 3), dagdeel=longest(DAGDELEN)
    )
    states.update(gemeente, run, "f" * 16, fields, by=subject, at=at)
    # All but the last attempt at once (moto takes a minute for a thousand appends), stored as the
    # adapter stores one; the last through the adapter, which then refuses one more.
    key = {"pk": f"STATE#{gemeente}#{run}", "sk": "f" * 16}
    table.update_item(
        Key=key,
        UpdateExpression="SET contactpogingen = :all",
        ExpressionAttributeValues={":all": [poging.model_dump(mode="json")] * (cap - 1)},
    )
    states.update(gemeente, run, "f" * 16, {}, by=subject, at=at, contactpoging=poging, max_contactpogingen=cap)
    with pytest.raises(LimitReached):
        states.update(gemeente, run, "f" * 16, {}, by=subject, at=at, contactpoging=poging, max_contactpogingen=cap)
    item = table.get_item(Key=key)["Item"]
    assert len(item["contactpogingen"]) == cap
    size = dynamodb_size(item)
    assert size < ITEM_LIMIT, size
    per_attempt = (size - dynamodb_size({k: v for k, v in item.items() if k != "contactpogingen"})) / cap
    # The default cap leaves the item a small fraction of the limit; without a cap, about this
    # many attempts would break it.
    default = (
        dynamodb_size({k: v for k, v in item.items() if k != "contactpogingen"}) + per_attempt * MAX_CONTACTPOGINGEN
    )
    assert default < ITEM_LIMIT / 20
    assert (ITEM_LIMIT - default) / per_attempt > 3000


def test_the_cap_is_atomic_a_writer_with_a_stale_view_cannot_pass_it(table):
    states = DynamoCaseStates(table)
    at = datetime(2026, 11, 3, tzinfo=UTC)
    poging = Contactpoging.model_validate(POGING)
    for _ in range(3):
        states.update("GM0202", RUN, CASE, {}, by="s-1", at=at, contactpoging=poging, max_contactpogingen=3)
    # Another container read the case with two attempts and appends: DynamoDB's condition refuses it.
    with pytest.raises(LimitReached) as caught:
        states.update("GM0202", RUN, CASE, {}, by="s-2", at=at, contactpoging=poging, max_contactpogingen=3)
    assert caught.value.code == "contactpogingen_limit"
    state = states.state("GM0202", RUN, CASE)
    assert len(state.contactpogingen) == 3 and state.updated_by == "s-1"


def test_one_attempt_over_the_cap_is_a_409_in_dutch_and_writes_nothing(table):
    audit = MemoryAuditLog()
    states = DynamoCaseStates(table)
    with api_client(MemoryCaseStore(UTRECHT), MemoryRuns(), audit, states=states, max_contactpogingen=3) as client:
        path = f"/api/cases/{CASE}/contactpogingen"
        for n in range(3):
            status, body = post(client, path, POGING, "coord-utrecht")
            assert status == 200 and len(body["contactpogingen"]) == n + 1
        audited = len(audit.events)
        status, body = post(client, path, POGING, "coord-utrecht")
    assert status == 409, body
    assert body["error"]["code"] == "contactpogingen_limit"
    assert "al 3 contactpogingen" in body["error"]["message"]
    assert len(states.state("GM0202", RUN, CASE).contactpogingen) == 3
    assert len(audit.events) == audited  # a refused write is not a change
