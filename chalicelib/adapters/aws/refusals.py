"""Refused requests per user and window, for the refusal limit (chalicelib.domain.audit.RefusalLimit).

    cases table   pk=REFUSALS#<subject> sk=<window start, ISO>   refusals (a number), expires_at

One atomic UpdateItem (ADD) a refusal, so every container of the API counts against the same
item; DynamoDB's TTL removes the item after its window (`expires_at`, the table's TTL attribute).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any


def refusals_key(subject: str, window_start: datetime) -> dict[str, str]:
    return {"pk": f"REFUSALS#{subject}", "sk": window_start.isoformat()}


class DynamoRefusalCounter:
    """RefusalCounter over the cases table (a boto3 Table resource)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def count(self, subject: str, window_start: datetime, expires: datetime) -> int:
        response = self._table.update_item(
            Key=refusals_key(subject, window_start),
            UpdateExpression="ADD refusals :one SET expires_at = :ttl",
            ExpressionAttributeValues={":one": 1, ":ttl": int(expires.timestamp())},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["refusals"])
