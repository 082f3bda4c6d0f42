"""The state of worked cases: what a gemeente recorded per case of a run.

    cases table   pk=STATE#<gemeente>#<run> sk=<case_id>   status, team, contactpogingen, resultaat,
                                                            resultaat_op, approached_on, pause_until,
                                                            expires_on, updated_at/by, and expires_at:
                                                            expires_on as epoch seconds, the table's TTL

Only cases the gemeente touched have a state item, so a gemeente's run reads its states with one
Query (paged) and never a scan; writes are point updates. No pyarrow here: the API uses it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters.aws.dynamo import query_all
from chalicelib.domain.cases import Contactpoging
from chalicelib.domain.casework import CaseState, contactpogingen_full
from chalicelib.domain.retention import picked_up

_STATE_FIELDS = frozenset(CaseState.model_fields) - {"contactpogingen", "updated_at", "updated_by"}


def state_pk(gemeente: str, run_id: str) -> str:
    return f"STATE#{gemeente}#{run_id}"


class DynamoCaseStates:
    """Case state items in the cases table (a boto3 Table resource)."""

    def __init__(self, table) -> None:
        self._table = table

    def states(self, gemeente: str, run_id: str) -> dict[str, CaseState]:
        """Every recorded state of the gemeente's run, by case id: one Query."""
        items = query_all(
            self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": state_pk(gemeente, run_id)},
            ConsistentRead=True,
        )
        return {item["sk"]: _case_state(item) for item in items}

    def state(self, gemeente: str, run_id: str, case_id: str) -> CaseState | None:
        """One case's recorded state (one consistent GetItem); None when nothing was recorded."""
        item = self._table.get_item(Key={"pk": state_pk(gemeente, run_id), "sk": case_id}, ConsistentRead=True)
        found = item.get("Item")
        return None if found is None else _case_state(found)

    def update(
        self,
        gemeente: str,
        run_id: str,
        case_id: str,
        fields: Mapping[str, Any],
        *,
        by: str,
        at: datetime,
        contactpoging: Contactpoging | None = None,
        max_contactpogingen: int | None = None,
    ) -> None:
        """Set `fields` (names of CaseState) and append `contactpoging`, in one UpdateItem; with
        `max_contactpogingen`, the append is conditional on the list being shorter (LimitReached)."""
        unknown = set(fields) - _STATE_FIELDS
        if unknown:
            raise ValueError(f"not a case state field: {sorted(unknown)}")
        values: dict[str, Any] = {":at": at.isoformat(), ":by": by}
        names: dict[str, str] = {}
        sets = ["updated_at = :at", "updated_by = :by"]
        removes = []
        if "expires_on" in fields:
            # DynamoDB deletes the item after this moment; without a date the item stays (TTL off).
            expires_on = fields["expires_on"]
            if expires_on is None:
                removes.append("expires_at")
            else:
                sets.append("expires_at = :ttl")
                values[":ttl"] = _epoch(expires_on)
        for n, (name, value) in enumerate(sorted(fields.items())):
            names[f"#f{n}"] = name
            values[f":v{n}"] = value.isoformat() if isinstance(value, date) else value
            sets.append(f"#f{n} = :v{n}")
        if contactpoging is not None:
            names["#pogingen"] = "contactpogingen"
            values[":poging"] = [contactpoging.model_dump(mode="json")]
            values[":none"] = []
            sets.append("#pogingen = list_append(if_not_exists(#pogingen, :none), :poging)")
        condition = None
        if contactpoging is not None and max_contactpogingen is not None:
            # Atomic across containers: two requests racing for the last place cannot both append.
            values[":max"] = max_contactpogingen
            condition = "attribute_not_exists(#pogingen) OR size(#pogingen) < :max"
        arguments: dict[str, Any] = {
            "Key": {"pk": state_pk(gemeente, run_id), "sk": case_id},
            "UpdateExpression": "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else ""),
            "ExpressionAttributeValues": values,
        }
        if names:
            arguments["ExpressionAttributeNames"] = names
        if condition:
            arguments["ConditionExpression"] = condition
        try:
            self._table.update_item(**arguments)
        except ClientError as exc:
            if condition and exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise contactpogingen_full(max_contactpogingen or 0) from None
            raise

    def outcomes(self, run_id: str, gemeente: str) -> dict[str, date | None]:
        """The run's picked-up cases in the gemeente: case id → the day their outcome was recorded,
        or None while they are being worked (CaseOutcomes)."""
        return {
            case_id: state.resultaat_op
            for case_id, state in self.states(gemeente, run_id).items()
            if state.resultaat_op is not None or picked_up(state.status)
        }


def _epoch(day: date) -> int:
    return int(datetime.combine(day, time.min, UTC).timestamp())


def _case_state(item: Mapping[str, Any]) -> CaseState:
    return CaseState.model_validate(
        {key: value for key, value in item.items() if key not in ("pk", "sk", "expires_at")}
    )
