"""Least privilege, checked: an AWS call a function made, as IAM authorises it, against that
function's role in template.yaml (its SAM `Policies`) and, for a KMS key with a key policy of its
own, against that key policy too.

A call becomes one or more `Request`s: the IAM action, the resource ARN built from the call's
parameters (bucket and key, table and index, key id, secret, Glue table, queue, topic) and the
condition keys the service would supply (`dynamodb:LeadingKeys`, `s3:prefix`,
`kms:EncryptionContext:*`). `Policy.allows` evaluates Allow and Deny statements with wildcards
and the condition operators the template uses; a condition it cannot evaluate does not match, so
an unknown case is reported rather than passed.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from botocore import handlers

from infra.template import Resolver, resources_of_type

ROOT_PRINCIPAL = "arn:{partition}:iam::{account}:root"


@dataclass(frozen=True)
class Request:
    """One authorisation an API call needs."""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __str__(self) -> str:
        extra = "".join(f" {k}={list(v)}" for k, v in sorted(self.context.items()))
        return f"{self.action} on {self.resource}{extra}"


@dataclass(frozen=True)
class Call:
    """An AWS API call as botocore saw it: the IAM service prefix, the operation, its parameters."""

    service: str
    operation: str
    params: Mapping[str, Any]


class Policy:
    """IAM policy statements (resolved: no intrinsics left)."""

    def __init__(self, statements: Iterable[Mapping[str, Any]]) -> None:
        self.statements = list(statements)

    def allows(self, request: Request, principal: str | None = None) -> bool:
        """Some Allow statement matches and no Deny does. With `principal`, statements are a
        resource policy's: each must name the principal (or the account root that delegates)."""
        matching = [s for s in self.statements if _matches(s, request, principal)]
        return any(s["Effect"] == "Allow" for s in matching) and not any(s["Effect"] == "Deny" for s in matching)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _matches(statement: Mapping[str, Any], request: Request, principal: str | None) -> bool:
    if "NotAction" in statement or "NotResource" in statement or "NotPrincipal" in statement:
        return False  # not used by the template; never guessed
    actions = _as_list(statement.get("Action", []))
    if not any(fnmatch.fnmatchcase(request.action.lower(), a.lower()) for a in actions):
        return False
    resources = _as_list(statement.get("Resource", "*"))
    if not any(fnmatch.fnmatchcase(request.resource, r) for r in resources):
        return False
    context = dict(request.context)
    if principal is not None:
        named = (
            _as_list(statement.get("Principal", {}).get("AWS", []))
            if isinstance(statement.get("Principal"), dict)
            else []
        )
        if principal not in named and not any(p.endswith(":root") for p in named):
            return False
        context["aws:PrincipalArn"] = (principal,)
    return all(
        _condition(op, key, _as_list(expected), context)
        for op, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def _condition(operator: str, key: str, expected: list[Any], context: Mapping[str, tuple[str, ...]]) -> bool:
    qualifier, _, base = operator.rpartition(":")
    present = context.get(key)
    if base == "Null":
        return (present is None) == (str(expected[0]).lower() == "true")
    if present is None:
        return False  # the service would supply it; not knowing it here is a finding
    compare = {
        "StringEquals": lambda v, e: v == e,
        "StringLike": fnmatch.fnmatchcase,
        "ArnEquals": lambda v, e: v == e,
        "ArnLike": fnmatch.fnmatchcase,
        "Bool": lambda v, e: v.lower() == e.lower(),
    }.get(base)
    if compare is None:
        return False
    one = lambda value: any(compare(value, str(e)) for e in expected)  # noqa: E731
    if qualifier == "ForAllValues":
        return all(one(v) for v in present)
    if qualifier == "ForAnyValue":
        return any(one(v) for v in present)
    return len(present) == 1 and one(present[0])


# ---------------------------------------------------------------------- calls → requests


class Requests:
    """Turns calls into `Request`s for one stack: its account, region and table key names."""

    def __init__(self, *, account: str, region: str, partition: str = "aws", hash_keys: Mapping[str, str]) -> None:
        self.account = account
        self.region = region
        self.partition = partition
        self.hash_keys = dict(hash_keys)  # table name → partition key attribute

    def of(self, call: Call) -> list[Request]:
        handler = getattr(self, "_" + call.service.replace("-", "_"), None)
        if handler is not None:
            found: list[Request] | None = handler(call.operation, call.params)
            if found is not None:
                return found
        return [Request(f"{call.service}:{call.operation}", "*")]

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    # S3: operations and IAM actions differ; keys and prefixes become the resource and s3:prefix.
    def _s3(self, operation: str, params: Mapping[str, Any]) -> list[Request] | None:
        bucket = f"arn:{self.partition}:s3:::{params.get('Bucket', '')}"
        obj = f"{bucket}/{params.get('Key', '')}"
        if operation in ("ListObjectsV2", "ListObjects", "HeadBucket"):
            prefix = params.get("Prefix")
            return [Request("s3:ListBucket", bucket, {"s3:prefix": (prefix,)} if prefix is not None else {})]
        if operation in ("GetObject", "HeadObject"):
            return [Request("s3:GetObject", obj)]
        if operation in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
            return [Request("s3:PutObject", obj)]
        if operation == "DeleteObject":
            return [Request("s3:DeleteObject", obj)]
        if operation == "DeleteObjects":
            return [Request("s3:DeleteObject", f"{bucket}/{o['Key']}") for o in params["Delete"]["Objects"]]
        if operation == "CopyObject":
            source = params["CopySource"]
            source = source if isinstance(source, str) else f"{source['Bucket']}/{source['Key']}"
            return [
                Request("s3:GetObject", f"arn:{self.partition}:s3:::{source.lstrip('/')}"),
                Request("s3:PutObject", obj),
            ]
        return [Request(f"s3:{operation}", obj if "Key" in params else bucket)]

    def _dynamodb(self, operation: str, params: Mapping[str, Any]) -> list[Request] | None:
        if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"):
            return [self._item(operation, params)]
        if operation == "BatchGetItem":
            return [
                self._item("BatchGetItem", {"TableName": table, "Key": key})
                for table, spec in params["RequestItems"].items()
                for key in spec["Keys"]
            ]
        if operation == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            return [self._item(kinds[kind], spec) for item in params["TransactItems"] for kind, spec in item.items()]
        if operation == "TransactGetItems":
            return [self._item("GetItem", item["Get"]) for item in params["TransactItems"]]
        if operation == "BatchWriteItem":
            return [
                self._item(
                    "PutItem" if "PutRequest" in w else "DeleteItem",
                    {"TableName": t, **(w.get("PutRequest") or w["DeleteRequest"])},
                )
                for t, writes in params["RequestItems"].items()
                for w in writes
            ]
        return None

    def _item(self, operation: str, params: Mapping[str, Any]) -> Request:
        table = params["TableName"]
        resource = self._arn("dynamodb", f"table/{table}")
        if params.get("IndexName"):
            resource += f"/index/{params['IndexName']}"
        leading = _leading_key(params, self.hash_keys.get(table, "pk"))
        return Request(f"dynamodb:{operation}", resource, {"dynamodb:LeadingKeys": (leading,)} if leading else {})

    def _kms(self, operation: str, params: Mapping[str, Any]) -> list[Request]:
        key = str(params.get("KeyId", "?"))
        resource = key if key.startswith("arn:") else self._arn("kms", f"key/{key}")
        context: dict[str, tuple[str, ...]] = {}
        encryption_context = params.get("EncryptionContext") or {}
        for name, value in encryption_context.items():
            context[f"kms:EncryptionContext:{name}"] = (str(value),)
        if encryption_context:
            context["kms:EncryptionContextKeys"] = tuple(encryption_context)
        return [Request(f"kms:{operation}", resource, context)]

    def _secretsmanager(self, operation: str, params: Mapping[str, Any]) -> list[Request]:
        secret = str(params.get("SecretId", "?"))
        return [
            Request(
                f"secretsmanager:{operation}",
                secret if secret.startswith("arn:") else self._arn("secretsmanager", f"secret:{secret}"),
            )
        ]

    def _glue(self, operation: str, params: Mapping[str, Any]) -> list[Request]:
        database = params.get("DatabaseName", "?")
        resources = [self._arn("glue", "catalog"), self._arn("glue", f"database/{database}")]
        table = params.get("Name") or (params.get("TableInput") or {}).get("Name")
        if table:
            resources.append(self._arn("glue", f"table/{database}/{table}"))
        return [Request(f"glue:{operation}", resource) for resource in resources]

    def _sqs(self, operation: str, params: Mapping[str, Any]) -> list[Request]:
        """A batch operation is authorised by its single action (SendMessageBatch by sqs:SendMessage)."""
        name = str(params.get("QueueUrl", "?")).rstrip("/").rsplit("/", 1)[-1]
        return [Request(f"sqs:{operation.removesuffix('Batch')}", self._arn("sqs", name))]

    def _sns(self, operation: str, params: Mapping[str, Any]) -> list[Request]:
        return [Request(f"sns:{operation}", str(params.get("TopicArn", "*")))]

    def _cognito_idp(self, operation: str, params: Mapping[str, Any]) -> list[Request]:
        return [
            Request(f"cognito-idp:{operation}", self._arn("cognito-idp", f"userpool/{params.get('UserPoolId', '?')}"))
        ]

    def _ses(self, operation: str, params: Mapping[str, Any]) -> list[Request]:
        """SES v2 authorises a send on the sender's identity and on its configuration set."""
        found = [Request(f"ses:{operation}", self._arn("ses", f"identity/{params.get('FromEmailAddress', '?')}"))]
        if params.get("ConfigurationSetName"):
            found.append(
                Request(f"ses:{operation}", self._arn("ses", f"configuration-set/{params['ConfigurationSetName']}"))
            )
        return found


def _leading_key(params: Mapping[str, Any], hash_key: str) -> str | None:
    """The partition key value an item operation or a Query names (client or resource shapes)."""
    for field_name in ("Key", "Item"):
        item = params.get(field_name)
        if isinstance(item, Mapping) and hash_key in item:
            return _scalar(item[hash_key])
    condition = params.get("KeyConditionExpression")
    if condition is None:
        return None
    if isinstance(condition, str):
        values = params.get("ExpressionAttributeValues", {})
        names = params.get("ExpressionAttributeNames", {})
        for part in condition.split(" AND "):
            left, _, right = (p.strip() for p in part.partition("="))
            if names.get(left, left) == hash_key and right in values:
                return _scalar(values[right])
        return None
    return _condition_leading_key(condition, hash_key)


def _condition_leading_key(condition: Any, hash_key: str) -> str | None:
    expression = condition.get_expression()
    if expression["operator"] == "AND":
        for part in expression["values"]:
            found = _condition_leading_key(part, hash_key)
            if found is not None:
                return found
        return None
    key, *values = expression["values"]
    if expression["operator"] == "=" and getattr(key, "name", None) == hash_key:
        return _scalar(values[0])
    return None


def _scalar(value: Any) -> str:
    if isinstance(value, Mapping) and len(value) == 1:
        return str(next(iter(value.values())))
    return str(value)


# ---------------------------------------------------------------------- the template's roles


class Roles:
    """Each function's role and each KMS key's policy in template.yaml, resolved for one stack."""

    def __init__(self, body: Mapping[str, Any], resolver: Resolver) -> None:
        self.body = body
        self.resolver = resolver
        pseudo = resolver.pseudo
        self.account, self.region, self.stack_name = (
            pseudo["AWS::AccountId"],
            pseudo["AWS::Region"],
            pseudo["AWS::StackName"],
        )
        hash_keys = {}
        for logical_id, table in resources_of_type(body, "AWS::DynamoDB::Table").items():
            schema = table["Properties"]["KeySchema"]
            hash_keys[str(resolver.resolve({"Ref": logical_id}))] = next(
                k["AttributeName"] for k in schema if k["KeyType"] == "HASH"
            )
        self.requests = Requests(account=self.account, region=self.region, hash_keys=hash_keys)
        self.key_policies = {
            str(resolver.resolve({"Fn::GetAtt": [logical_id, "Arn"]})): Policy(
                resolver.resolve(key["Properties"]["KeyPolicy"])["Statement"]
            )
            for logical_id, key in resources_of_type(body, "AWS::KMS::Key").items()
            if "KeyPolicy" in key["Properties"]
        }

    def role_arn(self, function: str) -> str:
        """The ARN CloudFormation gives SAM's role of `function` (<stack>-<Function>Role-<suffix>)."""
        return f"arn:aws:iam::{self.account}:role/{self.stack_name}-{function}Role-LOCAL"

    def policy(self, function: str) -> Policy:
        statements: list[Mapping[str, Any]] = []
        for document in self.body["Resources"][function]["Properties"].get("Policies", []):
            if not isinstance(document, Mapping) or "Statement" not in document:
                raise ValueError(f"{function}: only inline policy documents are checked, got {document!r}")
            statements += self.resolver.resolve(document["Statement"])
        return Policy(statements)

    def denied(self, function: str, calls: Iterable[Call]) -> list[str]:
        """Each request of `calls` that `function`'s role (or a key policy) would deny, described."""
        policy = self.policy(function)
        role = self.role_arn(function)
        found = []
        for call in calls:
            for request in self.requests.of(call):
                if not policy.allows(request):
                    found.append(f"{function} {call.operation}: {request} is not in its role")
                key_policy = self.key_policies.get(request.resource) if request.action.startswith("kms:") else None
                if key_policy is not None and not key_policy.allows(request, principal=role):
                    found.append(f"{function} {call.operation}: {request} is not in the key policy")
        return found


# ---------------------------------------------------------------------- recording calls


class Recorder:
    """Records every AWS call made in this process while `installed`, with whatever
    `attribute()` says is running (None: not a function's call, e.g. a test's own setup).

    The hook is one of botocore's built-in handlers, which every new botocore session registers,
    so clients made later (a handler's cold start) are recorded too; clients made before are not.
    """

    def __init__(self, attribute: Callable[[], Any]) -> None:
        self.attribute = attribute
        self.calls: list[tuple[Any, Call]] = []

    def _record(self, params: Mapping[str, Any], model: Any, **_: Any) -> None:
        running = self.attribute()
        if running is not None:
            call = Call(model.service_model.signing_name, model.name, dict(params))
            self.calls.append((running, call))

    @contextmanager
    def installed(self) -> Iterator[Recorder]:
        spec = ("provide-client-params", self._record)
        handlers.BUILTIN_HANDLERS.append(spec)
        try:
            yield self
        finally:
            handlers.BUILTIN_HANDLERS.remove(spec)
