"""AWS adapters of a run: the run registry (DynamoDB) and the run's pseudonymous lake files.

    lake bucket   runs/<run>/matches/...              the match step's Parquet (MATCH_SCHEMA): the
                                                      query UNLOADs to matches_location(run)
                  matches/run=<run>/part-0.parquet    (huishouden, gemeente, as_of) of the run's cases
    table         pk=RUN sk=<run>                     as_of, status, begun_at, published_at, gemeenten
                  pk=RUN sk=LATEST                    run_id, as_of: the run the gemeenten see
                  pk=LOCK sk=RUN                      run_id, since, until, expires_at: the run in progress

Only the lake's Parquet methods import pyarrow, and lazily: the API uses the registry without it.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws.dynamo import query_all
from chalicelib.adapters.aws.objects import delete_prefix, is_missing, keys
from chalicelib.domain.cases import RunInfo, RunStatus

if TYPE_CHECKING:
    import pyarrow as pa

_RUN = "RUN"
_LATEST = "LATEST"


def _run_prefix(run_id: str) -> str:
    return f"runs/{run_id}/"


def _matches_prefix(run_id: str) -> str:
    return f"{_run_prefix(run_id)}matches/"


def _history_prefix(run_id: str) -> str:
    return f"matches/run={run_id}/"


def _history_key(run_id: str) -> str:
    return f"{_history_prefix(run_id)}part-0.parquet"


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
        items = query_all(
            self._table,
            KeyConditionExpression="pk = :run",
            ExpressionAttributeValues={":run": _RUN},
            ConsistentRead=True,
        )
        runs = [_run_info(item) for item in items if item["sk"] != _LATEST]
        return sorted(
            runs, key=lambda run: (run.as_of, run.published_at or datetime.min.replace(tzinfo=UTC)), reverse=True
        )

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


class DynamoRunLock:
    """One run at a time: a lock item the run takes in Prepare and gives back when it ends. A run
    that crashed without giving it back loses it at `until` (and DynamoDB's TTL deletes it)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def acquire(self, run_id: str, now: datetime, until: datetime) -> tuple[str, datetime] | None:
        """Take the lock for `run_id` until `until`; None when taken, else (holder, its until)."""
        try:
            self._table.put_item(
                Item={
                    **_lock_key(),
                    "run_id": run_id,
                    "since": now.isoformat(),
                    "until": until.isoformat(),
                    "expires_at": int(until.timestamp()),
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now OR run_id = :run",
                ExpressionAttributeValues={":now": int(now.timestamp()), ":run": run_id},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            held = self._table.get_item(Key=_lock_key(), ConsistentRead=True).get("Item") or {}
            return str(held.get("run_id", "?")), datetime.fromisoformat(str(held.get("until", until.isoformat())))
        return None

    def release(self, run_id: str) -> bool:
        """Give the lock back if `run_id` holds it; False when it does not (another run's stays)."""
        try:
            self._table.delete_item(
                Key=_lock_key(), ConditionExpression="run_id = :run", ExpressionAttributeValues={":run": run_id}
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


def _lock_key() -> dict[str, str]:
    return {"pk": "LOCK", "sk": "RUN"}


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

    def matches_location(self, run_id: str) -> str:
        """Where the run's match query writes its Parquet: `s3://<lake>/runs/<run>/matches/`."""
        return f"s3://{self._bucket}/{_matches_prefix(run_id)}"

    def read_matches(self, run_id: str) -> pa.Table:
        """Every Parquet object under runs/<run>/matches/ as one MATCH_SCHEMA table (empty if none)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from chalicelib.domain.matching import MATCH_SCHEMA

        tables = []
        for key in keys(self._s3, self._bucket, _matches_prefix(run_id)):
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
            body = self._s3.get_object(Bucket=self._bucket, Key=_history_key(run_id))["Body"].read()
        except ClientError as exc:
            if is_missing(exc):
                return VORIGE_MATCHES_SCHEMA.empty_table()
            raise
        return pq.read_table(io.BytesIO(body)).select(VORIGE_MATCHES_SCHEMA.names).cast(VORIGE_MATCHES_SCHEMA)

    def write_match_history(self, run_id: str, history: pa.Table) -> str:
        """Store (huishouden, gemeente, as_of) rows as matches/run=<run>/part-0.parquet."""
        import pyarrow.parquet as pq

        key = _history_key(run_id)
        body = io.BytesIO()
        pq.write_table(history, body, compression="zstd")
        self._s3.put_object(
            Bucket=self._bucket, Key=key, Body=body.getvalue(), ContentType="application/vnd.apache.parquet"
        )
        return key

    def delete_run(self, run_id: str) -> int:
        """Delete runs/<run>/ and matches/run=<run>/; returns how many objects there were."""
        return delete_prefix(self._s3, self._bucket, _run_prefix(run_id)) + delete_prefix(
            self._s3, self._bucket, _history_prefix(run_id)
        )
