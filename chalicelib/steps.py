"""The match workflow's steps (infra/statemachine/match.asl.json) wired to their services.

Each takes the state's payload and returns plain JSON. The date a run is for comes from the
payload (an operator's rerun) or, for the monthly schedule, from today in the Netherlands.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pyarrow as pa

from chalicelib.adapters.aws.lake_scan import deliveries_in_window
from chalicelib.bootstrap import lake_filesystem, match_deps
from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA, herhaald_vanaf, levering_vanaf, no_later_run_reads
from chalicelib.services.notify import notify_run
from chalicelib.services.prepare import new_run_id, prepare_run
from chalicelib.services.publish import PublishDeps, PublishedRun, publish_run
from chalicelib.services.retention import RetentionDeps, RetentionSettings, apply_retention

_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _today() -> date:
    return datetime.now(UTC).astimezone(_AMSTERDAM).date()


def prepare(event: dict) -> dict:
    deps = match_deps()
    as_of = date.fromisoformat(event["as_of"]) if event.get("as_of") else _today()
    run_id = new_run_id(as_of, datetime.now(UTC))
    previous = [deps.run_lake.read_history(run.run_id) for run in deps.runs.published(since=herhaald_vanaf(as_of))]
    prepared = prepare_run(
        registry=deps.registry.registry(),
        as_of=as_of,
        run_id=run_id,
        previous_matches=pa.concat_tables(previous) if previous else VORIGE_MATCHES_SCHEMA.empty_table(),
        parameters=deps.parameters,
        output=deps.run_lake.matches_location(run_id),
    )
    return {"run_id": prepared.run_id, "as_of": as_of.isoformat(), "query": prepared.query, "output": prepared.output}


def deliveries_to_trim(as_of: date) -> list[tuple[str, str]]:
    """The deliveries in the run's window whose unmatched vault records no later run needs."""
    deps = match_deps()
    files = deliveries_in_window(
        f"{deps.settings.lake_bucket}/signals", levering_vanaf(as_of), as_of, filesystem=lake_filesystem()
    )
    return no_later_run_reads(files, as_of)


def publish(event: dict) -> dict:
    deps = match_deps()
    as_of = date.fromisoformat(event["as_of"])
    published = publish_run(
        event["run_id"],
        as_of,
        PublishDeps(
            lake=deps.run_lake, vault=deps.vault, vault_index=deps.vault_index, store=deps.store,
            runs=deps.runs, registry=deps.registry, reference=deps.reference,
        ),
        deliveries_to_trim=deliveries_to_trim(as_of),
    )
    return published.model_dump(mode="json")


def notify(event: dict) -> dict:
    published = PublishedRun.model_validate(event["publish"])
    return {"run_id": published.run_id, "notified": notify_run(published, match_deps().outbox)}


def retention(event: dict) -> dict:
    deps = match_deps()
    removed = apply_retention(
        _today(),
        RetentionDeps(runs=deps.runs, store=deps.store, lake=deps.run_lake, vault=deps.vault, vault_index=deps.vault_index),
        RetentionSettings(),
    )
    return {"run_id": event.get("run_id"), "removed": removed.model_dump(mode="json")}
