"""The audit log in S3: one JSON object per event, under a key that is never reused, in a bucket
with Object Lock, so the log can only grow.

    audit bucket   audit/<yyyy>/<mm>/<dd>/<tenant>/<time>-<random>.json   an AuditEvent
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC
from typing import Any

from chalicelib.domain.audit import AuditEvent

_SAFE = re.compile(r"[0-9A-Za-z_.-]{1,64}")


class S3AuditLog:
    """One object per event in an Object Lock bucket (the bucket's default retention applies)."""

    def __init__(self, s3: Any, bucket: str, prefix: str = "audit/") -> None:
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
            # Object Lock refuses a PutObject without Content-MD5 or an x-amz-checksum-*; asked
            # for explicitly, as a runtime's older botocore adds no checksum of its own.
            ChecksumAlgorithm="SHA256",
        )

    def key(self, event: AuditEvent) -> str:
        at = event.at.astimezone(UTC)
        tenant = event.tenant if event.tenant and _SAFE.fullmatch(event.tenant) else "-"
        return f"{self._prefix}{at:%Y/%m/%d}/{tenant}/{at:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(8)}.json"
