"""Fixtures of the functional tests: the in-memory audit log the API tests read back, a local
stack with the demo registry and reference, with helpers to deliver files through it, and the
least-privilege check every functional test gets: each AWS call a function's handler made on the
local runtime is checked against that function's role (and key policies) in template.yaml."""

from pathlib import Path

import pytest

from infra import actions
from infra.demo import DemoSummary, generate
from infra.least_privilege import Recorder, Roles
from infra.local.runtime import RUNNING, LocalRuntime
from infra.local.stack import LocalStack
from infra.local.target import Target
from tests.fakes import MemoryAuditLog


@pytest.fixture
def audit() -> MemoryAuditLog:
    return MemoryAuditLog()


class Checked:
    """The calls recorded in this session and how far they have been checked."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.checked = 0
        self._roles: dict[int, Roles] = {}

    def denied(self) -> list[str]:
        """What the calls since the last check did that their function's role does not allow."""
        calls, self.checked = self.recorder.calls[self.checked :], len(self.recorder.calls)
        found: list[str] = []
        for invocation, call in calls:
            roles = self._roles.setdefault(
                id(invocation.stack), Roles(invocation.stack.body, invocation.stack.resolver)
            )
            found += [d for d in roles.denied(invocation.function, [call]) if d not in found]
        return found


@pytest.fixture(scope="session")
def aws_calls():
    """Every AWS call made while a handler runs on a local runtime, with its function and stack."""
    with Recorder(RUNNING.get).installed() as recorder:
        yield Checked(recorder)


@pytest.fixture(autouse=True)
def least_privilege(aws_calls):
    """After each test: the calls its handlers (and module fixtures before it) made are allowed."""
    yield
    denied = aws_calls.denied()
    assert not denied, "calls outside the function's role in template.yaml:\n" + "\n".join(denied)


class Platform:
    """The running local stack as a supplier and an operator see it."""

    def __init__(self, stack: LocalStack, runtime: LocalRuntime, demo: Path, summary: DemoSummary) -> None:
        self.stack = stack
        self.runtime = runtime
        self.demo = demo
        self.summary = summary
        self.target = Target(stack.env("IngestFunction"))
        self.settings = self.target.settings
        self.s3 = stack.client("s3")
        self.sqs = stack.client("sqs")

    def deliver(self, leverancier: str, path: Path) -> tuple[actions.Delivered, "actions.Report"]:
        delivered = actions.upload(self.target, leverancier, path)
        reports = actions.wait_for_reports(self.target, [delivered], timeout=60, pump=lambda: self.runtime.poll_once(0))
        return delivered, reports[delivered]

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def read(self, bucket: str, key: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def dead_letters(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.stack.ref("IngestDeadLetterQueue"), AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


@pytest.fixture(scope="module")
def platform(tmp_path_factory) -> Platform:
    demo = tmp_path_factory.mktemp("demo")
    summary = generate(demo, seed=2026)
    quiet = {"POWERTOOLS_METRICS_DISABLED": "true"}
    with LocalStack(queue_visibility_timeout=1, environment=quiet) as stack:
        runtime = LocalRuntime(stack, wait_time_seconds=0)
        platform = Platform(stack, runtime, demo, summary)
        actions.registry_import(platform.target, demo / "registry.toml")
        actions.reference_import(platform.target, demo / "adressen.csv")
        runtime.run_until_idle(timeout=30)
        yield platform
