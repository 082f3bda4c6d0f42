"""The monthly workflow as deployed: its ASL, its Glue tables and its resources in template.yaml."""

import ast
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest

from chalicelib.config import Settings
from chalicelib.domain.matching import TABLE_SCHEMAS
from infra.local.athena import GLUE_TYPES, LocalAthena, QueryFailed, parse_unload
from infra.local.driver import (
    ATHENA_QUERY_SYNC,
    LAMBDA_INVOKE,
    SNS_PUBLISH,
    definition_path,
    state_machine_functions,
    steps_in_order,
)
from infra.template import PROJECT_ROOT, function_properties, resources_of_type

STEPS = ["Prepare", "RunQuery", "Publish", "Notify", "Retention"]
FUNCTIONS = {
    "PrepareFunction": "app.prepare",
    "PublishFunction": "app.publish",
    "RetentionFunction": "app.retention",
}
LAMBDA_SERVICE_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


@pytest.fixture(scope="module")
def asl(body):
    return json.loads(definition_path(body).read_text())


def props(body, logical_id, resource_type):
    resource = body["Resources"][logical_id]
    assert resource["Type"] == resource_type
    return resource["Properties"]


def tasks(asl):
    return {name: state for name, state in asl["States"].items() if state["Type"] == "Task"}


# ---------------------------------------------------------------- the ASL


def test_asl_runs_prepare_query_publish_notify_retention_in_that_order(asl):
    assert steps_in_order(asl) == STEPS
    assert set(asl["States"]) == {*STEPS, "Release", "ReportFailure", "Failed"}
    assert asl["States"]["Retention"]["End"] is True
    assert asl["States"]["Failed"]["Type"] == "Fail"


def test_every_task_retries_and_catches(asl):
    for name, state in tasks(asl).items():
        assert state["Retry"], name
        assert state["Catch"], name
        for retrier in state["Retry"]:
            assert retrier["MaxAttempts"] >= 1 and retrier["BackoffRate"] > 1, name
        (catcher,) = state["Catch"]
        assert catcher["ErrorEquals"] == ["States.ALL"], name
        # Prepare gives its lock back itself; a later step's failure goes through Release first.
        expected = {"ReportFailure": "Failed", "Prepare": "ReportFailure", "Release": "ReportFailure"}.get(
            name, "Release"
        )
        assert catcher["Next"] == expected, name
        if name == "Release":
            assert catcher["ResultPath"] == "$.release_error"  # the run's own error stays in $.error
        elif name != "ReportFailure":
            assert catcher["ResultPath"] == "$.error", name


def test_a_failed_run_gives_its_lock_back_through_the_retention_function(asl):
    release = asl["States"]["Release"]
    assert release["Resource"] == LAMBDA_INVOKE
    assert release["Parameters"] == {
        "FunctionName": "${RetentionFunctionArn}",
        "Payload": {"run_id.$": "$.run_id", "as_of.$": "$.as_of", "failed": True},
    }
    assert release["ResultPath"] is None and release["Next"] == "ReportFailure"


def test_lambda_steps_retry_lambda_service_errors_and_the_query_retries_throttling(asl):
    for name in ("Prepare", "Publish", "Retention"):
        state = asl["States"][name]
        assert state["Resource"] == LAMBDA_INVOKE
        assert set(state["Retry"][0]["ErrorEquals"]) >= LAMBDA_SERVICE_ERRORS, name
        # A function's own error is not retried: a step that failed on data fails the run.
        assert "States.ALL" not in state["Retry"][0]["ErrorEquals"]
    query = asl["States"]["RunQuery"]
    assert "Athena.TooManyRequestsException" in query["Retry"][0]["ErrorEquals"]


def test_run_query_unloads_the_prepared_query_in_the_work_group(asl):
    query = asl["States"]["RunQuery"]
    assert query["Resource"] == ATHENA_QUERY_SYNC
    assert query["Parameters"] == {
        "QueryString.$": "$.query",
        "WorkGroup": "${AthenaWorkGroup}",
        "QueryExecutionContext": {"Database": "${GlueDatabase}"},
    }
    assert query["ResultPath"] == "$.athena"
    assert set(query["ResultSelector"]) == {"query_execution_id.$", "data_scanned_bytes.$"}


def test_state_carries_the_run_id_and_as_of_to_every_later_step(asl):
    prepare = asl["States"]["Prepare"]
    assert prepare["Parameters"]["Payload.$"] == "$"
    assert prepare["ResultSelector"] == {
        "run_id.$": "$.Payload.run_id",
        "as_of.$": "$.Payload.as_of",
        "query.$": "$.Payload.query",
        "output.$": "$.Payload.output",
    }
    for name in ("Publish", "Retention"):
        payload = asl["States"][name]["Parameters"]["Payload"]
        assert payload["run_id.$"] == "$.run_id" and payload["as_of.$"] == "$.as_of", name
        assert asl["States"][name]["ResultPath"] == f"$.{name.lower()}"
    assert asl["States"]["Publish"]["Parameters"]["Payload"]["output.$"] == "$.output"


def test_notify_hands_the_publish_summary_to_the_notify_queue_which_the_notify_function_drains(body, asl):
    notify = asl["States"]["Notify"]
    assert notify["Resource"] == "arn:aws:states:::sqs:sendMessage"
    assert notify["Parameters"] == {
        "QueueUrl": "${NotifyQueueUrl}",
        "MessageBody": {"soort": "run_gepubliceerd", "publish.$": "$.publish.summary"},
    }
    assert notify["ResultPath"] == "$.notify" and notify["Next"] == "Retention"
    machine = props(body, "MatchStateMachine", "AWS::Serverless::StateMachine")
    assert machine["DefinitionSubstitutions"]["NotifyQueueUrl"] == {"Ref": "NotifyQueue"}
    (document,) = machine["Policies"]
    statements = {s["Sid"]: s for s in document["Statement"]}
    assert statements["SendRunPublished"]["Resource"] == {"Fn::GetAtt": ["NotifyQueue", "Arn"]}
    function = function_properties(body, "NotifyFunction")
    assert (function["CodeUri"], function["Handler"]) == ("functions/notify/", "app.handler")
    (event,) = function["Events"].values()
    assert event["Type"] == "SQS" and event["Properties"]["Queue"] == {"Fn::GetAtt": ["NotifyQueue", "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    queue = props(body, "NotifyQueue", "AWS::SQS::Queue")
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["NotifyDeadLetterQueue", "Arn"]}
    assert queue["VisibilityTimeout"] >= 6 * function["Timeout"]


def test_failure_report_names_the_error_but_never_its_cause(asl):
    report = asl["States"]["ReportFailure"]
    assert report["Resource"] == SNS_PUBLISH
    assert report["Parameters"]["TopicArn"] == "${AlarmTopicArn}"
    message = report["Parameters"]["Message.$"]
    assert "$.error.Error" in message and "Cause" not in message
    assert report["ResultPath"] is None
    assert asl["States"]["Failed"]["ErrorPath"] == "$.error.Error"


def test_every_substitution_in_the_asl_is_defined_by_the_template(body, asl):
    used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", json.dumps(asl)))
    defined = set(props(body, "MatchStateMachine", "AWS::Serverless::StateMachine")["DefinitionSubstitutions"])
    assert used == defined


def test_a_partitioned_unload_is_refused_as_athena_would(tmp_path):
    # UNLOAD allows at most 100 partitions and there are 342 gemeenten: the run is never partitioned.
    import pyarrow.fs as pafs

    athena = LocalAthena(glue=None, filesystem=pafs.LocalFileSystem(), database="db")
    statement = (
        "UNLOAD (SELECT 1 AS x) TO 's3://lake/runs/r/matches/' "
        "WITH (format = 'PARQUET', compression = 'ZSTD', partitioned_by = ARRAY['gemeente'])"
    )
    with pytest.raises(QueryFailed, match="partitioned"):
        athena.execute(statement)


def test_parse_unload_splits_query_target_and_options():
    statement = (
        "UNLOAD (-- why ) is fine in a comment\nSELECT ')' AS x FROM (SELECT 1) AS t)\n"
        "TO 's3://lake/runs/r1/matches/' WITH (format = 'PARQUET', compression = 'ZSTD')"
    )
    unload = parse_unload(statement)
    assert unload.query.endswith("SELECT ')' AS x FROM (SELECT 1) AS t")
    assert unload.target == "s3://lake/runs/r1/matches/"
    assert unload.options == {"format": "PARQUET", "compression": "ZSTD"}


# ---------------------------------------------------------------- Glue and Athena


def glue_tables(body):
    return {
        resource["Properties"]["TableInput"]["Name"]: resource["Properties"]
        for resource in resources_of_type(body, "AWS::Glue::Table").values()
    }


def test_glue_has_one_table_per_relation_match_sql_reads(body):
    assert set(glue_tables(body)) == set(TABLE_SCHEMAS)
    for table in glue_tables(body).values():
        assert table["DatabaseName"] == {"Ref": "GlueDatabase"}
        storage = table["TableInput"]["StorageDescriptor"]
        assert storage["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")


@pytest.mark.parametrize("name", sorted(TABLE_SCHEMAS))
def test_glue_columns_equal_the_pyarrow_schema(body, name):
    table = glue_tables(body)[name]["TableInput"]
    columns = table["StorageDescriptor"]["Columns"] + table.get("PartitionKeys", [])
    glue = [(c["Name"], GLUE_TYPES[c["Type"]]) for c in columns]
    expected = [(f.name, f.type) for f in TABLE_SCHEMAS[name]]
    if name == "signals":
        # peildatum is the Hive partition, not a column in the files.
        expected = [c for c in expected if c[0] != "peildatum"] + [("peildatum", pa.date32())]
    assert glue == expected


def test_signals_are_projected_by_peildatum_over_the_lake(body):
    table = glue_tables(body)["signals"]["TableInput"]
    assert table["PartitionKeys"] == [{"Name": "peildatum", "Type": "date"}]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.peildatum.type"] == "date"
    assert parameters["projection.peildatum.format"] == "yyyy-MM-dd"
    assert parameters["projection.peildatum.range"] == "NOW-200DAYS,NOW"
    assert parameters["storage.location.template"] == {"Fn::Sub": "s3://${LakeBucket}/signals/peildatum=${!peildatum}/"}
    assert table["StorageDescriptor"]["Location"] == {"Fn::Sub": "s3://${LakeBucket}/signals/"}


def test_parameter_tables_live_under_params(body):
    for name, table in glue_tables(body).items():
        if name != "signals":
            location = table["TableInput"]["StorageDescriptor"]["Location"]["Fn::Sub"]
            assert location.startswith(f"s3://${{LakeBucket}}/params/{name}/"), name
            assert "PartitionKeys" not in table["TableInput"], name


def test_athena_work_group_enforces_its_settings_and_caps_scans(body):
    group = props(body, "AthenaWorkGroup", "AWS::Athena::WorkGroup")["WorkGroupConfiguration"]
    assert group["EnforceWorkGroupConfiguration"] is True
    assert 0 < group["BytesScannedCutoffPerQuery"] <= 10 * 1024**3
    assert group["EngineVersion"]["SelectedEngineVersion"] == "Athena engine version 3"
    results = group["ResultConfiguration"]
    assert results["OutputLocation"] == {"Fn::Sub": "s3://${LakeBucket}/athena-results/"}
    assert results["EncryptionConfiguration"] == {
        "EncryptionOption": "SSE_KMS",
        "KmsKey": {"Fn::GetAtt": ["DataKey", "Arn"]},
    }


# ---------------------------------------------------------------- the state machine and its functions


def test_state_machine_runs_the_asl_monthly_with_logging_and_tracing(body):
    machine = props(body, "MatchStateMachine", "AWS::Serverless::StateMachine")
    assert PROJECT_ROOT / machine["DefinitionUri"] == definition_path(body)
    (event,) = machine["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == "cron(0 6 1 * ? *)"
    assert event["Properties"]["ScheduleExpressionTimezone"] == "Europe/Amsterdam"
    assert machine["Tracing"] == {"Enabled": True}
    assert machine["Logging"]["Level"] == "ALL"
    assert machine["Logging"]["Destinations"] == [
        {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["MatchStateMachineLogGroup", "Arn"]}}}
    ]


def test_state_machine_invokes_the_four_step_functions(body):
    assert set(state_machine_functions(body).values()) == set(FUNCTIONS)


def test_step_functions_have_their_handlers_in_functions_match(body):
    source = (PROJECT_ROOT / "functions/match/app.py").read_text()
    defined = {node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
    for logical_id, handler in FUNCTIONS.items():
        function = function_properties(body, logical_id)
        assert body["Resources"][logical_id]["Type"] == "AWS::Serverless::Function"
        assert (function["CodeUri"], function["Handler"]) == ("functions/match/", handler)
        assert function["Layers"] == [{"Ref": "SharedLayer"}]
        assert handler.split(".", 1)[1] in defined
        assert function["Timeout"] <= 900
    assert function_properties(body, "PublishFunction")["MemorySize"] == 1769


def test_lambda_task_timeouts_outlast_their_functions(body, asl):
    names = {
        "Prepare": "PrepareFunction",
        "Publish": "PublishFunction",
        "Retention": "RetentionFunction",
    }
    for state, function in names.items():
        assert asl["States"][state]["TimeoutSeconds"] > function_properties(body, function)["Timeout"]


def test_state_machine_policy_is_scoped(body):
    (document,) = props(body, "MatchStateMachine", "AWS::Serverless::StateMachine")["Policies"]
    statements = {s["Sid"]: s for s in document["Statement"]}
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions)
    # Only log delivery and X-Ray, which take no resource-level permissions, use "*".
    unscoped = {sid for sid, s in statements.items() if s["Resource"] == "*"}
    assert unscoped == {"DeliverExecutionLogs", "Tracing"}
    writes = statements["WriteRunOutputAndResults"]["Resource"]
    assert writes == [{"Fn::Sub": "${LakeBucket.Arn}/runs/*"}, {"Fn::Sub": "${LakeBucket.Arn}/athena-results/*"}]
    assert statements["ReportFailures"]["Resource"] == {"Ref": "AlarmTopic"}


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_step_functions_touch_objects_only_under_named_prefixes(body, logical_id):
    (document,) = function_properties(body, logical_id)["Policies"]
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert statement["Effect"] == "Allow" and all("*" not in action for action in actions)
        assert "*" not in resources
        if any(action.startswith("s3:") and action != "s3:ListBucket" for action in actions):
            for arn in resources:
                # ${Bucket.Arn}/<prefix>/*: never a whole bucket's objects.
                assert arn["Fn::Sub"].endswith("/*") and arn["Fn::Sub"].count("/") == 2, arn


def test_globals_name_the_cases_table_glue_database_and_work_group(body):
    variables = body["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["VINDPLAATS_CASES_TABLE"] == {"Ref": "CasesTable"}
    assert variables["VINDPLAATS_GLUE_DATABASE"] == {"Ref": "GlueDatabase"}
    assert variables["VINDPLAATS_ATHENA_WORKGROUP"] == {"Ref": "AthenaWorkGroup"}
    for field in ("cases_table", "glue_database", "athena_workgroup"):
        assert Settings.model_fields[field].is_required()


def test_cases_table_keys_ttl_pitr_and_encryption(body):
    table = props(body, "CasesTable", "AWS::DynamoDB::Table")
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "DataKey"}}


def test_failed_runs_raise_an_alarm(body):
    alarm = props(body, "MatchRunFailedAlarm", "AWS::CloudWatch::Alarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/States", "ExecutionsFailed")
    assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "MatchStateMachine"}}]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_lake_forgets_athena_results_after_a_week_and_parameters_with_the_signals(body):
    rules = {
        r.get("Prefix"): r for r in props(body, "LakeBucket", "AWS::S3::Bucket")["LifecycleConfiguration"]["Rules"]
    }
    assert rules["athena-results/"]["ExpirationInDays"] == 7
    # their days: test_retention_boundaries.py
    assert rules["params/"]["ExpirationInDays"] == rules["signals/"]["ExpirationInDays"]


def test_match_functions_pin_pyarrow_and_numpy():
    pins = (PROJECT_ROOT / "functions/match/requirements.txt").read_text()
    assert "pyarrow==" in pins and "numpy==" in pins  # at the lock's versions: tests/unit/test_packaging.py


def test_glue_types_cover_every_type_the_schemas_use():
    used = {f.type for schema in TABLE_SCHEMAS.values() for f in schema}
    assert used <= set(GLUE_TYPES.values())


def test_asl_file_is_where_the_template_says(body):
    assert definition_path(body) == Path(PROJECT_ROOT, "infra/statemachine/match.asl.json")
