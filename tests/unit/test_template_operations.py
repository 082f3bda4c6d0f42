"""template.yaml is operable: explicit log groups, an alarm for every way the platform fails, a
dashboard that shows them, and API access logs that hold no tokens, query strings or addresses."""

import json

import pytest

from infra.template import Resolver, load_template, resources_of_type

FUNCTIONS = sorted(resources_of_type(load_template(), "AWS::Serverless::Function"))


@pytest.fixture(scope="module")
def body():
    return load_template()


def alarms(body):
    return resources_of_type(body, "AWS::CloudWatch::Alarm")


def alarm_on(body, namespace, metric, dimension_value):
    """The alarms on `metric` whose dimensions include `dimension_value` (a Ref or Sub)."""
    found = []
    for logical_id, alarm in alarms(body).items():
        props = alarm["Properties"]
        dimensions = [d["Value"] for d in props.get("Dimensions", [])]
        if (props.get("Namespace"), props.get("MetricName")) == (namespace, metric) and dimension_value in dimensions:
            found.append(logical_id)
    return found


def test_the_template_has_the_functions_it_had():
    assert {"IngestFunction", "PrepareFunction", "PublishFunction", "RetentionFunction", "ApiFunction"} <= set(
        FUNCTIONS
    )


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_has_an_explicit_encrypted_log_group_that_expires(body, function):
    groups = [
        props
        for props in (g["Properties"] for g in resources_of_type(body, "AWS::Logs::LogGroup").values())
        if props["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    ]
    assert len(groups) == 1, function
    assert groups[0]["RetentionInDays"] == 90
    assert groups[0]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}


def test_every_log_group_expires_and_is_encrypted(body):
    for logical_id, group in resources_of_type(body, "AWS::Logs::LogGroup").items():
        assert group["Properties"]["RetentionInDays"] in (90, 365), logical_id
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}, logical_id


def test_the_data_key_lets_cloudwatch_logs_encrypt_only_this_accounts_log_groups(body):
    statements = body["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    service = {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}
    (logs,) = [s for s in statements if s["Principal"].get("Service") == service]
    assert "kms:EncryptionContext:aws:logs:arn" in logs["Condition"]["ArnLike"]


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_alarms_on_errors_and_throttles(body, function, metric):
    assert len(alarm_on(body, "AWS/Lambda", metric, {"Ref": function})) == 1


@pytest.mark.parametrize("metric", ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"])
def test_a_matching_run_that_fails_times_out_or_is_aborted_raises_an_alarm(body, metric):
    assert len(alarm_on(body, "AWS/States", metric, {"Ref": "MatchStateMachine"})) == 1


def test_the_dead_letter_queue_depth_raises_an_alarm(body):
    assert alarm_on(
        body, "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}
    )


def test_api_5xx_rate_and_p95_latency_raise_alarms(body):
    api_name = {"Fn::Sub": "${AWS::StackName}-api"}
    assert body["Resources"]["Api"]["Properties"]["Name"] == api_name
    five = body["Resources"]["ApiServerErrorsAlarm"]["Properties"]
    stats = {m["Id"]: m["MetricStat"]["Metric"] for m in five["Metrics"] if "MetricStat" in m}
    assert stats["errors"]["MetricName"] == "5XXError" and stats["requests"]["MetricName"] == "Count"
    for metric in stats.values():
        assert {"Name": "ApiName", "Value": api_name} in metric["Dimensions"]
    assert alarm_on(body, "AWS/ApiGateway", "Latency", api_name) == ["ApiLatencyAlarm"]
    assert body["Resources"]["ApiLatencyAlarm"]["Properties"]["ExtendedStatistic"] == "p95"


def test_missing_deliveries_alarm_reads_the_notify_steps_metric(body):
    props = body["Resources"]["MissingDeliveriesAlarm"]["Properties"]
    assert props["Namespace"] == "Vindplaats"
    assert (props["MetricName"], props["Statistic"]) == ("SuppliersWithoutDelivery", "Maximum")
    # Powertools adds the service as a dimension to every metric the notify function emits.
    assert props["Dimensions"] == [{"Name": "service", "Value": "vindplaats-notify"}]
    assert (props["ComparisonOperator"], props["Threshold"]) == ("GreaterThanThreshold", 0)


def test_a_check_on_the_fifth_fails_unless_this_months_run_is_published(body):
    check = body["Resources"]["RunPublishedCheck"]["Properties"]
    (schedule,) = check["Events"].values()
    assert schedule["Properties"]["ScheduleExpression"] == "cron(0 9 5 * ? *)"
    states = check["Definition"]["States"]
    latest = states["LatestRun"]["Parameters"]
    assert latest["Key"] == {"pk": {"S": "RUN"}, "sk": {"S": "LATEST"}}  # runs.py's pointer
    assert latest["TableName"] == {"Ref": "CasesTable"}
    assert "$$.Execution.StartTime" in states["MonthStart"]["Parameters"]["month_start.$"]
    (choice,) = states["PublishedThisMonth"]["Choices"]
    assert choice == {"Variable": "$.as_of", "StringGreaterThanEqualsPath": "$.month_start", "Next": "Published"}
    assert states[states["PublishedThisMonth"]["Default"]]["Type"] == "Fail"
    assert alarm_on(body, "AWS/States", "ExecutionsFailed", {"Ref": "RunPublishedCheck"}) == ["RunNotPublishedAlarm"]


def test_every_alarm_notifies_the_alarm_topic(body):
    for logical_id, alarm in alarms(body).items():
        assert {"Ref": "AlarmTopic"} in alarm["Properties"]["AlarmActions"], logical_id


def test_the_dashboard_is_json_and_shows_every_alarm_and_function(body):
    names = set(body["Resources"])
    resolver = Resolver(
        body,
        refs={name: f"ref-{name}" for name in names},
        attributes={(name, attr): f"{attr}-{name}" for name in names for attr in ("Arn", "QueueName")},
    )
    dashboard = json.loads(resolver.resolve(body["Resources"]["Dashboard"]["Properties"]["DashboardBody"]))
    widgets = dashboard["widgets"]
    (alarm_widget,) = [w for w in widgets if w["type"] == "alarm"]
    assert set(alarm_widget["properties"]["alarms"]) == {f"Arn-{name}" for name in alarms(body)}
    charted = json.dumps([w["properties"].get("metrics", []) for w in widgets])
    for function in FUNCTIONS:
        assert charted.count(f'"ref-{function}"') == 3, function  # errors, throttles, duration


def test_api_access_logs_hold_no_tokens_query_strings_or_addresses(body):
    setting = body["Resources"]["Api"]["Properties"]["AccessLogSetting"]
    assert setting["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    fields = json.loads(setting["Format"])
    assert {"requestId", "status", "resourcePath", "responseLatency"} <= set(fields)
    text = setting["Format"]
    for forbidden in ("querystring", "requestOverride", "identity", "authorization", "$context.path", "claims"):
        assert forbidden.lower() not in text.lower(), forbidden
    assert body["Resources"]["Api"]["DependsOn"] == "ApiGatewayAccount"
