"""Import and load the registry (DynamoDB) and the address reference (Parquet on S3).

The domain modules validate and convert; these functions only move the result in and out of
storage. Tables and clients come in as arguments.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from chalicelib.domain.reference import AddressReferenceError, parse_reference_csv
from chalicelib.domain.registry import Registry, parse_registry_toml, registry_from_items, registry_to_items

REGISTRY_KINDS = ("GEMEENTE", "LEVERANCIER", "CONVENANT")
REFERENCE_KEY = "reference/adressen.parquet"


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


def import_reference(data: bytes, s3_client: Any, bucket: str) -> int:
    """Validate the reference CSV `data` and store it as `s3://bucket/reference/adressen.parquet`.

    Returns the number of rows. Raises AddressReferenceError, writing nothing, when `data` is
    invalid. The Parquet is zstd-compressed and sorted by postcode, then huisnummer.
    """
    reference = parse_reference_csv(data)
    buffer = io.BytesIO()
    pq.write_table(reference, buffer, compression="zstd")
    s3_client.put_object(Bucket=bucket, Key=REFERENCE_KEY, Body=buffer.getvalue())
    return reference.num_rows


def load_reference(s3_client: Any, bucket: str) -> pa.Table:
    """The stored reference; AddressReferenceError `missing_reference` when none was imported."""
    try:
        body = s3_client.get_object(Bucket=bucket, Key=REFERENCE_KEY)["Body"].read()
    except s3_client.exceptions.NoSuchKey:
        raise AddressReferenceError(
            "missing_reference", "er is nog geen adresbestand ingelezen"
        ) from None
    return pq.read_table(io.BytesIO(body))


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
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**arguments)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
