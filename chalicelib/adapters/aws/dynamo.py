"""DynamoDB in general: a Query read to its last page, for the adapters that own a key scheme."""

from __future__ import annotations

from typing import Any


def query_all(table: Any, **arguments: Any) -> list[dict[str, Any]]:
    """Every item of `table.query(**arguments)` (a boto3 Table resource), following
    LastEvaluatedKey until the last page."""
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**arguments)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        arguments = {**arguments, "ExclusiveStartKey": page["LastEvaluatedKey"]}
