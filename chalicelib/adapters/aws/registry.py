"""The API's point access to one gemeente's rule in the registry table, without pyarrow.

    registry table   pk=GEMEENTE sk=<code>   naam and the matching rule (registry_to_items)

The whole-registry import and load stay in chalicelib.services.registry; the API reads and
writes only the caller's own gemeente's item, by its key.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.registry import Gemeente, Registry, registry_from_items, registry_to_items

GEMEENTE_PK = "GEMEENTE"


class DynamoGemeenten:
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
