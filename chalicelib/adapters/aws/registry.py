"""The registry in DynamoDB: one item per entry in the registry table.

    registry table   pk=GEMEENTE    sk=<code>                           naam and the matching rule
                     pk=LEVERANCIER sk=<id>                             naam, signaaltype, max_fout_percentage
                     pk=CONVENANT   sk=<gemeente>#<leverancier>#<vanaf>  gemeente, leverancier, vanaf[, tot]

Values are plain JSON (no floats, which boto3 refuses): amounts and percentages as strings,
dates ISO, an absent `tot` left out. The operator's import replaces the whole registry; ingest
and the match step load it whole (DynamoRegistrySource keeps it a while); the API reads and
writes only the caller's own gemeente's item (DynamoGemeenten). No pyarrow here: the API uses it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws.dynamo import query_all
from chalicelib.domain.registry import (
    Gemeente,
    Registry,
    RegistryError,
    parse_registry_toml,
    registry_from_sections,
)

GEMEENTE_PK = "GEMEENTE"
REGISTRY_KINDS = (GEMEENTE_PK, "LEVERANCIER", "CONVENANT")
# Each kind's section of the Registry, and the entry's field its sk holds (a convenant's sk is its key).
_SECTIONS = {GEMEENTE_PK: "gemeenten", "LEVERANCIER": "leveranciers", "CONVENANT": "convenanten"}
_IDENTITY = {"gemeenten": "code", "leveranciers": "id"}


def registry_to_items(registry: Registry) -> list[dict[str, Any]]:
    """One item per entry for a single DynamoDB table keyed by string `pk` and `sk`.

    Values are plain JSON (no floats that boto3 would reject): amounts and percentages as
    strings, dates ISO, an absent `tot` left out.
    """
    items: list[dict[str, Any]] = []
    for g in registry.gemeenten:
        items.append(
            {
                "pk": GEMEENTE_PK,
                "sk": g.code,
                "naam": g.naam,
                "min_leveranciers": g.min_leveranciers,
                "min_dagen": g.min_dagen,
                "max_dagen": g.max_dagen,
                "min_bedrag": str(g.min_bedrag),
                "signaaltypen": list(g.signaaltypen),
                "venster": {t: [low, high] for t, (low, high) in g.venster.items()},
            }
        )
    for leverancier in registry.leveranciers:
        items.append(
            {
                "pk": "LEVERANCIER",
                "sk": leverancier.id,
                "naam": leverancier.naam,
                "signaaltype": leverancier.signaaltype,
                "max_fout_percentage": repr(leverancier.max_fout_percentage),
            }
        )
    for c in registry.convenanten:
        item = {
            "pk": "CONVENANT",
            "sk": c.key,
            "gemeente": c.gemeente,
            "leverancier": c.leverancier,
            "vanaf": c.vanaf.isoformat(),
        }
        if c.tot is not None:
            item["tot"] = c.tot.isoformat()
        items.append(item)
    return items


def registry_from_items(items: Iterable[Mapping[str, Any]]) -> Registry:
    """The registry stored as `items` (any order; numbers may be Decimal), in canonical order.

    Raises RegistryError for an item of unknown kind, an `sk` that does not match the entry, or
    anything `parse_registry_toml` would reject.
    """
    items = list(items)
    sections: dict[str, list[dict[str, Any]]] = {name: [] for name in _SECTIONS.values()}
    for item in sorted(items, key=lambda i: (str(i.get("pk")), str(i.get("sk")))):
        kind = _SECTIONS.get(str(item.get("pk")))
        if kind is None:
            raise RegistryError("invalid_item", f"onbekend soort item in het register: pk '{item.get('pk')}'")
        entry = {k: _plain(v) for k, v in item.items() if k not in ("pk", "sk")}
        if kind in _IDENTITY:
            entry[_IDENTITY[kind]] = item.get("sk")
        sections[kind].append(entry)
    registry = registry_from_sections(sections)
    expected = {(item["pk"], item["sk"]) for item in registry_to_items(registry)}
    for item in items:
        if (item.get("pk"), item.get("sk")) not in expected:
            raise RegistryError(
                "invalid_item", f"item {item.get('pk')} '{item.get('sk')}': de sk past niet bij de inhoud"
            )
    return registry.canonical()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def import_registry(text: str, table: Any) -> Registry:
    """Replace the registry in `table` (a boto3 DynamoDB Table) with the one in TOML `text`.

    Raises RegistryError before writing anything when `text` is invalid. New items are written
    before stale ones are deleted, so a reader meanwhile sees the old or the new entries, never
    neither. Items of other kinds in the same table are left alone.
    """
    registry = parse_registry_toml(text)
    items = registry_to_items(registry)
    keep = {(item["pk"], item["sk"]) for item in items}
    stale = [key for key in _stored_keys(table) if key not in keep]
    with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for item in items:
            batch.put_item(Item=item)
    with table.batch_writer() as batch:
        for pk, sk in stale:
            batch.delete_item(Key={"pk": pk, "sk": sk})
    return registry


def load_registry(table: Any) -> Registry:
    """The registry stored in `table`, in canonical order; RegistryError when an item is invalid."""
    return registry_from_items([item for kind in REGISTRY_KINDS for item in _query(table, kind, keys_only=False)])


def _stored_keys(table: Any) -> list[tuple[str, str]]:
    return [(item["pk"], item["sk"]) for kind in REGISTRY_KINDS for item in _query(table, kind, keys_only=True)]


def _query(table: Any, kind: str, *, keys_only: bool) -> list[dict[str, Any]]:
    arguments: dict[str, Any] = {
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": "pk"},
        "ExpressionAttributeValues": {":pk": kind},
        "ConsistentRead": True,
    }
    if keys_only:
        arguments["ProjectionExpression"] = "#pk, #sk"
        arguments["ExpressionAttributeNames"]["#sk"] = "sk"
    return query_all(table, **arguments)


class DynamoRegistrySource:
    """The whole registry for ingest and the match step; a warm Lambda keeps it `max_age_seconds`
    so an operator's change reaches ingest within minutes."""

    def __init__(self, table, max_age_seconds: float = 300.0, clock=time.monotonic) -> None:
        self._table = table
        self._max_age = max_age_seconds
        self._clock = clock
        self._cached: Registry | None = None
        self._read_at = 0.0

    def registry(self) -> Registry:
        now = self._clock()
        if self._cached is None or now - self._read_at > self._max_age:
            self._cached = load_registry(self._table)
            self._read_at = now
        return self._cached


class DynamoGemeenten:
    """Point access to one gemeente's item, for the API's settings."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, code: str) -> Gemeente | None:
        """The stored gemeente, or None; RegistryError when its item is invalid."""
        item = self._table.get_item(Key={"pk": GEMEENTE_PK, "sk": code}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        return registry_from_items([item]).gemeenten[0]

    def put(self, gemeente: Gemeente) -> bool:
        """Replace the gemeente's item; False (nothing written) when it is no longer registered."""
        (item,) = registry_to_items(Registry(gemeenten=(gemeente,)))
        try:
            # Only an existing gemeente: an import that removed it meanwhile wins.
            self._table.put_item(Item=item, ConditionExpression="attribute_exists(sk)")
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
