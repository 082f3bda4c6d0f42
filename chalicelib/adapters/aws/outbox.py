"""The outboxes in the lake: what a supplier is told about its customers' cases (approached,
with a pause; a result), one object per message under the supplier's own prefix; and the
counts-only message to a gemeente that a run is ready.

    lake bucket   outbox/leverancier/<id>/<yyyy-mm-dd>/<uuid>.json   a SupplierMessage
                  outbox/leverancier/<id>/dag/<yyyy-mm-dd>.csv|.json the day's messages, one file each form
                  outbox/gemeente/<code>/<run>.json                  the record that a run's mail went out

No pyarrow here: the notify function writes the supplier outbox and the API reads it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.casework import SupplierMessage
from chalicelib.domain.notify import daily_csv, daily_json

_PARALLEL = 16
DAILY = "dag/"  # sorts after every dated folder ("d" > "2"), which `since` stops at


def outbox_prefix(leverancier: str) -> str:
    return f"outbox/leverancier/{leverancier}/"


def outbox_key(leverancier: str, message: SupplierMessage) -> str:
    return f"{outbox_prefix(leverancier)}{message.datum.isoformat()}/{message.id}.json"


def daily_key(leverancier: str, datum: date, extension: str) -> str:
    return f"{outbox_prefix(leverancier)}{DAILY}{datum.isoformat()}.{extension}"


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

    def day(self, leverancier: str, datum: date) -> list[SupplierMessage]:
        """Every message of the supplier dated `datum`, in the order they were sent."""
        prefix = f"{outbox_prefix(leverancier)}{datum.isoformat()}/"
        keys = [
            item["Key"]
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            bodies = list(pool.map(self._read, keys))
        found = [SupplierMessage.model_validate_json(body) for body in bodies]
        return sorted(found, key=lambda m: (m.tijdstip, m.id))

    def write_daily(self, leverancier: str, datum: date, messages: Sequence[SupplierMessage]) -> list[str]:
        """(Re)write the supplier's CSV and JSON file of `datum`; returns their keys."""
        files = {
            daily_key(leverancier, datum, "csv"): (daily_csv(messages), "text/csv; charset=utf-8"),
            daily_key(leverancier, datum, "json"): (daily_json(messages), "application/json"),
        }
        for key, (body, content_type) in files.items():
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType=content_type)
        return list(files)

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
        daily = f"{prefix}{DAILY}"
        for page in pages:
            listed = [item["Key"] for item in page.get("Contents", [])]
            keys += [key for key in listed if not key.startswith(daily)]
            if len(keys) > limit or any(key.startswith(daily) for key in listed):
                break
        more = len(keys) > limit
        with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
            bodies = list(pool.map(self._read, keys[:limit]))
        return [SupplierMessage.model_validate_json(body) for body in bodies], more

    def _read(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()


class S3RunMailLog:
    """The RunMailLog: `outbox/gemeente/<code>/<run>.json`, written only if absent
    (`If-None-Match: *`), so of two deliveries of one run-published event only one mails."""

    def __init__(self, s3, lake_bucket: str) -> None:
        self._s3 = s3
        self._bucket = lake_bucket

    def claim(self, gemeente: str, run_id: str, record: Mapping[str, Any]) -> bool:
        body = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str).encode()
        try:
            self._s3.put_object(
                Bucket=self._bucket,
                Key=gemeente_outbox_key(gemeente, run_id),
                Body=body,
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            # 412: it exists; 409: another writer is putting it right now.
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        return True

    def release(self, gemeente: str, run_id: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=gemeente_outbox_key(gemeente, run_id))
