"""The least-privilege checker (infra/least_privilege.py): calls become IAM requests as AWS builds
them, and template.yaml's roles and VaultKey's policy allow what each function needs and no more."""

import pytest
from boto3.dynamodb.conditions import Key

from infra.least_privilege import Call, Policy, Request, Requests, Roles
from infra.template import LOCAL_ACCOUNT_ID, Resolver, load_template

ACCOUNT, REGION = LOCAL_ACCOUNT_ID, "eu-west-1"


@pytest.fixture(scope="module")
def roles():
    body = load_template()
    names = set(body["Resources"])
    buckets = {"UploadBucket": "up", "LakeBucket": "lake", "VaultBucket": "vault", "AuditBucket": "audit"}
    tables = {"CasesTable": "cases", "RegistryTable": "registry", "IdempotencyTable": "idem"}
    refs = {name: f"ref-{name}" for name in names} | buckets | tables
    refs |= {"DataKey": "data-key-id", "VaultKey": "vault-key-id", "PseudonymSecret": "arn:secret:p"}
    attributes = {(name, "Arn"): f"arn:other:{name}" for name in names}
    attributes |= {(b, "Arn"): f"arn:aws:s3:::{n}" for b, n in buckets.items()}
    attributes |= {(t, "Arn"): f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{n}" for t, n in tables.items()}
    attributes |= {(k, "Arn"): f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{refs[k]}" for k in ("DataKey", "VaultKey")}
    return Roles(body, Resolver(body, account_id=ACCOUNT, region=REGION, refs=refs, attributes=attributes))


def kms(operation, key, **context):
    return Call("kms", operation, {"KeyId": key, "EncryptionContext": context})


def test_ingest_seals_the_vault_but_may_not_open_it_or_seal_contacts(roles):
    seal = kms("GenerateDataKey", "vault-key-id", purpose="vault", leverancier="vivare", levering="l-1")
    assert roles.denied("IngestFunction", [seal]) == []
    assert roles.denied("IngestFunction", [kms("Decrypt", "vault-key-id", purpose="vault")])
    assert roles.denied("IngestFunction", [kms("GenerateDataKey", "vault-key-id", purpose="contacts")])


def test_the_api_opens_contacts_and_bsns_only(roles):
    assert (
        roles.denied("ApiFunction", [kms("Decrypt", "vault-key-id", purpose="contacts", run="r", gemeente="g")]) == []
    )
    # The coordinator's DDAS export opens the run's BSN records (cases.py: purpose bsn).
    assert roles.denied("ApiFunction", [kms("Decrypt", "vault-key-id", purpose="bsn", run="r", gemeente="g")]) == []
    denied = roles.denied("ApiFunction", [kms("Decrypt", "vault-key-id", purpose="vault", leverancier="x")])
    assert any("not in its role" in d for d in denied) and any("not in the key policy" in d for d in denied)
    # DataKey only through S3 or DynamoDB: a direct Decrypt has no kms:ViaService.
    assert roles.denied("ApiFunction", [kms("Decrypt", "data-key-id")])


def test_publish_seals_bsns_ingest_may_not(roles):
    seal = kms("GenerateDataKey", "vault-key-id", purpose="bsn", run="r", gemeente="g")
    assert roles.denied("PublishFunction", [seal]) == []
    assert roles.denied("IngestFunction", [seal])


def test_sqs_batches_are_authorised_by_their_single_action(roles):
    url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/vindplaats-NotifyQueue"
    (request,) = roles.requests.of(Call("sqs", "SendMessageBatch", {"QueueUrl": url, "Entries": []}))
    assert request.action == "sqs:SendMessage"
    assert request.resource == f"arn:aws:sqs:{REGION}:{ACCOUNT}:vindplaats-NotifyQueue"


def test_a_mail_is_sent_as_the_sender_identity_in_its_configuration_set(roles):
    call = Call("ses", "SendEmail", {"FromEmailAddress": "noreply@example.org", "ConfigurationSetName": "mail"})
    assert [r.resource.rsplit(":", 1)[-1] for r in roles.requests.of(call)] == [
        "identity/noreply@example.org",
        "configuration-set/mail",
    ]
    pool = Call("cognito-idp", "ListUsersInGroup", {"UserPoolId": "eu-west-1_abc", "GroupName": "coordinator"})
    assert [r.resource for r in roles.requests.of(pool)] == [
        f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/eu-west-1_abc"
    ]


def test_the_vault_key_policy_gives_no_role_it_does_not_name(roles):
    call = kms("Decrypt", "vault-key-id", purpose="contacts")
    (denied,) = roles.denied("PrepareFunction", [call])[-1:]
    assert "not in the key policy" in denied
    key_policy = roles.key_policies[f"arn:aws:kms:{REGION}:{ACCOUNT}:key/vault-key-id"]
    request = roles.requests.of(call)[0]
    assert key_policy.allows(request, principal=roles.role_arn("PublishFunction"))
    assert not key_policy.allows(request, principal=f"arn:aws:iam::{ACCOUNT}:role/admin")


def test_s3_calls_become_object_and_bucket_requests(roles):
    assert roles.denied("IngestFunction", [Call("s3", "PutObject", {"Bucket": "vault", "Key": "vault/v/l.bin"})]) == []
    assert roles.denied("IngestFunction", [Call("s3", "GetObject", {"Bucket": "vault", "Key": "vault/v/l.bin"})])
    assert (
        roles.denied("IngestFunction", [Call("s3", "HeadObject", {"Bucket": "lake", "Key": "reports/v/l.json"})]) == []
    )
    outbox = Call("s3", "ListObjectsV2", {"Bucket": "lake", "Prefix": "outbox/leverancier/vivare/"})
    assert roles.denied("ApiFunction", [outbox]) == []
    assert roles.denied("ApiFunction", [Call("s3", "ListObjectsV2", {"Bucket": "lake", "Prefix": "signals/"})])


def test_dynamodb_leading_keys_come_from_keys_items_and_key_conditions(roles):
    lock = Call("dynamodb", "PutItem", {"TableName": "cases", "Item": {"pk": "LOCK", "sk": "RUN"}})
    assert roles.denied("PrepareFunction", [lock]) == []
    run = Call("dynamodb", "PutItem", {"TableName": "cases", "Item": {"pk": {"S": "RUN"}, "sk": {"S": "x"}}})
    assert roles.denied("PrepareFunction", [run])
    state = Call("dynamodb", "UpdateItem", {"TableName": "cases", "Key": {"pk": {"S": "STATE#r#g"}, "sk": {"S": "c"}}})
    assert roles.denied("ApiFunction", [state]) == []
    requests = Requests(account=ACCOUNT, region=REGION, hash_keys={"cases": "pk"})
    (by_object,) = requests.of(
        Call(
            "dynamodb",
            "Query",
            {"TableName": "cases", "KeyConditionExpression": Key("pk").eq("RUN") & Key("sk").begins_with("2")},
        )
    )
    by_text = requests.of(
        Call(
            "dynamodb",
            "Query",
            {
                "TableName": "cases",
                "KeyConditionExpression": "#p = :run",
                "ExpressionAttributeNames": {"#p": "pk"},
                "ExpressionAttributeValues": {":run": {"S": "RUN"}},
            },
        )
    )
    assert by_object.context == {"dynamodb:LeadingKeys": ("RUN",)} and by_text == [by_object]


def test_glue_needs_the_catalog_the_database_and_the_table(roles):
    requests = roles.requests.of(Call("glue", "UpdateTable", {"DatabaseName": "db", "TableInput": {"Name": "run"}}))
    assert [r.resource.rsplit(":", 1)[-1] for r in requests] == ["catalog", "database/db", "table/db/run"]


def test_a_condition_the_checker_cannot_evaluate_does_not_allow():
    policy = Policy(
        [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4/32"}},
            }
        ]
    )
    assert not policy.allows(Request("s3:GetObject", "arn:aws:s3:::b/k"))
    deny = Policy(
        [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
        ]
    )
    assert deny.allows(Request("s3:PutObject", "arn:aws:s3:::b/k"))
    assert not deny.allows(Request("s3:GetObject", "arn:aws:s3:::b/k"))


def test_the_vault_key_gives_the_account_no_use_and_each_role_a_purpose(roles):
    statements = load_template()["Resources"]["VaultKey"]["Properties"]["KeyPolicy"]["Statement"]
    crypto = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt*", "kms:*")
    (admin,) = [s for s in statements if "Condition" not in s]
    assert not set(crypto) & set(admin["Action"])
    for statement in statements:
        if statement is admin:
            continue
        assert set(statement["Condition"]) == {"ArnLike", "StringEquals"}, statement["Sid"]
        assert "aws:PrincipalArn" in statement["Condition"]["ArnLike"]
        assert "kms:EncryptionContext:purpose" in statement["Condition"]["StringEquals"]
    named = {
        role["Fn::Sub"].rsplit("}-", 1)[1]
        for s in statements
        if s is not admin
        for role in (lambda r: r if isinstance(r, list) else [r])(s["Condition"]["ArnLike"]["aws:PrincipalArn"])
    }
    assert named == {"IngestFunctionRole-*", "PublishFunctionRole-*", "RetentionFunctionRole-*", "ApiFunctionRole-*"}


def test_every_kms_grant_of_the_internet_facing_api_is_conditioned():
    statements = load_template()["Resources"]["ApiFunction"]["Properties"]["Policies"][0]["Statement"]
    actions = lambda s: s["Action"] if isinstance(s["Action"], list) else [s["Action"]]  # noqa: E731
    kms_statements = [s for s in statements if any(a.startswith("kms:") for a in actions(s))]
    assert kms_statements
    for statement in kms_statements:
        conditions = statement["Condition"]["StringEquals"]
        assert any(key.startswith("kms:EncryptionContext:") for key in conditions), statement["Sid"]
