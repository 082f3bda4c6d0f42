"""The audit log: who looked at which case, and whether it was allowed.

One JSON object per event, under a key that is never reused, in a bucket with Object Lock: the
log can only grow. An event holds ids only (subject, tenant, case, run, delivery), never a name,
address or contact detail. Refusals are events too: a role a route refuses (denied), another
tenant's or an unknown case, run or delivery (not_found, or denied for a case of another team).
A request without a valid token has no subject to trust and is only logged (functions/api/app.py).

    <prefix><yyyy>/<mm>/<dd>/<tenant>/<time>-<random>.json
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict


_SAFE = re.compile(r"[0-9A-Za-z_.-]{1,64}")


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    NOT_FOUND = "not_found"


class AuditEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    subject: str
    role: str
    tenant: str | None
    route: str
    case_id: str | None = None
    run: str | None = None
    levering: str | None = None  # a supplier's delivery id
    outcome: Outcome
    count: int | None = None  # an export's rows
    filters: dict[str, str] | None = None  # an export's filters: codes and amounts, never a name


class AuditLog(Protocol):
    def record(self, event: AuditEvent) -> None:
        """Store the event durably, or raise: a caller must not show data it could not log."""
        ...


class MemoryAuditLog:
    """The AuditLog of tests and the local page: events in a list."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


class S3AuditLog:
    """One object per event in an Object Lock bucket (the bucket's default retention applies)."""

    def __init__(self, s3, bucket: str, prefix: str = "audit/") -> None:
        self._s3 = s3
        self._bucket = bucket
        self._prefix = prefix

    def record(self, event: AuditEvent) -> None:
        self._s3.put_object(
            Bucket=self._bucket,
            Key=self.key(event),
            Body=event.model_dump_json().encode(),
            ContentType="application/json",
            IfNoneMatch="*",  # never overwrite, even if a key were ever to repeat
        )

    def key(self, event: AuditEvent) -> str:
        at = event.at.astimezone(UTC)
        tenant = event.tenant if event.tenant and _SAFE.fullmatch(event.tenant) else "-"
        return f"{self._prefix}{at:%Y/%m/%d}/{tenant}/{at:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(8)}.json"
