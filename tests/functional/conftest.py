"""Fixtures of the functional tests: the in-memory audit log the API tests read back, and a local
stack with the demo registry and reference, with helpers to deliver files through it."""

from pathlib import Path

import pytest

from infra import actions
from infra.demo import DemoSummary, generate
from infra.local.runtime import LocalRuntime
from infra.local.stack import LocalStack
from infra.local.target import Target
from tests.fakes import MemoryAuditLog


@pytest.fixture
def audit() -> MemoryAuditLog:
    return MemoryAuditLog()


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
