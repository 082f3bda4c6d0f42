"""The outboxes in the lake: what a supplier is told about its customers' cases (approached,
with a pause; a result), one object per message under the supplier's own prefix; and the
counts-only message to a gemeente that a run is ready.

    lake bucket   outbox/leverancier/<id>/<yyyy-mm-dd>/<uuid>.json   a SupplierMessage
                  outbox/gemeente/<code>/<run>.json                  a run's counts for the gemeente

No pyarrow here: the API writes and reads the supplier outbox.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from chalicelib.domain.casework import SupplierMessage

_PARALLEL = 16


def outbox_prefix(leverancier: str) -> str:
    return f"outbox/leverancier/{leverancier}/"


def outbox_key(leverancier: str, message: SupplierMessage) -> str:
    return f"{outbox_prefix(leverancier)}{message.datum.isoformat()}/{message.id}.json"


def gemeente_outbox_key(gemeente: str, run_id: str) -> str:
    return f"outbox/gemeente/{gemeente}/{run_id}.json"


class S3SupplierOutbox:
    """Messages to suppliers, one object each under the supplier's own prefix in the lake."""

    def __init__(self, s3, lake_bucket: str) -> None:
        self._s3 = s3
        self._bucket = lake_bucket

    def send(self, messages: Sequence[tuple[str, SupplierMessage]]) -> list[str]:
        """Write each (leverancier, message); the puts run in parallel (an approach of 500 cases
        may tell a thousand customers within one API call). Returns the keys."""
        keys = [outbox_key(leverancier, message) for leverancier, message in messages]

        def put(index: int) -> None:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=keys[index],
                Body=messages[index][1].model_dump_json().encode(),
                ContentType="application/json",
            )

        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            list(pool.map(put, range(len(keys))))
        return keys

    def since(
        self, leverancier: str, since: date, limit: int, after: str | None = None
    ) -> tuple[list[SupplierMessage], bool]:
        """The supplier's messages dated on or after `since` (and listed after the entry `after`,
        `<datum>/<id>`), oldest first, at most `limit`; and whether more remain. Lists only the
        supplier's own prefix."""
        prefix = outbox_prefix(leverancier)
        start = max(f"{prefix}{since.isoformat()}", f"{prefix}{after}.json" if after else "")
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix, StartAfter=start)
        keys: list[str] = []
        for page in pages:
            keys += [item["Key"] for item in page.get("Contents", [])]
            if len(keys) > limit:
                break
        more = len(keys) > limit
        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            bodies = list(pool.map(self._read, keys[:limit]))
        return [SupplierMessage.model_validate_json(body) for body in bodies], more

    def _read(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()


class S3GemeenteOutbox:
    """The Notifier for gemeenten: one JSON object per gemeente and run in the lake's outbox."""

    def __init__(self, s3, lake_bucket: str) -> None:
        self._s3 = s3
        self._bucket = lake_bucket

    def send(self, gemeente: str, run_id: str, message: Mapping[str, Any]) -> str:
        key = gemeente_outbox_key(gemeente, run_id)
        body = json.dumps(message, ensure_ascii=False, sort_keys=True, default=str).encode()
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")
        return key
