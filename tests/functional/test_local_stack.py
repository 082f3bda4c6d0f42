"""The local stack creates what template.yaml defines; the local runtime wires what it wires."""

import json
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from chalicelib.config import Settings
from infra.local.runtime import LocalRuntime, SqsEventSource
from infra.local.stack import LocalStack
from infra.template import (
    LOCAL_ACCOUNT_ID,
    TEMPLATE_PATH,
    function_properties,
    load_template,
    resources_of_type,
)

UPLOADS = f"vindplaats-uploads-{LOCAL_ACCOUNT_ID}"


@pytest.fixture(scope="module")
def stack():
    with LocalStack() as local:
        yield local


@pytest.fixture
def sqs(stack):
    return stack.client("sqs")


@pytest.fixture
def fast_queues(stack, sqs):
    """Empty ingest queues whose failed messages come back after one second."""
    urls = [stack.ref("IngestQueue"), stack.ref("IngestDeadLetterQueue")]
    sqs.set_queue_attributes(QueueUrl=urls[0], Attributes={"VisibilityTimeout": "1"})
    for url in urls:
        bodies(sqs, url, until_empty=True)
    yield
    for url in urls:
        bodies(sqs, url, until_empty=True)
    sqs.set_queue_attributes(QueueUrl=urls[0], Attributes={"VisibilityTimeout": "1800"})


def bodies(sqs, url, until_empty=False):
    """Bodies of the visible messages, which are deleted (PurgeQueue allows one call a minute)."""
    found = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        found += [m["Body"] for m in messages]
        if not messages or not until_empty:
            return found


def test_buckets_have_the_template_names_encryption_and_notification(stack):
    s3 = stack.client("s3")
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    data_buckets = {
        UPLOADS,
        f"vindplaats-lake-{LOCAL_ACCOUNT_ID}",
        f"vindplaats-vault-{LOCAL_ACCOUNT_ID}",
        f"vindplaats-audit-{LOCAL_ACCOUNT_ID}",
    }
    assert names == data_buckets | {f"vindplaats-access-logs-{LOCAL_ACCOUNT_ID}"}
    key_arn = stack.attribute("DataKey", "Arn")
    for name in data_buckets:
        (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
        block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        assert all(block.values())
    assert s3.get_bucket_versioning(Bucket=stack.ref("LakeBucket"))["Status"] == "Enabled"
    lock = s3.get_object_lock_configuration(Bucket=stack.ref("AuditBucket"))["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Years"]) == ("COMPLIANCE", 2)
    assert "Status" not in s3.get_bucket_versioning(Bucket=UPLOADS)
    (notification,) = s3.get_bucket_notification_configuration(Bucket=UPLOADS)["QueueConfigurations"]
    assert notification["QueueArn"] == stack.attribute("IngestQueue", "Arn")
    assert notification["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "incoming/"}]


def preflight(stack, bucket: str, origin: str) -> tuple[int, dict[str, str]]:
    """A browser's CORS preflight for a POST to `bucket` from `origin`: status and headers."""
    request = urllib.request.Request(
        f"{stack.endpoint_url}/{bucket}",
        method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers)


def test_the_upload_bucket_has_the_templates_cors_rule_and_moto_answers_preflights_by_it(stack):
    # The template's default PageUrl here; `vindplaats up` passes the local page's own.
    (rule,) = stack.client("s3").get_bucket_cors(Bucket=UPLOADS)["CORSRules"]
    assert rule == {
        "ID": "page-upload",
        "AllowedMethods": ["POST"],
        "AllowedOrigins": ["https://vindplaats.example.org"],
        "MaxAgeSeconds": 3600,
    }
    status, headers = preflight(stack, UPLOADS, "https://vindplaats.example.org")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://vindplaats.example.org"
    assert headers["Access-Control-Allow-Methods"] == "POST"
    # moto's allow-all layer still adds its header, but a browser fails any preflight that is not 2xx.
    status, _ = preflight(stack, UPLOADS, "https://elders.example.net")
    assert status == 403


def test_ingest_queue_redrives_to_the_dead_letter_queue(stack, sqs):
    attributes = sqs.get_queue_attributes(QueueUrl=stack.ref("IngestQueue"), AttributeNames=["All"])
    attributes = attributes["Attributes"]
    assert attributes["VisibilityTimeout"] == "1800"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": stack.attribute("IngestDeadLetterQueue", "Arn"),
        "maxReceiveCount": 3,
    }
    assert "s3.amazonaws.com" in attributes["Policy"]


def test_tables_key_and_secret_are_created_from_the_template(stack):
    dynamodb = stack.client("dynamodb")
    table = dynamodb.describe_table(TableName=stack.ref("RegistryTable"))["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    ttl = dynamodb.describe_time_to_live(TableName=stack.ref("IdempotencyTable"))
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiration"}

    kms = stack.client("kms")
    key_id = stack.ref("DataKey")
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/vindplaats-data"] == key_id

    secret = stack.client("secretsmanager").describe_secret(SecretId=stack.ref("PseudonymSecret"))
    assert secret["KmsKeyId"] == key_id
    value = stack.client("secretsmanager").get_secret_value(SecretId=stack.ref("PseudonymSecret"))
    assert len(value["SecretString"]) == 64 and value["SecretString"].isalnum()

    # The second key, for the vault and the contacts: its own alias and its own policy.
    vault_key = stack.ref("VaultKey")
    assert vault_key != key_id
    assert aliases["alias/vindplaats-vault"] == vault_key
    assert kms.get_key_rotation_status(KeyId=vault_key)["KeyRotationEnabled"] is True
    policy = json.loads(kms.get_key_policy(KeyId=vault_key, PolicyName="default")["Policy"])
    sids = [statement["Sid"] for statement in policy["Statement"]]
    assert sids == [
        "AccountAdministersButCannotUse",
        "IngestSealsVault",
        "WorkflowOpensAndSealsVaultAndContacts",
        "ApiOpensContacts",
    ]


def test_upload_to_incoming_sends_an_s3_event_to_the_ingest_queue(stack, sqs, fast_queues):
    s3 = stack.client("s3")
    s3.put_object(Bucket=UPLOADS, Key="quarantine/a.csv", Body=b"x", ContentType="text/csv")
    s3.put_object(Bucket=UPLOADS, Key="incoming/x/y/z.csv", Body=b"a,b\n", ContentType="text/csv")

    (body,) = bodies(sqs, stack.ref("IngestQueue"))
    (record,) = json.loads(body)["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == UPLOADS
    # moto quotes "/" as %2F where AWS keeps it; unquote_plus reads both.
    assert unquote_plus(record["s3"]["object"]["key"]) == "incoming/x/y/z.csv"


def test_env_gives_every_settings_field_with_local_names(stack, monkeypatch):
    env = stack.env("IngestFunction")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.upload_bucket == UPLOADS
    assert settings.lake_bucket == stack.ref("LakeBucket")
    assert settings.vault_bucket == stack.ref("VaultBucket")
    assert settings.registry_table == stack.ref("RegistryTable")
    assert settings.idempotency_table == stack.ref("IdempotencyTable")
    assert settings.vault_key_id == stack.ref("VaultKey") != stack.ref("DataKey")
    assert settings.pseudonym_secret_id == stack.ref("PseudonymSecret")
    assert env["AWS_ENDPOINT_URL"] == stack.endpoint_url
    assert env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["POWERTOOLS_SERVICE_NAME"] == "vindplaats"


def test_runtime_wiring_equals_the_template_sqs_events(stack):
    body = load_template(TEMPLATE_PATH)
    expected = []
    for function in resources_of_type(body, "AWS::Serverless::Function"):
        props = function_properties(body, function)
        module, attr = props["Handler"].rsplit(".", 1)
        for event in props.get("Events", {}).values():
            if event["Type"] == "SQS":
                expected.append(
                    (
                        function,
                        event["Properties"]["Queue"]["Fn::GetAtt"][0],
                        Path(props["CodeUri"]) / f"{module}.py",
                        attr,
                        event["Properties"]["BatchSize"],
                        "ReportBatchItemFailures" in event["Properties"]["FunctionResponseTypes"],
                    )
                )

    wiring = LocalRuntime(stack).wiring

    assert wiring == expected
    assert (
        SqsEventSource("IngestFunction", "IngestQueue", Path("functions/ingest/app.py"), "handler", 5, True) in wiring
    )


FAKE_HANDLER = """
import os

LOG = {log!r}
BUCKET_AT_IMPORT = os.environ["VINDPLAATS_UPLOAD_BUCKET"]


def handler(event, context):
    failures = []
    with open(LOG, "a") as log:
        for record in event["Records"]:
            log.write(f"{{record['body']}} {{BUCKET_AT_IMPORT}} {{context.function_name}}\\n")
            if record["body"].startswith("bad"):
                failures.append({{"itemIdentifier": record["messageId"]}})
    return {{"batchItemFailures": failures}}
"""


def test_runtime_deletes_successes_and_leaves_failures_for_the_dead_letter_queue(stack, sqs, fast_queues, tmp_path):
    log = tmp_path / "calls.log"
    handler_file = tmp_path / "fake_ingest.py"
    handler_file.write_text(textwrap.dedent(FAKE_HANDLER.format(log=str(log))))
    queue, dlq = stack.ref("IngestQueue"), stack.ref("IngestDeadLetterQueue")
    for body in ("good-1", "bad-1", "good-2"):
        sqs.send_message(QueueUrl=queue, MessageBody=body)

    LocalRuntime(stack, overrides={"IngestFunction": handler_file}).run_until_idle(timeout=20)

    calls = log.read_text().splitlines()
    assert calls.count(f"good-1 {UPLOADS} vindplaats-IngestFunction") == 1
    assert calls.count(f"good-2 {UPLOADS} vindplaats-IngestFunction") == 1
    assert calls.count(f"bad-1 {UPLOADS} vindplaats-IngestFunction") == 3  # maxReceiveCount
    assert bodies(sqs, queue) == []
    assert bodies(sqs, dlq) == ["bad-1"]


def test_runtime_deletes_nothing_when_the_handler_raises(stack, sqs, fast_queues):
    seen = []

    def flaky(event, context):
        seen.append([r["body"] for r in event["Records"]])
        if len(seen) == 1:
            raise RuntimeError("cold start trouble")

    sqs.send_message(QueueUrl=stack.ref("IngestQueue"), MessageBody="only")
    LocalRuntime(stack, overrides={"IngestFunction": flaky}).run_until_idle(timeout=10)

    assert seen == [["only"], ["only"]]
    assert bodies(sqs, stack.ref("IngestDeadLetterQueue")) == []


def test_background_runtime_hands_uploads_to_the_handler_as_lambda_sqs_events(stack, fast_queues):
    events, contexts = [], []

    def record(event, context):
        events.append(event)
        contexts.append(context)

    with LocalRuntime(stack, overrides={"IngestFunction": record}):
        stack.client("s3").put_object(
            Bucket=UPLOADS, Key="incoming/lev/2024/f.csv", Body=b"a\n", ContentType="text/csv"
        )
        deadline = time.monotonic() + 10
        while not events and time.monotonic() < deadline:
            time.sleep(0.05)

    (event,) = events
    (record_,) = event["Records"]
    assert set(record_) == {
        "messageId",
        "receiptHandle",
        "body",
        "attributes",
        "messageAttributes",
        "md5OfBody",
        "eventSource",
        "eventSourceARN",
        "awsRegion",
    }
    assert record_["eventSource"] == "aws:sqs"
    assert record_["eventSourceARN"] == stack.attribute("IngestQueue", "Arn")
    assert record_["awsRegion"] == "eu-west-1"
    assert record_["attributes"]["ApproximateReceiveCount"] == "1"
    s3_event = json.loads(record_["body"])["Records"][0]
    assert unquote_plus(s3_event["s3"]["object"]["key"]) == "incoming/lev/2024/f.csv"
    context = contexts[0]
    assert context.function_name == "vindplaats-IngestFunction"
    assert context.memory_limit_in_mb == 1769
    assert context.invoked_function_arn.endswith(":function:vindplaats-IngestFunction")
    assert 0 < context.get_remaining_time_in_millis() <= 300_000
    assert context.aws_request_id
