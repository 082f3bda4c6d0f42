"""What moto hides and AWS does, on real boto3 clients: a missing object answered with 403
AccessDenied to a role without s3:ListBucket (tests.fakes.deny_missing_objects turns moto's 404
into AWS's 403), PutObject to an Object Lock bucket without a checksum, and a GetTable answer
with fields UpdateTable refuses (botocore's Stubber)."""

import base64
import dataclasses
import hashlib
from datetime import UTC, date, datetime
from types import SimpleNamespace

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from moto import mock_aws

from chalicelib import bootstrap
from chalicelib.adapters.aws.audit import S3AuditLog
from chalicelib.adapters.aws.cases import S3CaseStore, cases_key, contacts_key
from chalicelib.adapters.aws.parameters import S3GlueParameters
from chalicelib.adapters.aws.reference import REFERENCE_KEY, import_reference
from chalicelib.adapters.aws.reports import S3Reports, report_key
from chalicelib.config import ApiSettings, Settings
from chalicelib.domain.audit import AuditEvent, Outcome
from chalicelib.domain.errors import NotFound
from chalicelib.domain.identity import Identity
from chalicelib.domain.reference import AddressReferenceError
from chalicelib.domain.report import Report, Status
from chalicelib.domain.upload import UploadKey
from chalicelib.services.ingest import Upload, ingest_upload
from infra.template import function_properties, load_template
from tests.fakes import (
    EDE,
    NOW,
    PEOPLE,
    RUN,
    UTRECHT,
    MemoryAuditLog,
    MemoryCaseStore,
    MemoryRuns,
    api_client,
    assert_error,
    deny_missing_objects,
    get,
    pk_sk_table,
    sent_headers,
)

REGION = "eu-west-1"
LAKE, VAULT, UPLOADS, AUDIT = "lake", "vault", "uploads", "audit"


@pytest.fixture
def aws():
    """Moto, with the clients the composition root makes (bootstrap.Aws: one per service)."""
    with mock_aws():
        root = bootstrap.Aws(boto3.session.Session(region_name=REGION))
        s3, kms = root.client("s3"), root.client("kms")
        for bucket in (LAKE, VAULT, UPLOADS, AUDIT):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        secret = root.client("secretsmanager").create_secret(Name="pseudonym", SecretString="k" * 32)["ARN"]
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        settings = {
            "upload_bucket": UPLOADS,
            "lake_bucket": LAKE,
            "vault_bucket": VAULT,
            "registry_table": "registry",
            "cases_table": "cases",
            "idempotency_table": "idempotency",
            "vault_key_id": key_id,
            "pseudonym_secret_id": secret,
            "glue_database": "vindplaats",
            "athena_workgroup": "vindplaats",
        }
        yield SimpleNamespace(root=root, s3=s3, kms=kms, key_id=key_id, settings=settings)


@pytest.fixture(params=["moto's 404", "AWS's 403"])
def denied(request, aws) -> list[str] | None:
    """Each test once as moto answers a missing object (404), once as AWS answers a role without
    s3:ListBucket (403): then the keys S3 refused, for the test to show the 403 path was taken."""
    return deny_missing_objects(aws.s3) if request.param == "AWS's 403" else None


def _refused(denied: list[str] | None, key: str) -> bool:
    return denied is None or key in denied


# ---------------------------------------------------------------- /api/cases


def test_a_gemeente_without_cases_in_the_latest_run_gets_an_empty_list(aws, denied):
    store = S3CaseStore(aws.s3, aws.kms, VAULT, aws.key_id, may_list=False)
    store.write(RUN, "GM0268", EDE, {})  # Ede has cases in the run, Utrecht has none

    with api_client(store, MemoryRuns(), MemoryAuditLog()) as client:
        status, body = get(client, "/api/cases", "coord-utrecht")
        assert (status, body["run"], body["cases"], body["total"]) == (200, RUN, [], 0)
        status, body = get(client, "/api/cases", "coord-ede")
        assert (status, [case["id"] for case in body["cases"]]) == (200, [case.id for case in EDE])
    assert _refused(denied, cases_key(RUN, "GM0202"))


def test_a_403_to_a_role_that_may_list_stays_an_error(aws):
    """S3 tells a role with s3:ListBucket that a key is missing (404): its 403 is a real refusal."""
    deny_missing_objects(aws.s3)
    store = S3CaseStore(aws.s3, aws.kms, VAULT, aws.key_id)
    with api_client(store, MemoryRuns(), MemoryAuditLog()) as client:
        assert_error(get(client, "/api/cases", "coord-utrecht"), 500, "internal")


def test_contacts_and_cached_cases_that_went_are_none(aws, denied):
    store = S3CaseStore(aws.s3, aws.kms, VAULT, aws.key_id, may_list=False)
    with_contact, without_contact = UTRECHT[0], UTRECHT[1]

    store.write(RUN, "GM0202", UTRECHT[:2], {with_contact.id: PEOPLE[with_contact.id]})
    assert store.cases(RUN, "GM0202") == UTRECHT[:2]  # kept by ETag
    assert store.contacts(RUN, "GM0202", with_contact.id) == PEOPLE[with_contact.id]  # index kept
    store.delete(RUN, "GM0202")
    assert store.cases(RUN, "GM0202") == []  # the conditional GET of a kept object that went
    assert store.contacts(RUN, "GM0202", with_contact.id) == []  # the ranged GET of a kept index

    store.write(RUN, "GM0202", UTRECHT[:2], {with_contact.id: PEOPLE[with_contact.id]})
    assert store.contacts(RUN, "GM0202", with_contact.id) == PEOPLE[with_contact.id]
    store.delete(RUN, "GM0202")
    assert store.contacts(RUN, "GM0202", without_contact.id) == []  # the one-byte "unchanged?" GET
    assert _refused(denied, cases_key(RUN, "GM0202")) and _refused(denied, contacts_key(RUN, "GM0202"))


# ---------------------------------------------------------------- /api/uploads/{id}


def test_an_upload_whose_report_is_not_written_yet_is_pending_then_readable(aws, denied):
    reports = S3Reports(aws.s3, LAKE, may_list=False)
    with api_client(MemoryCaseStore([]), MemoryRuns(), MemoryAuditLog(), reports=reports) as client:
        pending = get(client, "/api/uploads/L-vitens-1", "supplier")
        assert_error(pending, 404, "not_found")
        assert "nog niet verwerkt" in pending[1]["error"]["message"]

        reports.write(Report(leverancier="vitens", levering="L-vitens-1", bestand="x.csv", status=Status.ACCEPTED))
        status, report = get(client, "/api/uploads/L-vitens-1", "supplier")
    assert (status, report["status"]) == (200, "accepted")
    assert _refused(denied, report_key("vitens", "L-vitens-1"))


def test_a_403_on_a_report_to_a_role_that_may_list_is_not_pending(aws):
    deny_missing_objects(aws.s3)
    reports = S3Reports(aws.s3, LAKE)
    with api_client(MemoryCaseStore([]), MemoryRuns(), MemoryAuditLog(), reports=reports) as client:
        assert_error(get(client, "/api/uploads/L-vitens-1", "supplier"), 500, "internal")


def _api(aws) -> bootstrap.ApiDeps:
    """The API's services as the composition root builds them on these buckets."""
    settings = ApiSettings(
        **aws.settings,
        audit_bucket=AUDIT,
        user_pool_id=f"{REGION}_pool",
        user_pool_client_id="client",
        notify_queue_url="https://sqs.eu-west-1.amazonaws.com/123456789012/notify",
    )
    # A refusal is counted per user in the cases table (the refusal limit).
    pk_sk_table(aws.root.resource("dynamodb"), settings.cases_table)
    return bootstrap.build_api(settings, aws.root)


def test_the_api_the_composition_root_builds_reads_a_403_as_missing(aws, denied):
    """The API role may not list the vault or the lake's reports: bootstrap says so."""
    deps = _api(aws)

    assert deps.reader.worked_cases(RUN, "GM0202") == []
    supplier = Identity(subject="s-5", role="leverancier", leverancier="vitens")
    with pytest.raises(NotFound):
        deps.leveranciers.report(supplier, "L-vitens-1")
    assert _refused(denied, cases_key(RUN, "GM0202")) and _refused(denied, report_key("vitens", "L-vitens-1"))


def test_a_quarantined_upload_whose_report_is_gone_is_listed_without_a_reason(aws, denied):
    """The operators' quarantine view reads each file's report; the API role lists reports/ only
    under a prefix, so to it a missing report answers 403."""
    upload = UploadKey("vitens", "20261102T080000000000-aaaa", "levering.csv")
    aws.s3.put_object(Bucket=UPLOADS, Key=upload.quarantine_key(), Body=b"klantnummer\n")
    (held,) = _api(aws).beheer.quarantaine(Identity(subject="s-6", role="operator")).bestanden
    assert (held.levering, held.bytes, held.reden.code) == (upload.levering, 12, "reason_unknown")
    assert _refused(denied, report_key("vitens", upload.levering))


def _listable(function: str) -> set[str]:
    """The buckets `function`'s role may list, whatever the prefix (a ListBucket limited to a
    prefix does not turn a missing key's 403 into a 404 elsewhere in the bucket)."""
    (document,) = function_properties(load_template(), function)["Policies"]
    found = set()
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] == "Allow" and "s3:ListBucket" in actions and "Condition" not in statement:
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            found |= {resource["Fn::GetAtt"][0] for resource in resources}
    return found


def test_the_roles_bootstrap_reads_a_403_as_missing_for_may_not_list_and_the_others_may():
    """bootstrap passes may_list=False for ingest's and the API's buckets; the match steps keep
    the default (a 403 is an error), which is right only while their roles may list."""
    assert _listable("IngestFunction") == set()
    assert _listable("ApiFunction") & {"LakeBucket", "VaultBucket"} == set()
    assert _listable("PrepareFunction") >= {"LakeBucket"}
    assert _listable("PublishFunction") >= {"LakeBucket", "VaultBucket"}
    assert _listable("RetentionFunction") >= {"LakeBucket", "VaultBucket"}


# ---------------------------------------------------------------- ingest

DELIVERY = (
    b"klantnummer,postcode,huisnummer,bedrag,achterstand_sinds,peildatum\n"
    b"K1,6811AB,12,120.00,2026-08-01,2026-10-01\n"
    b"K2,6511CD,3,80.50,2026-07-15,2026-10-01\n"
)
REFERENCE = (
    b"postcode,huisnummer,gemeentecode,wijkcode,wijknaam,buurtcode,buurtnaam\n"
    b"6811AB,12,GM0202,WK020201,Centrum,BU02020101,Binnenstad\n"
    b"6511CD,3,GM0268,WK026801,Centrum,BU02680101,Stadscentrum\n"
)
UPLOAD = "incoming/vitens/L-vitens-7/levering.csv"


class FixedRegistry:
    def __init__(self, registry) -> None:
        self._registry = registry

    def registry(self):
        return self._registry


def _ingest(aws, registry) -> Report:
    """Ingest UPLOAD with the adapters the composition root gives the ingest function (the
    registry from the shared fixture instead of DynamoDB)."""
    deps = bootstrap.build_ingest(Settings(**aws.settings), aws.root)
    deps = dataclasses.replace(deps, registry=FixedRegistry(registry))
    at = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
    return ingest_upload(Upload(UPLOAD, at), deps, upload_date=at.date(), today=date(2026, 10, 2))


def _keys(s3, bucket: str) -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_ingest_without_the_reference_is_a_clear_error_naming_it_and_writes_nothing(aws, denied, registry):
    aws.s3.put_object(Bucket=UPLOADS, Key=UPLOAD, Body=DELIVERY)

    with pytest.raises(AddressReferenceError) as raised:
        _ingest(aws, registry)

    assert raised.value.code == "missing_reference"
    assert f"s3://{LAKE}/{REFERENCE_KEY}" in str(raised.value)
    assert "vindplaats reference import" in str(raised.value)
    assert (_keys(aws.s3, LAKE), _keys(aws.s3, VAULT), _keys(aws.s3, UPLOADS)) == ([], [], [UPLOAD])
    assert _refused(denied, REFERENCE_KEY)


def test_once_the_reference_is_imported_the_same_upload_ingests_and_a_redelivery_finds_its_report(
    aws, denied, registry
):
    aws.s3.put_object(Bucket=UPLOADS, Key=UPLOAD, Body=DELIVERY)
    with pytest.raises(AddressReferenceError):
        _ingest(aws, registry)
    import_reference(REFERENCE, aws.s3, LAKE)

    report = _ingest(aws, registry)
    assert (report.status, report.counts.accepted, report.warnings) == (Status.ACCEPTED, 2, [])
    assert _keys(aws.s3, UPLOADS) == []  # ingested, so deleted

    # The same S3 event again: the upload is gone (a HEAD's bare 403 on AWS), its report is found.
    assert _ingest(aws, registry) == report
    assert _refused(denied, UPLOAD)


# ---------------------------------------------------------------- the audit log


def test_an_audit_put_carries_a_checksum_an_object_lock_bucket_requires():
    with mock_aws():
        # As a Lambda runtime's older botocore: no checksum unless the call asks for one.
        s3 = boto3.client("s3", region_name=REGION, config=Config(request_checksum_calculation="when_required"))
        s3.create_bucket(
            Bucket=AUDIT, CreateBucketConfiguration={"LocationConstraint": REGION}, ObjectLockEnabledForBucket=True
        )
        s3.put_object_lock_configuration(
            Bucket=AUDIT,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 730}},
            },
        )
        sent = sent_headers(s3, "PutObject")
        event = AuditEvent(
            at=NOW, subject="s-1", role="coordinator", tenant="GM0202", route="GET /api/cases", outcome=Outcome.ALLOWED
        )

        S3AuditLog(s3, AUDIT).record(event)

        (headers,) = sent
        assert headers["x-amz-sdk-checksum-algorithm"] == "SHA256"
        assert "x-amz-checksum-sha256" in (headers.get("x-amz-trailer"), *headers)
        (key,) = _keys(s3, AUDIT)
        stored = s3.head_object(Bucket=AUDIT, Key=key, ChecksumMode="ENABLED")
        body = s3.get_object(Bucket=AUDIT, Key=key)["Body"].read()
    assert stored["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert AuditEvent.model_validate_json(body) == event


# ---------------------------------------------------------------- Glue


def _glue():
    return boto3.client("glue", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")


COLUMNS = [{"Name": "gemeente", "Type": "string"}]
TABLE = {
    "Name": "gemeente_regels",
    "DatabaseName": "vindplaats",
    "Description": "regels per gemeente",
    "Owner": "vindplaats",
    "TableType": "EXTERNAL_TABLE",
    "Parameters": {"classification": "parquet"},
    "PartitionKeys": [],
    "StorageDescriptor": {
        "Columns": COLUMNS,
        "Location": "s3://lake/params/gemeente_regels/run=none/",
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
    },
    # Read-only fields of GetTable's answer, some newer than the code that first read it.
    "CreateTime": datetime(2026, 1, 1, tzinfo=UTC),
    "UpdateTime": datetime(2026, 11, 1, tzinfo=UTC),
    "CreatedBy": "arn:aws:iam::123456789012:role/deploy",
    "IsRegisteredWithLakeFormation": False,
    "CatalogId": "123456789012",
    "VersionId": "7",
    "IsMultiDialectView": False,
    "IsMaterializedView": False,
    "Status": {"State": "SUCCESS", "Action": "UPDATE", "RequestedBy": "arn:aws:iam::123456789012:role/deploy"},
    "RLSProperties": {"DefaultRLSPolicy": "none"},
}


def test_update_table_gets_only_table_input_fields_whatever_get_table_answers():
    glue = _glue()
    # A field newer than this botocore too, as a later one would parse it from Glue's answer.
    glue.meta.events.register("after-call.glue.GetTable", lambda parsed, **_: parsed["Table"].update(Future={"x": 1}))
    location = "s3://lake/params/gemeente_regels/run=r1/"
    with Stubber(glue) as stub:
        stub.add_response("get_table", {"Table": TABLE}, {"DatabaseName": "vindplaats", "Name": "gemeente_regels"})
        stub.add_response(
            "update_table",
            {},
            {
                "DatabaseName": "vindplaats",
                "TableInput": {
                    "Name": "gemeente_regels",
                    "Description": "regels per gemeente",
                    "Owner": "vindplaats",
                    "TableType": "EXTERNAL_TABLE",
                    "Parameters": {"classification": "parquet"},
                    "PartitionKeys": [],
                    "StorageDescriptor": dict(TABLE["StorageDescriptor"], Location=location),
                },
            },
        )
        S3GlueParameters(None, glue, LAKE, "vindplaats").point("gemeente_regels", location)
        stub.assert_no_pending_responses()


def test_the_table_input_allow_list_names_only_documented_table_input_fields():
    members = _glue().meta.service_model.shape_for("TableInput").members
    assert set(S3GlueParameters.TABLE_INPUT_FIELDS) <= set(members)
    assert {"Name", "StorageDescriptor", "PartitionKeys", "TableType", "Parameters"} <= set(
        S3GlueParameters.TABLE_INPUT_FIELDS
    )
