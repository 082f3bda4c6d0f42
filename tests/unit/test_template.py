"""template.yaml: lint-clean, and the resources and settings the rest of the code relies on."""

import re
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from chalicelib.config import Settings
from infra.template import (
    TEMPLATE_PATH,
    Resolver,
    UnresolvedIntrinsic,
    function_properties,
    load_template,
    references,
    resources_of_type,
)

BUCKETS = ("UploadBucket", "LakeBucket", "VaultBucket")


def resource(body, logical_id, resource_type):
    found = body["Resources"][logical_id]
    assert found["Type"] == resource_type
    return found["Properties"]


def lifecycle_rule(bucket, prefix):
    rules = [r for r in bucket["LifecycleConfiguration"]["Rules"] if r.get("Prefix") == prefix]
    assert len(rules) == 1, prefix
    assert rules[0]["Status"] == "Enabled"
    return rules[0]


def test_cfn_lint_reports_no_errors():
    matches = lint_file(TEMPLATE_PATH, ManualArgs(regions=["eu-west-1"]))
    errors = [m for m in matches if m.rule.id.startswith("E")]
    assert errors == [], "\n".join(str(m) for m in errors)


def test_loader_reads_short_tags_into_long_forms(tmp_path: Path):
    path = tmp_path / "t.yaml"
    path.write_text(
        "A: !Ref X\nB: !GetAtt Q.Arn\nC: !Sub '${AWS::StackName}-x'\n"
        "D: !If [Cond, !Select [0, !Split [',', 'a,b']], !Join ['-', [a, b]]]\n"
        "E: !Not [!Equals [!Ref P, '']]\nF: 2012-10-17\n"
    )
    assert load_template(path) == {
        "A": {"Ref": "X"},
        "B": {"Fn::GetAtt": ["Q", "Arn"]},
        "C": {"Fn::Sub": "${AWS::StackName}-x"},
        "D": {"Fn::If": ["Cond", {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}, {"Fn::Join": ["-", ["a", "b"]]}]},
        "E": {"Fn::Not": [{"Fn::Equals": [{"Ref": "P"}, ""]}]},
        "F": "2012-10-17",
    }


def test_resolver_evaluates_ref_sub_getatt_and_conditions():
    body = {
        "Parameters": {"Stage": {"Type": "String", "Default": "dev"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
    }
    resolver = Resolver(
        body,
        stack_name="s",
        account_id="111",
        region="eu-west-1",
        refs={"Q": "https://q"},
        attributes={("Q", "Arn"): "arn:q"},
    )
    value = {
        "name": {"Fn::Sub": "${AWS::StackName}-${Stage}-${AWS::AccountId}-${!Literal}"},
        "url": {"Ref": "Q"},
        "arn": {"Fn::GetAtt": ["Q", "Arn"]},
        "in_sub": {"Fn::Sub": ["${Q.Arn}/${x}", {"x": {"Ref": "AWS::Region"}}]},
        "if": {"Fn::If": ["IsProd", "big", {"Ref": "AWS::NoValue"}]},
        "list": ["a", {"Ref": "AWS::NoValue"}],
    }
    assert resolver.resolve(value) == {
        "name": "s-dev-111-${Literal}",
        "url": "https://q",
        "arn": "arn:q",
        "in_sub": "arn:q/eu-west-1",
        "list": ["a"],
    }
    with pytest.raises(UnresolvedIntrinsic):
        resolver.resolve({"Ref": "Unknown"})


def test_references_finds_ref_getatt_and_sub_targets(body):
    assert references(body["Resources"]["UploadBucket"]["Properties"]) == {
        "DataKey",
        "IngestQueue",
        "AccessLogBucket",
        "PageUrl",
    }
    assert references({"Fn::Sub": ["${A}-${B.Arn}-${AWS::Region}-${c}", {"c": {"Ref": "C"}}]}) == {"A", "B", "C"}


def test_globals_environment_names_are_the_settings_fields(body):
    variables = body["Globals"]["Function"]["Environment"]["Variables"]
    prefix = Settings.model_config["env_prefix"]
    names = {name for name in variables if name.startswith(prefix)}
    fields = {prefix + name.upper(): field for name, field in Settings.model_fields.items()}
    # Optional fields (local-only overrides) may be absent; every required one must be set.
    assert names <= set(fields)
    assert {name for name, field in fields.items() if field.is_required()} <= names
    assert variables["POWERTOOLS_SERVICE_NAME"] == "vindplaats"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Vindplaats"
    assert "POWERTOOLS_LOG_LEVEL" in variables
    assert variables["VINDPLAATS_VAULT_KEY_ID"] == {"Ref": "VaultKey"}
    assert variables["VINDPLAATS_PSEUDONYM_SECRET_ID"] == {"Ref": "PseudonymSecret"}
    assert body["Globals"]["Function"]["Tracing"] == "Active"


def test_stage_and_alarm_email_parameters(body):
    assert body["Parameters"]["Stage"]["Default"] == "dev"
    assert body["Parameters"]["AlarmEmail"]["Default"] == ""


@pytest.mark.parametrize("logical_id", BUCKETS)
def test_every_bucket_is_kms_encrypted_private_and_tls_only(body, logical_id):
    bucket = resource(body, logical_id, "AWS::S3::Bucket")
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": {"Fn::GetAtt": ["DataKey", "Arn"]},
    }
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (policy,) = [
        r["Properties"]
        for r in resources_of_type(body, "AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": logical_id}
    ]
    deny = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert any(
        s["Principal"] == "*"
        and s["Action"] == "s3:*"
        and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        and {"Fn::GetAtt": [logical_id, "Arn"]} in s["Resource"]
        and {"Fn::Sub": f"${{{logical_id}.Arn}}/*"} in s["Resource"]
        for s in deny
    )


def test_bucket_names_are_fixed_per_stack_and_account(body):
    for logical_id, kind in zip(BUCKETS, ("uploads", "lake", "vault"), strict=False):
        name = resource(body, logical_id, "AWS::S3::Bucket")["BucketName"]
        assert name == {"Fn::Sub": f"${{AWS::StackName}}-{kind}-${{AWS::AccountId}}"}


def test_upload_bucket_forgets_raw_uploads_and_notifies_the_ingest_queue(body):
    bucket = resource(body, "UploadBucket", "AWS::S3::Bucket")
    assert "VersioningConfiguration" not in bucket
    assert lifecycle_rule(bucket, "incoming/")["ExpirationInDays"] == 2
    lifecycle_rule(bucket, "quarantine/")  # its days: test_retention_boundaries.py
    assert any("AbortIncompleteMultipartUpload" in r for r in bucket["LifecycleConfiguration"]["Rules"])
    (notification,) = bucket["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "incoming/"}]
    assert body["Resources"]["UploadBucket"]["DependsOn"] == "IngestQueuePolicy"


@pytest.mark.parametrize(
    ("page_url", "origin"),
    [
        ("https://vindplaats.example.org/", "https://vindplaats.example.org"),
        (
            "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/",
            "https://abc123.execute-api.eu-west-1.amazonaws.com",
        ),
        ("https://vindplaats.gemeente.nl:8443", "https://vindplaats.gemeente.nl:8443"),
    ],
)
def test_upload_bucket_lets_only_the_pages_origin_post(body, page_url, origin):
    """One CORS rule, as narrow as the page's presigned POST: that method, that origin, no
    request headers and nothing exposed (the page reads only the status), a cached preflight."""
    bucket = resource(body, "UploadBucket", "AWS::S3::Bucket")
    (rule,) = Resolver(body, parameters={"PageUrl": page_url}).resolve(bucket["CorsConfiguration"]["CorsRules"])
    assert rule == {"Id": "page-upload", "AllowedMethods": ["POST"], "AllowedOrigins": [origin], "MaxAge": 3600}


def test_the_page_url_must_be_https_and_its_default_passes(body):
    parameter = body["Parameters"]["PageUrl"]
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch(parameter["Default"])
    for refused in ("http://vindplaats.example.org/", "https://*.example.org/", "https://a b/", "vindplaats.nl"):
        assert not pattern.fullmatch(refused), refused


def test_lake_is_versioned_with_short_lived_old_versions_and_signal_retention(body):
    bucket = resource(body, "LakeBucket", "AWS::S3::Bucket")
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert any(
        r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == 1
        for r in bucket["LifecycleConfiguration"]["Rules"]
    )
    lifecycle_rule(bucket, "signals/")  # their days, and the outboxes': test_retention_boundaries.py
    lifecycle_rule(bucket, "outbox/")


def test_vault_is_unversioned_with_a_backstop_expiry(body):
    bucket = resource(body, "VaultBucket", "AWS::S3::Bucket")
    assert "VersioningConfiguration" not in bucket
    assert lifecycle_rule(bucket, "vault/")["ExpirationInDays"] == 400


def test_data_key_rotates_and_has_an_alias(body):
    key = resource(body, "DataKey", "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    root = key["KeyPolicy"]["Statement"][0]
    assert root["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}
    assert resource(body, "DataKeyAlias", "AWS::KMS::Alias")["TargetKeyId"] == {"Ref": "DataKey"}


def test_ingest_queue_redrives_to_the_dlq_and_outlasts_the_function(body):
    queue = resource(body, "IngestQueue", "AWS::SQS::Queue")
    timeout = function_properties(body, "IngestFunction")["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["IngestDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 3,
    }
    assert queue["SqsManagedSseEnabled"] is True
    dlq = resource(body, "IngestDeadLetterQueue", "AWS::SQS::Queue")
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["SqsManagedSseEnabled"] is True


def test_queue_policy_lets_only_the_upload_bucket_send(body):
    policy = resource(body, "IngestQueuePolicy", "AWS::SQS::QueuePolicy")
    assert policy["Queues"] == [{"Ref": "IngestQueue"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    source = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    # By name, not !Ref UploadBucket: the bucket depends on this policy.
    assert source == {"Fn::Sub": "arn:${AWS::Partition}:s3:::${AWS::StackName}-uploads-${AWS::AccountId}"}


def test_tables_have_their_keys_pitr_and_encryption(body):
    idempotency = resource(body, "IdempotencyTable", "AWS::DynamoDB::Table")
    assert idempotency["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert idempotency["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert idempotency["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    registry = resource(body, "RegistryTable", "AWS::DynamoDB::Table")
    assert registry["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    for table in (idempotency, registry):
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert table["SSESpecification"]["SSEEnabled"] is True


def test_pseudonym_secret_is_generated_and_kms_encrypted(body):
    secret = resource(body, "PseudonymSecret", "AWS::SecretsManager::Secret")
    assert secret["KmsKeyId"] == {"Ref": "DataKey"}
    assert secret["GenerateSecretString"] == {"PasswordLength": 64, "ExcludePunctuation": True}


def test_shared_layer_is_built_by_the_makefile(body):
    layer = body["Resources"]["SharedLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    # Only chalicelib is copied to SAM's scratch folder; make runs in the repository (the lock).
    assert layer["Properties"]["ContentUri"] == "chalicelib/"
    assert layer["Metadata"]["WorkingDirectory"] == "."
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.11"]
    assert "build-SharedLayer:" in (TEMPLATE_PATH.parent / "Makefile").read_text()


def test_ingest_function_is_wired_to_its_queue_with_partial_batch_failures(body):
    function = function_properties(body, "IngestFunction")
    assert body["Resources"]["IngestFunction"]["Type"] == "AWS::Serverless::Function"
    assert (function["CodeUri"], function["Handler"]) == ("functions/ingest/", "app.handler")
    assert (function["Runtime"], function["MemorySize"], function["Timeout"]) == ("python3.11", 1769, 300)
    assert function["Layers"] == [{"Ref": "SharedLayer"}]
    assert "ReservedConcurrentExecutions" in function
    event = function["Events"]["IngestQueue"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["IngestQueue", "Arn"]}
    assert event["Properties"]["BatchSize"] == 5
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_ingest_function_may_only_touch_its_own_prefixes(body):
    (document,) = function_properties(body, "IngestFunction")["Policies"]
    statements = document["Statement"]
    resources: dict[str, list] = {}
    for s in statements:
        for action in [s["Action"]] if isinstance(s["Action"], str) else s["Action"]:
            if action.startswith("s3:"):
                arns = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
                resources.setdefault(action, []).extend(arns)
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in statements)
    assert {"Fn::Sub": "${UploadBucket.Arn}/incoming/*"} in resources["s3:DeleteObject"]
    assert {"Fn::Sub": "${UploadBucket.Arn}/quarantine/*"} in resources["s3:PutObject"]
    # A redelivered event reads the report its first delivery wrote (a 403 there is not "missing").
    assert {"Fn::Sub": "${LakeBucket.Arn}/reports/*"} in resources["s3:GetObject"]
    for resource_list in resources.values():
        for arn in resource_list:
            assert arn["Fn::Sub"].endswith("/*") and arn["Fn::Sub"].count("/") == 2, arn


def test_dlq_depth_alarm_notifies_the_alarm_topic(body):
    alarm = resource(body, "IngestDeadLetterAlarm", "AWS::CloudWatch::Alarm")
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["IngestDeadLetterQueue", "QueueName"]}}
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert body["Resources"]["AlarmTopic"]["Type"] == "AWS::SNS::Topic"


def test_outputs_name_the_buckets_queue_and_tables(body):
    outputs = {name: output["Value"] for name, output in body["Outputs"].items()}
    for logical_id in (*BUCKETS, "IngestQueue", "IdempotencyTable", "RegistryTable"):
        assert {"Ref": logical_id} in outputs.values(), logical_id
