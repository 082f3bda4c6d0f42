"""AWS adapters of a run: the run registry (DynamoDB), the run's pseudonymous lake files, the
gemeente outbox and the vault's list of deliveries.

    lake bucket   runs/<run>/matches/...              the match step's Parquet (MATCH_SCHEMA)
                  matches/run=<run>/part-0.parquet    (huishouden, gemeente, as_of) of the run's cases
                  outbox/gemeente/<code>/<run>.json   the counts-only message that a run is ready
    table         pk=RUN sk=<run>                     as_of, status, begun_at, published_at, gemeenten
                  pk=RUN sk=LATEST                    run_id, as_of: the run the gemeenten see

Only the lake's Parquet methods import pyarrow, and lazily: the API uses the registry without it.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws.objects import MISSING, delete_prefix, keys
from chalicelib.domain.cases import RunInfo, RunStatus

if TYPE_CHECKING:
    import pyarrow as pa

_RUN = "RUN"
_LATEST = "LATEST"


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
        for key in keys(self._s3, self._bucket, f"runs/{run_id}/matches/"):
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
        return delete_prefix(self._s3, self._bucket, f"runs/{run_id}/") + delete_prefix(
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
                if exc.response["Error"]["Code"] not in MISSING:
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
