"""AWS adapters of working cases and talking to suppliers, without pyarrow (the API uses them).

    cases table   pk=STATE#<gemeente>#<run> sk=<case_id>   status, team, contactpogingen, resultaat,
                                                            approached_on, pause_until, updated_at/by
    lake bucket   outbox/leverancier/<id>/<yyyy-mm-dd>/<uuid>.json   a SupplierMessage
                  reports/<leverancier>/<levering>.json              a delivery's Report

Only cases the gemeente touched have a state item, so a gemeente's run reads its states with one
Query (paged) and never a scan; writes are point updates.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.domain.cases import Contactpoging
from chalicelib.domain.casework import CaseState, SupplierMessage
from chalicelib.domain.report import Report

_MISSING = ("404", "NoSuchKey", "NotFound")
_STATE_FIELDS = frozenset(CaseState.model_fields) - {"contactpogingen", "updated_at", "updated_by"}
_PARALLEL = 16


def state_pk(gemeente: str, run_id: str) -> str:
    return f"STATE#{gemeente}#{run_id}"


def report_key(leverancier: str, levering: str) -> str:
    return f"reports/{leverancier}/{levering}.json"


def outbox_prefix(leverancier: str) -> str:
    return f"outbox/leverancier/{leverancier}/"


def outbox_key(leverancier: str, message: SupplierMessage) -> str:
    return f"{outbox_prefix(leverancier)}{message.datum.isoformat()}/{message.id}.json"


class DynamoCaseStates:
    """Case state items in the cases table (a boto3 Table resource)."""

    def __init__(self, table) -> None:
        self._table = table

    def states(self, gemeente: str, run_id: str) -> dict[str, CaseState]:
        """Every recorded state of the gemeente's run, by case id: one Query."""
        arguments: dict[str, Any] = {
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": state_pk(gemeente, run_id)},
            "ConsistentRead": True,
        }
        found: dict[str, CaseState] = {}
        while True:
            page = self._table.query(**arguments)
            for item in page.get("Items", []):
                found[item["sk"]] = _case_state(item)
            if "LastEvaluatedKey" not in page:
                return found
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def state(self, gemeente: str, run_id: str, case_id: str) -> CaseState | None:
        """One case's recorded state (one consistent GetItem); None when nothing was recorded."""
        item = self._table.get_item(Key={"pk": state_pk(gemeente, run_id), "sk": case_id}, ConsistentRead=True)
        found = item.get("Item")
        return None if found is None else _case_state(found)

    def update(
        self, gemeente: str, run_id: str, case_id: str, fields: Mapping[str, Any], *, by: str, at: datetime,
        contactpoging: Contactpoging | None = None,
    ) -> None:
        """Set `fields` (names of CaseState) and append `contactpoging`, in one UpdateItem."""
        unknown = set(fields) - _STATE_FIELDS
        if unknown:
            raise ValueError(f"not a case state field: {sorted(unknown)}")
        values: dict[str, Any] = {":at": at.isoformat(), ":by": by}
        names: dict[str, str] = {}
        sets = ["updated_at = :at", "updated_by = :by"]
        for n, (name, value) in enumerate(sorted(fields.items())):
            names[f"#f{n}"] = name
            values[f":v{n}"] = value.isoformat() if isinstance(value, date) else value
            sets.append(f"#f{n} = :v{n}")
        if contactpoging is not None:
            names["#pogingen"] = "contactpogingen"
            values[":poging"] = [contactpoging.model_dump(mode="json")]
            values[":none"] = []
            sets.append("#pogingen = list_append(if_not_exists(#pogingen, :none), :poging)")
        arguments: dict[str, Any] = {
            "Key": {"pk": state_pk(gemeente, run_id), "sk": case_id},
            "UpdateExpression": "SET " + ", ".join(sets),
            "ExpressionAttributeValues": values,
        }
        if names:
            arguments["ExpressionAttributeNames"] = names
        self._table.update_item(**arguments)


def _case_state(item: Mapping[str, Any]) -> CaseState:
    return CaseState.model_validate({key: value for key, value in item.items() if key not in ("pk", "sk")})


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
                Bucket=self._bucket, Key=keys[index], Body=messages[index][1].model_dump_json().encode(),
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
        pages = self._s3.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix, StartAfter=start
        )
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


class S3Reports:
    """A delivery's validation report in the lake, as the ingest step wrote it."""

    def __init__(self, s3, lake_bucket: str) -> None:
        self._s3 = s3
        self._bucket = lake_bucket

    def read(self, leverancier: str, levering: str) -> Report | None:
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=report_key(leverancier, levering))["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _MISSING:
                return None
            raise
        return Report.model_validate(json.loads(body))
