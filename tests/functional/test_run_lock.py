"""One monthly run at a time: the lock in the cases table on moto, and Prepare refusing a second
run while one is in progress (two runs would repoint each other's parameter tables)."""

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.runs import DynamoRunLock
from chalicelib.domain.retention import RetentionPeriods
from chalicelib.services import workflow
from tests.fakes import pk_sk_table

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
UNTIL = NOW + workflow.RUN_LOCK


@pytest.fixture
def lock():
    with mock_aws():
        yield DynamoRunLock(pk_sk_table(boto3.resource("dynamodb", region_name="eu-west-1"), "cases"))


def test_a_second_run_is_refused_while_the_first_holds_the_lock(lock):
    assert lock.acquire("run-a", NOW, UNTIL) is None
    assert lock.acquire("run-b", NOW + timedelta(minutes=5), UNTIL) == ("run-a", UNTIL)
    assert lock.acquire("run-a", NOW + timedelta(minutes=1), UNTIL) is None  # a retried step of the same run


def test_only_the_holder_gives_the_lock_back(lock):
    lock.acquire("run-a", NOW, UNTIL)
    assert lock.release("run-b") is False
    assert lock.acquire("run-b", NOW, UNTIL) == ("run-a", UNTIL)
    assert lock.release("run-a") is True
    assert lock.acquire("run-b", NOW, UNTIL) is None


def test_a_crashed_runs_lock_lapses(lock):
    lock.acquire("run-a", NOW, UNTIL)
    assert lock.acquire("run-b", UNTIL - timedelta(seconds=1), UNTIL + timedelta(hours=6)) == ("run-a", UNTIL)
    assert lock.acquire("run-b", UNTIL, UNTIL + timedelta(hours=6)) is None


class _Registry:
    def __init__(self, fails: bool) -> None:
        self.fails = fails

    def registry(self):
        if self.fails:
            raise ConnectionError("registry unreachable")
        raise AssertionError("not reached in these tests")


def _deps(lock, *, registry_fails: bool = False) -> workflow.MatchDeps:
    unused = SimpleNamespace()
    return workflow.MatchDeps(
        retention=RetentionPeriods(),
        registry=_Registry(registry_fails),
        reference=unused,
        parameters=unused,
        runs=SimpleNamespace(published=lambda since: []),
        run_lake=unused,
        store=unused,
        vault=unused,
        vault_index=unused,
        signal_files=unused,
        signals=unused,
        outcomes=unused,
        lock=lock,
    )


def test_prepare_refuses_a_run_while_another_is_in_progress_and_says_which(lock):
    lock.acquire("20261201-20261201T050000-aaaaaa", NOW - timedelta(hours=1), UNTIL)
    with pytest.raises(workflow.RunInProgress, match="20261201-20261201T050000-aaaaaa is still in progress"):
        workflow.prepare(_deps(lock), date(2026, 12, 1), NOW)


def test_a_prepare_that_fails_gives_its_lock_back_at_once(lock):
    with pytest.raises(ConnectionError):
        workflow.prepare(_deps(lock, registry_fails=True), date(2026, 12, 1), NOW)
    assert lock.acquire("next-run", NOW + timedelta(minutes=1), UNTIL) is None
