"""The local stack: moto's server in this process, with the resources template.yaml defines.

Every name, key schema, queue attribute and bucket setting is read from template.yaml and
resolved for stack `vindplaats` in moto's account, so the local stack cannot drift from AWS.
Lambda functions do not run here; `infra.local.runtime.LocalRuntime` calls them.

moto keeps its state per process: one LocalStack at a time, and `@mock_aws` elsewhere in the
same process resets it.
"""

from __future__ import annotations

import json
import logging
import secrets
import string
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3
from botocore.config import Config

from infra.template import (
    LOCAL_ACCOUNT_ID,
    LOCAL_REGION,
    LOCAL_STACK_NAME,
    TEMPLATE_PATH,
    Resolver,
    UnresolvedIntrinsic,
    function_properties,
    references,
    template,
)

logger = logging.getLogger(__name__)

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


class LocalStack:
    """moto on 127.0.0.1 with the template's buckets, queues, tables, key and secret.

    `queue_visibility_timeout` overrides every queue's VisibilityTimeout, so a failed message
    comes back in seconds rather than after the template's 30 minutes. `environment` is added
    to every function's environment (quieter logs on a terminal, a replayed upload date).
    """

    def __init__(
        self,
        *,
        port: int = 0,
        template_path: Path | str = TEMPLATE_PATH,
        stack_name: str = LOCAL_STACK_NAME,
        region: str = LOCAL_REGION,
        parameters: Mapping[str, Any] | None = None,
        queue_visibility_timeout: int | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        self.environment = dict(environment or {})
        self.port = port
        self.template_path = Path(template_path)
        self.body = template(self.template_path)
        self.stack_name = stack_name
        self.account_id = LOCAL_ACCOUNT_ID
        self.region = region
        self.queue_visibility_timeout = queue_visibility_timeout
        self.resolver = Resolver(
            self.body,
            stack_name=stack_name,
            account_id=self.account_id,
            region=region,
            parameters=parameters,
        )
        self.created: list[str] = []
        self._server: Any = None
        self._endpoint_url: str | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalStack:
        """Start moto, clear its state and create the template's resources."""
        from moto.server import ThreadedMotoServer  # slow import: only when starting

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self._endpoint_url = f"http://{host}:{port}"
        try:
            self._reset_moto()
            self._create_resources()
        except BaseException:
            self.stop()
            raise
        logger.info("local stack up at %s with %d resources", self._endpoint_url, len(self.created))
        return self

    def stop(self) -> None:
        """Clear moto's state and stop the server; safe to call twice."""
        if self._server is None:
            return
        try:
            self._reset_moto()
        finally:
            self._server.stop()
            self._server = None

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _reset_moto(self) -> None:
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    # ------------------------------------------------------------------ what callers use

    @property
    def endpoint_url(self) -> str:
        if self._endpoint_url is None:
            raise RuntimeError("LocalStack is not started")
        return self._endpoint_url

    def client(self, service: str) -> Any:
        """A boto3 client for `service` on the local endpoint, with fake credentials."""
        return boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=self.region,
        ).client(
            service,
            endpoint_url=self.endpoint_url,
            config=Config(signature_version="s3v4") if service == "s3" else None,
        )

    def ref(self, logical_id: str) -> Any:
        """What `!Ref logical_id` returns here: a bucket or table name, a queue URL, a key id."""
        return self.resolver.resolve({"Ref": logical_id})

    def attribute(self, logical_id: str, name: str) -> Any:
        """What `!GetAtt logical_id.name` returns here, e.g. ("IngestQueue", "Arn")."""
        return self.resolver.resolve({"Fn::GetAtt": [logical_id, name]})

    def env(self, function: str | None = None) -> dict[str, str]:
        """Environment for a function: the template's variables resolved to local names.

        With `function`, its own variables are merged over Globals; without, Globals only.
        Adds the endpoint, region and fake credentials, and turns X-Ray off.
        """
        if function is None:
            props = self.body.get("Globals", {}).get("Function", {})
        else:
            props = function_properties(self.body, function)
        variables = props.get("Environment", {}).get("Variables", {})
        resolved = {name: str(value) for name, value in self.resolver.resolve(variables).items()}
        return (
            resolved
            | FAKE_CREDENTIALS
            | {
                "AWS_ENDPOINT_URL": self.endpoint_url,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
                "POWERTOOLS_TRACE_DISABLED": "true",
            }
            | self._auth_environment()
            | self.environment
        )

    # ------------------------------------------------------------------ resource creation

    def _create_resources(self) -> None:
        resources = self.body.get("Resources", {})
        creators = self._creators()
        supported = [lid for lid, res in resources.items() if res.get("Type") in creators]
        for logical_id in _dependency_order(resources, supported):
            resource = resources[logical_id]
            if "Condition" in resource and not self.resolver.condition(resource["Condition"]):
                continue
            try:
                properties = self.resolver.resolve(resource.get("Properties", {}))
            except UnresolvedIntrinsic as exc:
                raise UnresolvedIntrinsic(f"{logical_id}: {exc}") from exc
            creators[resource["Type"]](logical_id, properties)
            self.created.append(logical_id)

    def _creators(self) -> dict[str, Callable[[str, dict[str, Any]], None]]:
        return {
            "AWS::KMS::Key": self._create_key,
            "AWS::KMS::Alias": self._create_alias,
            "AWS::SecretsManager::Secret": self._create_secret,
            "AWS::SQS::Queue": self._create_queue,
            "AWS::SQS::QueuePolicy": self._create_queue_policy,
            "AWS::DynamoDB::Table": self._create_table,
            "AWS::S3::Bucket": self._create_bucket,
            "AWS::SNS::Topic": self._create_topic,
            "AWS::Glue::Database": self._create_glue_database,
            "AWS::Glue::Table": self._create_glue_table,
            "AWS::Athena::WorkGroup": self._create_work_group,
            "AWS::Cognito::UserPool": self._create_user_pool,
            "AWS::Cognito::UserPoolClient": self._create_user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._create_user_pool_group,
            "AWS::SES::ConfigurationSet": self._create_configuration_set,
            "AWS::SES::EmailIdentity": self._create_email_identity,
            # Functions, the REST API, the state machine, schedules, alarms and log groups have
            # no local counterpart: LocalRuntime and infra.local.driver stand in for what runs.
            # No AWS::S3::BucketPolicy: moto 5.2 denies whenever a statement's Condition does not
            # match, so the TLS-only Deny (aws:SecureTransport false) blocks every object request.
        }

    def _record(self, logical_id: str, ref: Any, **attributes: Any) -> None:
        self.resolver.refs[logical_id] = ref
        for name, value in attributes.items():
            self.resolver.attributes[(logical_id, name)] = value

    def _default_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def _create_key(self, logical_id: str, props: dict[str, Any]) -> None:
        kms = self.client("kms")
        args: dict[str, Any] = {"Description": props.get("Description", "")}
        if "KeyPolicy" in props:
            args["Policy"] = json.dumps(props["KeyPolicy"])
        for name in ("KeyUsage", "KeySpec"):
            if name in props:
                args[name] = props[name]
        metadata = kms.create_key(**args)["KeyMetadata"]
        if props.get("EnableKeyRotation"):
            kms.enable_key_rotation(KeyId=metadata["KeyId"])
        self._record(logical_id, metadata["KeyId"], Arn=metadata["Arn"], KeyId=metadata["KeyId"])

    def _create_alias(self, logical_id: str, props: dict[str, Any]) -> None:
        self.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        self._record(logical_id, props["AliasName"])

    def _create_secret(self, logical_id: str, props: dict[str, Any]) -> None:
        args: dict[str, Any] = {"Name": props.get("Name", self._default_name(logical_id))}
        for name in ("Description", "KmsKeyId"):
            if name in props:
                args[name] = props[name]
        if "SecretString" in props:
            args["SecretString"] = props["SecretString"]
        elif "GenerateSecretString" in props:
            args["SecretString"] = generate_secret_string(props["GenerateSecretString"])
        arn = self.client("secretsmanager").create_secret(**args)["ARN"]
        self._record(logical_id, arn, Id=arn)

    def _create_queue(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("QueueName") or self._default_name(logical_id) + (".fifo" if props.get("FifoQueue") else "")
        attributes = {key: _attribute_string(value) for key, value in props.items() if key not in ("QueueName", "Tags")}
        if self.queue_visibility_timeout is not None:
            attributes["VisibilityTimeout"] = str(self.queue_visibility_timeout)
        sqs = self.client("sqs")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        arn = arn["Attributes"]["QueueArn"]
        self._record(logical_id, url, Arn=arn, QueueName=name, QueueUrl=url)

    def _create_queue_policy(self, logical_id: str, props: dict[str, Any]) -> None:
        sqs = self.client("sqs")
        for url in props["Queues"]:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
        self._record(logical_id, self._default_name(logical_id))

    def _create_table(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("TableName", self._default_name(logical_id))
        args: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PROVISIONED"),
        }
        for key in ("ProvisionedThroughput", "GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if key in props:
                args[key] = props[key]
        if "StreamSpecification" in props:
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if "SSESpecification" in props:
            sse = props["SSESpecification"]
            args["SSESpecification"] = {"Enabled": sse.get("SSEEnabled", False)} | {
                key: sse[key] for key in ("SSEType", "KMSMasterKeyId") if key in sse
            }
        dynamodb = self.client("dynamodb")
        description = dynamodb.create_table(**args)["TableDescription"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]},
            )
        self._record(
            logical_id,
            name,
            Arn=description["TableArn"],
            StreamArn=description.get("LatestStreamArn"),
        )

    def _create_bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        # Lifecycle rules are not applied: moto stores them but never expires anything.
        name = props.get("BucketName", self._default_name(logical_id).lower())
        s3 = self.client("s3")
        s3.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": self.region},
            ObjectLockEnabledForBucket=bool(props.get("ObjectLockEnabled", False)),
        )
        if "ObjectLockConfiguration" in props:
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=props["ObjectLockConfiguration"])
        encryption = props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration")
        if encryption:
            rules = [
                {
                    "ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"],
                    "BucketKeyEnabled": rule.get("BucketKeyEnabled", False),
                }
                for rule in encryption
            ]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(
                Bucket=name,
                VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]},
            )
        cors = props.get("CorsConfiguration", {}).get("CorsRules", [])
        if cors:
            # moto's server answers a preflight by the bucket's rules (a wrong origin gets 403),
            # as S3 does; its other responses carry moto's own allow-all CORS headers.
            s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [_cors_rule(rule) for rule in cors]})
        queues = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if queues:
            configurations = [_queue_notification(queue) for queue in queues]
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration={"QueueConfigurations": configurations}
            )
        self._record(
            logical_id,
            name,
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{self.region}.amazonaws.com",
        )

    def _create_topic(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("TopicName", self._default_name(logical_id))
        attributes = {
            key: _attribute_string(props[key]) for key in ("DisplayName", "KmsMasterKeyId", "FifoTopic") if key in props
        }
        arn = self.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
        self._record(logical_id, arn, TopicArn=arn, TopicName=name)

    def _create_glue_database(self, logical_id: str, props: dict[str, Any]) -> None:
        database = props["DatabaseInput"]
        self.client("glue").create_database(DatabaseInput=database)
        self._record(logical_id, database["Name"])

    def _create_glue_table(self, logical_id: str, props: dict[str, Any]) -> None:
        table = props["TableInput"]
        self.client("glue").create_table(DatabaseName=props["DatabaseName"], TableInput=table)
        self._record(logical_id, table["Name"])

    def _create_work_group(self, logical_id: str, props: dict[str, Any]) -> None:
        args: dict[str, Any] = {"Name": props["Name"]}
        if "Description" in props:
            args["Description"] = props["Description"]
        if "WorkGroupConfiguration" in props:
            args["Configuration"] = props["WorkGroupConfiguration"]
        if "Tags" in props:
            args["Tags"] = props["Tags"]
        self.client("athena").create_work_group(**args)
        self._record(logical_id, props["Name"])

    def _create_user_pool(self, logical_id: str, props: dict[str, Any]) -> None:
        args: dict[str, Any] = {
            "PoolName": props.get("UserPoolName", self._default_name(logical_id)),
            # No authenticator app here: scripts and the demo sign in with a password only.
            "MfaConfiguration": "OFF",
        }
        for name in (
            "Policies",
            "Schema",
            "AdminCreateUserConfig",
            "AccountRecoverySetting",
            "UsernameConfiguration",
            "UserPoolTags",
        ):
            if name in props:
                args[name] = props[name]
        pool = self.client("cognito-idp").create_user_pool(**args)["UserPool"]
        provider = f"cognito-idp.{self.region}.amazonaws.com/{pool['Id']}"
        self._record(
            logical_id,
            pool["Id"],
            Arn=pool["Arn"],
            UserPoolId=pool["Id"],
            ProviderName=provider,
            ProviderURL=f"https://{provider}",
        )

    def _create_user_pool_client(self, logical_id: str, props: dict[str, Any]) -> None:
        # Locally always USER_PASSWORD_AUTH, so `vindplaats login` and tests can sign in.
        flows = list(props.get("ExplicitAuthFlows", []))
        if "ALLOW_USER_PASSWORD_AUTH" not in flows:
            flows.append("ALLOW_USER_PASSWORD_AUTH")
        args: dict[str, Any] = {
            "UserPoolId": props["UserPoolId"],
            "ClientName": props.get("ClientName", self._default_name(logical_id)),
            "GenerateSecret": bool(props.get("GenerateSecret", False)),
            "ExplicitAuthFlows": flows,
        }
        for name in (
            "ReadAttributes",
            "WriteAttributes",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
            "AuthSessionValidity",
            "IdTokenValidity",
            "AccessTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
        ):
            if name in props:
                args[name] = props[name]
        client = self.client("cognito-idp").create_user_pool_client(**args)["UserPoolClient"]
        self._record(logical_id, client["ClientId"], ClientId=client["ClientId"])

    def _create_user_pool_group(self, logical_id: str, props: dict[str, Any]) -> None:
        args = {key: props[key] for key in ("UserPoolId", "GroupName", "Description", "Precedence") if key in props}
        args.setdefault("GroupName", self._default_name(logical_id))
        self.client("cognito-idp").create_group(**args)
        self._record(logical_id, args["GroupName"])

    def _create_configuration_set(self, logical_id: str, props: dict[str, Any]) -> None:
        name = props.get("Name") or self._default_name(logical_id)
        self.client("sesv2").create_configuration_set(ConfigurationSetName=name)
        self._record(logical_id, name)

    def _create_email_identity(self, logical_id: str, props: dict[str, Any]) -> None:
        """moto's SES takes a created identity as verified (AWS waits for the link in its mail)."""
        identity = props["EmailIdentity"]
        configuration_set = props.get("ConfigurationSetAttributes", {}).get("ConfigurationSetName")
        options = {"ConfigurationSetName": configuration_set} if configuration_set else {}
        self.client("sesv2").create_email_identity(EmailIdentity=identity, **options)
        self._record(logical_id, identity)

    def _auth_environment(self) -> dict[str, str]:
        """The user pool settings the API reads; the JWKS comes from moto, not from AWS."""
        if "UserPool" not in self.resolver.refs or "UserPoolClient" not in self.resolver.refs:
            return {}
        pool_id = self.resolver.refs["UserPool"]
        return {
            "VINDPLAATS_USER_POOL_ID": pool_id,
            "VINDPLAATS_USER_POOL_CLIENT_ID": self.resolver.refs["UserPoolClient"],
            "VINDPLAATS_JWKS_URL": f"{self.endpoint_url}/{pool_id}/.well-known/jwks.json",
        }


def generate_secret_string(spec: Mapping[str, Any]) -> str:
    """A value as Secrets Manager's GenerateSecretString would make it from `spec`."""
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += string.punctuation
    if spec.get("IncludeSpace"):
        alphabet += " "
    alphabet = "".join(c for c in alphabet if c not in spec.get("ExcludeCharacters", ""))
    password = "".join(secrets.choice(alphabet) for _ in range(int(spec.get("PasswordLength", 32))))
    if "SecretStringTemplate" in spec:
        document = json.loads(spec["SecretStringTemplate"])
        document[spec["GenerateStringKey"]] = password
        return json.dumps(document)
    return password


def _queue_notification(configuration: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation QueueConfiguration in the shape PutBucketNotificationConfiguration takes."""
    notification: dict[str, Any] = {
        "QueueArn": configuration["Queue"],
        "Events": [configuration["Event"]],
    }
    rules = configuration.get("Filter", {}).get("S3Key", {}).get("Rules")
    if rules:
        notification["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
    return notification


_CORS_NAMES = {
    "Id": "ID",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "AllowedHeaders": "AllowedHeaders",
    "ExposedHeaders": "ExposeHeaders",
    "MaxAge": "MaxAgeSeconds",
}


def _cors_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation CorsRule as S3's PutBucketCors takes it (a few names differ)."""
    return {_CORS_NAMES[key]: value for key, value in rule.items()}


def _attribute_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _dependency_order(resources: Mapping[str, Any], wanted: list[str]) -> list[str]:
    """`wanted` ordered so every resource comes after the wanted resources it refers to."""
    wanted_set = set(wanted)
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(logical_id: str) -> None:
        if logical_id in ordered:
            return
        if logical_id in visiting:
            raise ValueError(f"circular dependency through {logical_id}")
        visiting.add(logical_id)
        resource = resources[logical_id]
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        for dependency in sorted(references(resource.get("Properties", {})) | set(depends_on)):
            if dependency in wanted_set:
                visit(dependency)
        visiting.discard(logical_id)
        ordered.append(logical_id)

    for logical_id in wanted:
        visit(logical_id)
    return ordered
