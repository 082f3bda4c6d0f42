"""matching.md's retention through the workflow's Retention step on moto: the real run registry,
case store, run lake, vault and case states, with the cases worked through the API first.

A case's state item carries the DynamoDB TTL `expires_at`, written with the state; it must lapse
on the very day the Retention step removes the case (tests/unit/test_retention_boundaries.py has
every row of the table; this is the same boundary through the real adapters).
"""

import json
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import boto3
import pyarrow as pa
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.case_states import DynamoCaseStates, state_pk
from chalicelib.adapters.aws.cases import S3CaseStore
from chalicelib.adapters.aws.lake import S3Lake, signals_key
from chalicelib.adapters.aws.reports import S3Reports
from chalicelib.adapters.aws.runs import DynamoRunLock, DynamoRunRegistry, S3RunLake
from chalicelib.adapters.aws.vault import KmsVault, S3VaultIndex
from chalicelib.domain.report import Report, Status
from chalicelib.domain.retention import RetentionPeriods
from chalicelib.domain.signals import VAULT_COLUMNS
from chalicelib.services import workflow
from tests.fakes import EDE, RUN, UTRECHT, MemoryAuditLog, api_client, pk_sk_table

REGION = "eu-west-1"
LAKE, VAULT, TABLE = "lake", "vault", "cases"
AS_OF = date(2026, 11, 1)  # the run of tests.fakes.RUN
WORKED_ON = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
PEILDATUM = date(2026, 10, 28)


def midnight(day: date) -> int:
    """Epoch seconds of `day` 00:00 UTC: DynamoDB's TTL removes an item once its `expires_at` is at or before now."""
    return int(datetime.combine(day, time.min, UTC).timestamp())


class Stack:
    def __init__(self) -> None:
        s3, kms = boto3.client("s3", region_name=REGION), boto3.client("kms", region_name=REGION)
        for bucket in (LAKE, VAULT):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        self.s3, self.table = s3, pk_sk_table(boto3.resource("dynamodb", region_name=REGION), TABLE)
        self.runs = DynamoRunRegistry(self.table, clock=lambda: WORKED_ON)
        self.store = S3CaseStore(s3, kms, VAULT, key_id)
        self.states = DynamoCaseStates(self.table)
        self.vault = KmsVault(s3, kms, VAULT, key_id)
        self.vault_index = S3VaultIndex(s3, VAULT, LAKE)
        unused = SimpleNamespace()
        self.deps = workflow.MatchDeps(
            retention=RetentionPeriods(),
            registry=unused,
            reference=unused,
            parameters=unused,
            runs=self.runs,
            run_lake=S3RunLake(s3, LAKE),
            store=self.store,
            vault=self.vault,
            vault_index=self.vault_index,
            signal_files=unused,
            signals=S3Lake(s3, LAKE),
            outcomes=self.states,
            lock=DynamoRunLock(self.table),
        )

    def publish(self) -> None:
        for gemeente, cases in (("GM0202", UTRECHT), ("GM0268", EDE)):
            self.store.write(RUN, gemeente, cases, {})
        self.s3.put_object(Bucket=LAKE, Key=f"runs/{RUN}/history/part-0.parquet", Body=b"x")
        self.runs.begin(RUN, AS_OF)
        self.runs.publish(RUN, {"GM0202": len(UTRECHT), "GM0268": len(EDE)})

    def deliver(self, leverancier: str, levering: str, peildatum: date) -> None:
        schema = pa.schema([(name, pa.string()) for name in VAULT_COLUMNS])
        self.vault.put(leverancier, levering, pa.Table.from_pylist([], schema=schema))
        report = Report(leverancier=leverancier, levering=levering, bestand="x.csv", status=Status.ACCEPTED)
        S3Reports(self.s3, LAKE).write(report.model_copy(update={"peildatum": peildatum.isoformat()}))

    def retention(self, today: date) -> dict:
        return workflow.retention(self.deps, RUN, today).model_dump()

    def keys(self, prefix: str) -> list[str]:
        return sorted(item["Key"] for item in self.s3.list_objects_v2(Bucket=LAKE, Prefix=prefix).get("Contents", []))

    def case_ids(self, gemeente: str = "GM0202") -> list[str]:
        return [case.id for case in self.store.cases(RUN, gemeente)]

    def expires_at(self, case_id: str, gemeente: str = "GM0202") -> int | None:
        item = self.table.get_item(Key={"pk": state_pk(gemeente, RUN), "sk": case_id})["Item"]
        return None if item.get("expires_at") is None else int(item["expires_at"])


@pytest.fixture
def stack():
    with mock_aws():
        stack = Stack()
        stack.publish()
        yield stack


def post(client, path: str, body: dict) -> int:
    headers = {"Content-Type": "application/json", "Authorization": "Bearer coord-utrecht"}
    return client.http.post(path, body=json.dumps(body).encode(), headers=headers).status_code


def test_the_retention_step_removes_each_case_on_the_day_its_state_items_ttl_lapses(stack):
    afgerond, bezig, toegewezen = UTRECHT[0].id, UTRECHT[1].id, UTRECHT[2].id
    untouched = [case.id for case in UTRECHT[3:]]
    with api_client(stack.store, stack.runs, MemoryAuditLog(), states=stack.states, clock=lambda: WORKED_ON) as client:
        assert post(client, f"/api/cases/{toegewezen}/assign", {"team": "zuid"}) == 200
        assert post(client, "/api/cases/approach", {"case_ids": [afgerond, bezig]}) == 200
        resultaat = {"resultaat": "Vervolghulp en/of verwijzing"}
        assert post(client, f"/api/cases/{afgerond}/resultaat", resultaat) == 200

    six_months, eighteen_months = date(2027, 5, 1), date(2028, 5, 3)  # after the run; after the outcome
    assert stack.expires_at(toegewezen) == midnight(six_months)
    assert stack.expires_at(afgerond) == midnight(eighteen_months)
    assert stack.expires_at(bezig) is None  # worked: kept

    assert stack.retention(six_months - timedelta(days=1))["cases"] == 0
    assert stack.case_ids() == [case.id for case in UTRECHT]
    assert stack.retention(six_months)["cases"] == len([toegewezen, *untouched]) + len(EDE)
    assert sorted(stack.case_ids()) == sorted([afgerond, bezig])
    assert stack.case_ids("GM0268") == []

    assert stack.retention(eighteen_months - timedelta(days=1))["cases"] == 0
    assert stack.retention(eighteen_months)["cases"] == 1
    assert stack.case_ids() == [bezig]
    assert stack.retention(date(2036, 1, 1))["cases"] == 0


def test_the_retention_step_removes_signals_and_run_files_after_190_days_and_vault_objects_after_the_last_window(
    stack,
):
    stack.deliver("vitens", "20261029T080000-aaaaaa", PEILDATUM)
    for peildatum, levering in ((PEILDATUM, "20261029T080000-aaaaaa"), (AS_OF, "20261101T080000-bbbbbb")):
        stack.s3.put_object(Bucket=LAKE, Key=signals_key(peildatum.isoformat(), "vitens", levering), Body=b"x")
    stack.s3.put_object(Bucket=LAKE, Key="signals/peildatum=onzin/x.parquet", Body=b"x")  # not ours: left alone
    last_window = PEILDATUM + timedelta(days=45)  # the last run that can read the delivery

    assert stack.retention(last_window)["vault_deliveries"] == 0
    assert stack.vault_index.present() == {("vitens", "20261029T080000-aaaaaa")}
    assert stack.retention(last_window + timedelta(days=1))["vault_deliveries"] == 1
    assert stack.vault_index.present() == set()

    signals_190 = PEILDATUM + timedelta(days=190)
    assert stack.retention(signals_190 - timedelta(days=1))["signal_files"] == 0
    assert stack.retention(signals_190)["signal_files"] == 1
    assert stack.keys("signals/") == [
        "signals/peildatum=2026-11-01/vitens_20261101T080000-bbbbbb.parquet",
        "signals/peildatum=onzin/x.parquet",
    ]

    day_190 = AS_OF + timedelta(days=190)
    removed = stack.retention(day_190 - timedelta(days=1))
    assert (removed["run_files"], removed["signal_files"]) == (0, 0)
    removed = stack.retention(day_190)
    assert (removed["run_files"], removed["signal_files"]) == (1, 1)
    assert stack.keys(f"runs/{RUN}/") == []
    assert stack.keys("signals/") == ["signals/peildatum=onzin/x.parquet"]
