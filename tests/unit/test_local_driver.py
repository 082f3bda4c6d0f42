"""The local Step Functions driver runs match.asl.json as Step Functions would, with fakes behind it."""

import json

import pytest

from infra.local.driver import (
    ATHENA_QUERY_SYNC,
    SNS_PUBLISH,
    SQS_SEND,
    ExecutionFailed,
    LocalDriver,
    TaskFailed,
    definition_path,
    definition_substitutions,
    load_asl,
    state_machine_functions,
    steps_in_order,
    task_keys,
)
from infra.template import Resolver

RUN = {
    "run_id": "2026-05-01-abc",
    "as_of": "2026-05-01",
    "query": "UNLOAD (SELECT 1) TO 's3://lake/runs/2026-05-01-abc/matches/' WITH (format = 'PARQUET')",
    "output": "s3://lake/runs/2026-05-01-abc/matches/",
}
QUERY_EXECUTION = {
    "QueryExecution": {
        "QueryExecutionId": "q-1",
        "Status": {"State": "SUCCEEDED"},
        "Statistics": {"DataScannedInBytes": 1234},
    }
}
SUBSTITUTIONS = {
    "PrepareFunctionArn": "arn:prepare",
    "PublishFunctionArn": "arn:publish",
    "NotifyQueueUrl": "https://sqs.local/notify",
    "RetentionFunctionArn": "arn:retention",
    "AthenaWorkGroup": "wg",
    "GlueDatabase": "db",
    "AlarmTopicArn": "arn:topic",
}


@pytest.fixture(scope="module")
def asl(body):
    return load_asl(definition_path(body), SUBSTITUTIONS)


class Fakes:
    """Task callables that record what they were given; `fail` maps a key to errors to raise."""

    def __init__(self, **fail):
        self.calls: dict[str, list] = {}
        self.fail = {key: list(errors) for key, errors in fail.items()}

    def _record(self, key, payload, result):
        self.calls.setdefault(key, []).append(payload)
        if self.fail.get(key):
            raise self.fail[key].pop(0)
        return result

    def tasks(self):
        return {
            "arn:prepare": lambda p: self._record("prepare", p, dict(RUN)),
            ATHENA_QUERY_SYNC: lambda p: self._record("query", p, QUERY_EXECUTION),
            "arn:publish": lambda p: self._record("publish", p, {"cases": 3}),
            SQS_SEND: lambda p: self._record("notify", p, {"MessageId": "n-1", "MD5OfMessageBody": "x"}),
            "arn:retention": lambda p: self._record("retention", p, {"deleted": 7}),
            SNS_PUBLISH: lambda p: self._record("sns", p, {"MessageId": "m"}),
        }


def driver(asl, fakes, sleeps=None):
    return LocalDriver(asl, fakes.tasks(), sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_driver_visits_the_states_in_the_asl_order(asl):
    fakes = Fakes()
    run = driver(asl, fakes)
    run.run({"as_of": "2026-05-01"}, name="manual-may")
    assert run.visited == steps_in_order(asl) == ["Prepare", "RunQuery", "Publish", "Notify", "Retention"]
    assert "sns" not in fakes.calls


def test_state_plumbing_carries_run_id_and_as_of_and_selects_results(asl):
    fakes = Fakes()
    output = driver(asl, fakes).run({"as_of": "2026-05-01"})

    assert fakes.calls["prepare"] == [{"as_of": "2026-05-01"}]
    assert fakes.calls["query"] == [
        {
            "QueryString": RUN["query"],
            "WorkGroup": "wg",
            "QueryExecutionContext": {"Database": "db"},
        }
    ]
    assert fakes.calls["publish"] == [
        {
            "run_id": RUN["run_id"],
            "as_of": "2026-05-01",
            "output": RUN["output"],
            "query_execution_id": "q-1",
        }
    ]
    assert fakes.calls["notify"] == [
        {"QueueUrl": "https://sqs.local/notify", "MessageBody": {"soort": "run_gepubliceerd", "publish": {"cases": 3}}}
    ]
    assert fakes.calls["retention"] == [{"run_id": RUN["run_id"], "as_of": "2026-05-01"}]
    assert output == RUN | {
        "athena": {"query_execution_id": "q-1", "data_scanned_bytes": 1234},
        "publish": {"summary": {"cases": 3}},
        "notify": {"message_id": "n-1"},
        "retention": {"summary": {"deleted": 7}},
    }


def test_a_failed_query_is_reported_and_leaves_publish_unrun(asl):
    fakes = Fakes(query=[RuntimeError("HIVE_BAD_DATA: huishouden 1234AB|1 is odd")])
    run = driver(asl, fakes)

    with pytest.raises(ExecutionFailed) as failed:
        run.run({}, name="may-run")

    assert run.visited == ["Prepare", "RunQuery", "Release", "ReportFailure", "Failed"]
    assert "publish" not in fakes.calls
    # The run's lock is given back through the Retention function, which then removes nothing.
    assert fakes.calls["retention"] == [{"run_id": RUN["run_id"], "as_of": "2026-05-01", "failed": True}]
    assert (failed.value.state, failed.value.error) == ("Failed", "States.TaskFailed")
    assert "HIVE_BAD_DATA" in failed.value.cause
    (message,) = fakes.calls["sns"]
    assert message["TopicArn"] == "arn:topic"
    assert "may-run" in message["Message"] and "States.TaskFailed" in message["Message"]
    assert "1234AB" not in message["Message"]  # the cause may quote data; the mail never does
    assert message["Message"].endswith(":execution:local:may-run")


def test_lambda_throttling_is_retried_with_backoff(asl):
    throttled = [TaskFailed("Lambda.TooManyRequestsException")] * 2
    fakes, sleeps = Fakes(prepare=throttled), []
    driver(asl, fakes, sleeps).run({})
    assert len(fakes.calls["prepare"]) == 3
    assert sleeps == [2, 4]


def test_retries_stop_at_max_attempts_and_then_the_catch_reports(asl):
    fakes, sleeps = Fakes(publish=[TaskFailed("Lambda.ServiceException")] * 10), []
    run = driver(asl, fakes, sleeps)
    with pytest.raises(ExecutionFailed) as failed:
        run.run({})
    assert len(fakes.calls["publish"]) == 1 + 5
    assert sleeps == [2, 4, 8, 16, 32]
    assert [r[:2] for r in run.retries] == [("Publish", "Lambda.ServiceException")] * 5
    assert failed.value.error == "Lambda.ServiceException"
    assert "notify" not in fakes.calls


def test_a_function_error_is_not_retried_and_is_named_by_its_type(asl):
    fakes = Fakes(prepare=[ValueError("no registry")])
    run = driver(asl, fakes)
    with pytest.raises(ExecutionFailed) as failed:
        run.run({})
    assert len(fakes.calls["prepare"]) == 1
    assert failed.value.error == "ValueError"
    assert json.loads(failed.value.cause) == {"errorMessage": "no registry", "errorType": "ValueError"}
    assert run.visited == ["Prepare", "ReportFailure", "Failed"]


def test_a_failing_failure_report_still_fails_the_execution(asl):
    fakes = Fakes(query=[RuntimeError("boom")], sns=[RuntimeError("sns down")] * 4)
    run = driver(asl, fakes)
    with pytest.raises(ExecutionFailed) as failed:
        run.run({})
    assert len(fakes.calls["sns"]) == 4  # one try and three retries
    assert run.visited[-1] == "Failed"
    assert failed.value.error == "States.TaskFailed"


def test_a_result_without_a_selected_field_fails_uncaught(asl):
    fakes = Fakes()
    tasks = fakes.tasks() | {"arn:prepare": lambda p: {"run_id": "r"}}
    run = LocalDriver(asl, tasks, sleep=lambda s: None)
    with pytest.raises(ExecutionFailed) as failed:
        run.run({})
    # States.Runtime is not caught by States.ALL: the alarm on failed executions reports it.
    assert (failed.value.state, failed.value.error) == ("Prepare", "States.Runtime")
    assert run.visited == ["Prepare"]


def test_every_task_needs_a_local_implementation(asl):
    tasks = Fakes().tasks()
    del tasks[ATHENA_QUERY_SYNC]
    with pytest.raises(ValueError, match="RunQuery"):
        LocalDriver(asl, tasks)


def test_template_substitutions_resolve_to_local_arns_the_local_wiring_knows(body):
    refs = {
        "AthenaWorkGroup": "vindplaats-match",
        "GlueDatabase": "vindplaats_dev",
        "AlarmTopic": "arn:aws:sns:eu-west-1:123456789012:vindplaats-AlarmTopic",
        "NotifyQueue": "https://sqs.eu-west-1.amazonaws.com/123456789012/vindplaats-NotifyQueue",
    }
    substitutions = definition_substitutions(body, Resolver(body, refs=refs))
    assert substitutions["PrepareFunctionArn"] == (
        "arn:aws:lambda:eu-west-1:123456789012:function:vindplaats-PrepareFunction"
    )
    assert substitutions["GlueDatabase"] == "vindplaats_dev"
    asl = load_asl(definition_path(body), substitutions)
    # What local_workflow provides: one callable per invoked function, Athena, SNS and SQS.
    provided = {substitutions[name] for name in state_machine_functions(body)}
    provided |= {ATHENA_QUERY_SYNC, SNS_PUBLISH, SQS_SEND}
    assert set(task_keys(asl).values()) == provided


def test_unknown_substitutions_are_an_error(body):
    with pytest.raises(KeyError):
        load_asl(definition_path(body), {"GlueDatabase": "db"})
