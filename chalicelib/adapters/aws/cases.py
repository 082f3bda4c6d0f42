"""AWS adapters of publishing: the case store, the run registry, a run's lake files, the
gemeente outbox and the vault's list of deliveries.

    vault bucket  cases/<run>/<gemeente>.json        {"run", "gemeente", "cases": [...]}, rank order,
                                                      no contact data: a gemeente's month in one GET
                  contacts/<run>/<gemeente>.bin       records envelope (envelope.py): per case id a
                                                      record of JSON [person], one data key with KMS
                                                      encryption context {run, gemeente}
    lake bucket   runs/<run>/matches/...              the match step's Parquet (MATCH_SCHEMA)
                  matches/run=<run>/part-0.parquet    (huishouden, gemeente, as_of) of the run's cases
                  outbox/gemeente/<code>/<run>.json   the counts-only message that a run is ready
    table         pk=RUN sk=<run>                     as_of, status, begun_at, published_at, gemeenten
                  pk=RUN sk=LATEST                    run_id, as_of: the run the gemeenten see
                  pk=STATE#<gemeente>#<run> sk=<case>   a worked case's state (casework.py)

Only the lake's Parquet methods import pyarrow, and lazily: the API uses the store and the
registry without it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from chalicelib.adapters.aws.envelope import (
    MAGIC,
    RecordIndex,
    open_index,
    open_record,
    open_records,
    seal_records,
    unseal,
    unwrap,
)
from chalicelib.domain.cases import Case, Person, RunInfo, RunStatus

if TYPE_CHECKING:
    import pyarrow as pa

_MISSING = ("404", "NoSuchKey", "NotFound")
_CHANGED = ("412", "PreconditionFailed")
_UNCHANGED = ("304", "NotModified")
_RUN = "RUN"
_LATEST = "LATEST"


def cases_key(run_id: str, gemeente: str) -> str:
    return f"cases/{run_id}/{gemeente}.json"


def contacts_key(run_id: str, gemeente: str) -> str:
    return f"contacts/{run_id}/{gemeente}.bin"


class _GemeenteCases(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str
    gemeente: str
    cases: list[Case]


class S3CaseStore:
    """A run's cases and contacts, one object each per gemeente, in the vault bucket.

    A contact view decrypts one case's record only: a warm Lambda keeps each contacts object's
    index (case ids, byte ranges and the wrapped data key: nothing in plain text that names
    anyone) by ETag, and reads the one record with a ranged GET. The data key itself is
    unwrapped by KMS on every view and never kept.
    """

    _CACHED_OBJECTS = 8

    def __init__(self, s3, kms, vault_bucket: str, key_id: str) -> None:
        self._s3 = s3
        self._kms = kms
        self._bucket = vault_bucket
        self._key_id = key_id
        # Parsing a gemeente's month (5,000 cases: 5 MB) costs hundreds of ms; a warm Lambda
        # keeps the parsed cases and revalidates them with a conditional GET (ETag).
        self._parsed: dict[str, tuple[str, list[Case]]] = {}
        self._indexes: dict[str, tuple[str, RecordIndex]] = {}

    def write(
        self, run_id: str, gemeente: str, cases: Sequence[Case], contacts: Mapping[str, Sequence[Person]]
    ) -> None:
        """Replace the gemeente's cases (given in rank order) and the contacts of those cases."""
        records = {
            case.id: json.dumps(
                [person.model_dump(mode="json", exclude_none=True) for person in contacts[case.id]],
                ensure_ascii=False, separators=(",", ":"),
            ).encode()
            for case in cases
            if contacts.get(case.id)
        }
        body = seal_records(self._kms, self._key_id, _context(run_id, gemeente), records)
        key = contacts_key(run_id, gemeente)
        self._indexes.pop(key, None)
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/octet-stream")
        document = _GemeenteCases(run=run_id, gemeente=gemeente, cases=list(cases))
        self._s3.put_object(
            Bucket=self._bucket,
            Key=cases_key(run_id, gemeente),
            Body=document.model_dump_json().encode(),
            ContentType="application/json",
        )

    def cases(self, run_id: str, gemeente: str) -> list[Case]:
        """The gemeente's cases of the run in rank order; [] when it has none."""
        key = cases_key(run_id, gemeente)
        cached = self._parsed.get(key)
        try:
            response = self._s3.get_object(
                Bucket=self._bucket, Key=key, **({"IfNoneMatch": cached[0]} if cached else {})
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if cached is not None and code in _UNCHANGED:
                return list(cached[1])
            if code in _MISSING:
                self._parsed.pop(key, None)
                return []
            raise
        cases = _GemeenteCases.model_validate_json(response["Body"].read()).cases
        if len(self._parsed) >= self._CACHED_OBJECTS:
            self._parsed.pop(next(iter(self._parsed)))
        self._parsed[key] = (response["ETag"], cases)
        return list(cases)

    def contacts(self, run_id: str, gemeente: str, case_id: str) -> list[Person]:
        """The people named for one case; [] when there are none. One KMS Decrypt, and only this
        case's record is decrypted. Raises when the object, its index or the record was
        tampered with, or belongs to another run or gemeente."""
        key = contacts_key(run_id, gemeente)
        context = _context(run_id, gemeente)
        cached = self._indexes.get(key)
        if cached is not None:
            etag, index = cached
            span = index.spans.get(case_id)
            if span is None:
                if self._unchanged(key, etag):
                    return []
            else:
                sealed = self._ranged(key, etag, span)
                if sealed is not None:
                    data_key = unwrap(self._kms, self._key_id, context, index.wrapped_key)
                    return _people(open_record(data_key, context, case_id, sealed))
            del self._indexes[key]  # the object changed or went since: read it afresh
        response = self._get(key)
        if response is None:
            return []
        body = response["Body"].read()
        if body.startswith(MAGIC):
            return self._all_contacts(run_id, gemeente, body).get(case_id, [])
        data_key, index = open_index(self._kms, self._key_id, context, body)
        if len(self._indexes) >= self._CACHED_OBJECTS:
            self._indexes.pop(next(iter(self._indexes)))
        self._indexes[key] = (response["ETag"], index)
        span = index.spans.get(case_id)
        return [] if span is None else _people(open_record(data_key, context, case_id, body[span[0] : span[1]]))

    def gemeenten(self, run_id: str) -> list[str]:
        """The gemeenten that have a cases object in the run."""
        prefix = f"cases/{run_id}/"
        return sorted(key[len(prefix) : -len(".json")] for key in _keys(self._s3, self._bucket, prefix))

    def keep(self, run_id: str, gemeente: str, case_ids: Collection[str]) -> int:
        """Rewrite the gemeente's objects with only `case_ids` (both deleted when none remain);
        returns how many cases were removed."""
        cases = self.cases(run_id, gemeente)
        kept = [case for case in cases if case.id in case_ids]
        if not kept:
            self.delete(run_id, gemeente)
        elif len(kept) < len(cases):
            body = self._read(contacts_key(run_id, gemeente))
            self.write(run_id, gemeente, kept, {} if body is None else self._all_contacts(run_id, gemeente, body))
        return len(cases) - len(kept)

    def delete(self, run_id: str, gemeente: str) -> None:
        _delete_keys(self._s3, self._bucket, [cases_key(run_id, gemeente), contacts_key(run_id, gemeente)])

    def delete_run(self, run_id: str) -> int:
        """Delete every cases and contacts object of the run; returns how many there were."""
        return _delete_prefix(self._s3, self._bucket, f"cases/{run_id}/") + _delete_prefix(
            self._s3, self._bucket, f"contacts/{run_id}/"
        )

    def _all_contacts(self, run_id: str, gemeente: str, body: bytes) -> dict[str, list[Person]]:
        """Every case's people in a contacts object: for rewriting it, and for objects sealed
        whole (`VPV1`, before contacts were sealed per case)."""
        context = _context(run_id, gemeente)
        if body.startswith(MAGIC):
            whole = json.loads(unseal(self._kms, self._key_id, context, body))
            return {case: [Person.model_validate(p) for p in people] for case, people in whole.items()}
        return {case: _people(plain) for case, plain in open_records(self._kms, self._key_id, context, body).items()}

    def _read(self, key: str) -> bytes | None:
        response = self._get(key)
        return None if response is None else response["Body"].read()

    def _get(self, key: str, **conditions: str) -> dict[str, Any] | None:
        """The GET response; None when the object is missing, or changed against `conditions`."""
        try:
            return self._s3.get_object(Bucket=self._bucket, Key=key, **conditions)
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _MISSING + _CHANGED:
                return None
            raise

    def _ranged(self, key: str, etag: str, span: tuple[int, int]) -> bytes | None:
        """The bytes [start, end) of the object as it was at `etag`; None if it changed or went."""
        response = self._get(key, IfMatch=etag, Range=f"bytes={span[0]}-{span[1] - 1}")
        return None if response is None else response["Body"].read()

    def _unchanged(self, key: str, etag: str) -> bool:
        """Whether the object still is the one at `etag` (a conditional GET of one byte)."""
        try:
            self._s3.get_object(Bucket=self._bucket, Key=key, IfNoneMatch=etag, Range="bytes=0-0")
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _UNCHANGED:
                return True
            if exc.response["Error"]["Code"] in _MISSING:
                return False
            raise
        return False


class DynamoRunRegistry:
    """Runs and the LATEST pointer in one DynamoDB table keyed by `pk` and `sk` (strings).

    `table` is a boto3 Table resource; `clock` gives the begun and published times.
    """

    def __init__(self, table, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._table = table
        self._clock = clock

    def begin(self, run_id: str, as_of: date) -> bool:
        """Record the run as publishing; False (and no change) when it was already published."""
        try:
            self._table.update_item(
                Key={"pk": _RUN, "sk": run_id},
                UpdateExpression="SET as_of = :as_of, #status = :publishing, begun_at = :now",
                ConditionExpression="attribute_not_exists(sk) OR #status = :publishing",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":as_of": as_of.isoformat(),
                    ":publishing": RunStatus.PUBLISHING.value,
                    ":now": self._clock().isoformat(),
                },
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def publish(self, run_id: str, counts: Mapping[str, int]) -> RunInfo:
        """Mark the begun run published with its case counts and point LATEST at it, in one
        transaction: the moment the run becomes visible. LATEST never moves to an older as-of
        date: a rerun of an earlier month is published without becoming the latest."""
        item = self._table.get_item(Key={"pk": _RUN, "sk": run_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise LookupError(f"run {run_id} was not begun")
        as_of = item["as_of"]
        mark = {
            "TableName": self._table.name,
            "Key": {"pk": _RUN, "sk": run_id},
            "UpdateExpression": "SET #status = :published, published_at = :now, gemeenten = :counts",
            "ConditionExpression": "as_of = :as_of",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":published": RunStatus.PUBLISHED.value,
                ":now": self._clock().isoformat(),
                ":counts": {code: int(count) for code, count in counts.items()},
                ":as_of": as_of,
            },
        }
        pointer = {
            "TableName": self._table.name,
            "Item": {"pk": _RUN, "sk": _LATEST, "run_id": run_id, "as_of": as_of},
            "ConditionExpression": "attribute_not_exists(sk) OR as_of <= :as_of",
            "ExpressionAttributeValues": {":as_of": as_of},
        }
        client = self._table.meta.client
        try:
            client.transact_write_items(TransactItems=[{"Update": mark}, {"Put": pointer}])
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [reason.get("Code") for reason in exc.response.get("CancellationReasons", [])]
            if reasons != ["None", "ConditionalCheckFailed"]:
                raise
            client.update_item(**mark)
        return self._run(run_id)

    def latest(self) -> RunInfo | None:
        pointer = self._table.get_item(Key={"pk": _RUN, "sk": _LATEST}, ConsistentRead=True).get("Item")
        return None if pointer is None else self._run(pointer["run_id"])

    def published(self, since: date) -> list[RunInfo]:
        """Published runs with as-of on or after `since`, newest first."""
        return [run for run in self.runs() if run.status is RunStatus.PUBLISHED and run.as_of >= since]

    def runs_for(self, gemeente: str) -> list[RunInfo]:
        """Published runs that counted `gemeente`, newest first."""
        return [run for run in self.published(date.min) if gemeente in run.gemeenten]

    def runs(self) -> list[RunInfo]:
        """Every run, whatever its status, newest first (by as-of, then publication)."""
        items: list[dict[str, Any]] = []
        arguments: dict[str, Any] = {
            "KeyConditionExpression": "pk = :run",
            "ExpressionAttributeValues": {":run": _RUN},
            "ConsistentRead": True,
        }
        while True:
            page = self._table.query(**arguments)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        runs = [_run_info(item) for item in items if item["sk"] != _LATEST]
        return sorted(runs, key=lambda run: (run.as_of, run.published_at or datetime.min.replace(tzinfo=UTC)),
                      reverse=True)

    def discard(self, run_id: str) -> bool:
        """Forget a run that never got published; False when it was published meanwhile."""
        try:
            self._table.delete_item(
                Key={"pk": _RUN, "sk": run_id},
                ConditionExpression="#status = :publishing",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":publishing": RunStatus.PUBLISHING.value},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _run(self, run_id: str) -> RunInfo:
        item = self._table.get_item(Key={"pk": _RUN, "sk": run_id}, ConsistentRead=True).get("Item")
        if item is None:
            raise LookupError(f"run {run_id} is unknown")
        return _run_info(item)


def _run_info(item: Mapping[str, Any]) -> RunInfo:
    return RunInfo(
        run_id=item["sk"],
        as_of=item["as_of"],
        status=item["status"],
        begun_at=item.get("begun_at"),
        published_at=item.get("published_at"),
        gemeenten={code: int(count) for code, count in item.get("gemeenten", {}).items()},
    )


class S3RunLake:
    """A run's pseudonymous files in the lake: the match step's output and the match history."""

    def __init__(self, s3, lake_bucket: str) -> None:
        self._s3 = s3
        self._bucket = lake_bucket

    def read_matches(self, run_id: str) -> pa.Table:
        """Every Parquet object under runs/<run>/matches/ as one MATCH_SCHEMA table (empty if none)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from chalicelib.domain.matching import MATCH_SCHEMA

        tables = []
        for key in _keys(self._s3, self._bucket, f"runs/{run_id}/matches/"):
            name = key.rsplit("/", 1)[-1]
            if name.startswith(("_", ".")):
                continue  # writers' markers such as _SUCCESS
            body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            if body:
                tables.append(pq.read_table(io.BytesIO(body)).select(MATCH_SCHEMA.names).cast(MATCH_SCHEMA))
        return pa.concat_tables(tables) if tables else MATCH_SCHEMA.empty_table()

    def read_history(self, run_id: str) -> pa.Table:
        """The run's (huishouden, gemeente, as_of) rows; empty when it wrote none."""
        import pyarrow.parquet as pq

        from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA

        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=f"matches/run={run_id}/part-0.parquet")["Body"].read()
        except self._s3.exceptions.NoSuchKey:
            return VORIGE_MATCHES_SCHEMA.empty_table()
        return pq.read_table(io.BytesIO(body)).select(VORIGE_MATCHES_SCHEMA.names).cast(VORIGE_MATCHES_SCHEMA)

    def write_match_history(self, run_id: str, history: pa.Table) -> str:
        """Store (huishouden, gemeente, as_of) rows as matches/run=<run>/part-0.parquet."""
        import pyarrow.parquet as pq

        key = f"matches/run={run_id}/part-0.parquet"
        body = io.BytesIO()
        pq.write_table(history, body, compression="zstd")
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=body.getvalue(), ContentType="application/vnd.apache.parquet"
        )
        return key

    def delete_run(self, run_id: str) -> int:
        """Delete runs/<run>/ and matches/run=<run>/; returns how many objects there were."""
        return _delete_prefix(self._s3, self._bucket, f"runs/{run_id}/") + _delete_prefix(
            self._s3, self._bucket, f"matches/run={run_id}/"
        )


class S3GemeenteOutbox:
    """The Notifier for gemeenten: one JSON object per gemeente and run in the lake's outbox."""

    def __init__(self, s3, lake_bucket: str) -> None:
        self._s3 = s3
        self._bucket = lake_bucket

    def send(self, gemeente: str, run_id: str, message: Mapping[str, Any]) -> str:
        key = f"outbox/gemeente/{gemeente}/{run_id}.json"
        body = json.dumps(message, ensure_ascii=False, sort_keys=True, default=str).encode()
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/json")
        return key


class S3VaultIndex:
    """Which deliveries have a vault object, and how old each delivery is."""

    def __init__(self, s3, vault_bucket: str, lake_bucket: str) -> None:
        self._s3 = s3
        self._vault = vault_bucket
        self._lake = lake_bucket

    def present(self) -> set[tuple[str, str]]:
        """(leverancier, levering) of every vault object."""
        return {key for key, _ in self._objects()}

    def deliveries(self) -> list[tuple[str, str, date]]:
        """(leverancier, levering, date) per vault object: the peildatum from the delivery's
        report, else the day the object was last written."""
        from chalicelib.adapters.aws.storage import report_key

        found = []
        for (leverancier, levering), written in self._objects():
            day = written
            try:
                body = self._s3.get_object(Bucket=self._lake, Key=report_key(leverancier, levering))["Body"].read()
                peildatum = json.loads(body).get("peildatum")
                day = date.fromisoformat(peildatum) if peildatum else written
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in _MISSING:
                    raise
            found.append((leverancier, levering, day))
        return found

    def _objects(self) -> list[tuple[tuple[str, str], date]]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._vault, Prefix="vault/")
        found = []
        for page in pages:
            for item in page.get("Contents", []):
                parts = item["Key"].split("/")
                if len(parts) == 3 and parts[2].endswith(".bin"):
                    found.append(((parts[1], parts[2][: -len(".bin")]), item["LastModified"].date()))
        return found


def _people(plain: bytes) -> list[Person]:
    return [Person.model_validate(person) for person in json.loads(plain)]


def _context(run_id: str, gemeente: str) -> dict[str, str]:
    return {"run": run_id, "gemeente": gemeente}


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def _delete_prefix(s3, bucket: str, prefix: str) -> int:
    keys = _keys(s3, bucket, prefix)
    _delete_keys(s3, bucket, keys)
    return len(keys)


def _delete_keys(s3, bucket: str, keys: Sequence[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if response.get("Errors"):
            error = response["Errors"][0]
            raise RuntimeError(f"could not delete s3://{bucket}/{error['Key']}: {error.get('Code')}")
