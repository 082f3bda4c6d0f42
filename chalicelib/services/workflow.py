"""The monthly run's steps (infra/statemachine/match.asl.json) over the match function's ports:
prepare the query, publish its result, tell the gemeenten, forget on time.

The date a run is for is chosen once, by the handler, and passed along; every step of the run
uses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pyarrow as pa

from chalicelib.domain.leveringen import levering_vanaf
from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA, herhaald_vanaf, no_later_run_reads
from chalicelib.domain.retention import RetentionPeriods
from chalicelib.ports import (
    CaseOutcomes,
    CaseStore,
    ParameterStore,
    ReferenceSource,
    RegistrySource,
    RunLake,
    RunLock,
    RunRegistry,
    SignalFiles,
    SignalPartitions,
    Vault,
    VaultIndex,
)
from chalicelib.services.prepare import PreparedRun, new_run_id, prepare_run
from chalicelib.services.publish import PublishDeps, PublishedRun, publish_run
from chalicelib.services.retention import Removed, RetentionDeps, apply_retention


@dataclass(frozen=True)
class MatchDeps:
    """What the match workflow's steps use."""

    retention: RetentionPeriods
    registry: RegistrySource
    reference: ReferenceSource
    parameters: ParameterStore
    runs: RunRegistry
    run_lake: RunLake
    store: CaseStore
    vault: Vault
    vault_index: VaultIndex
    signal_files: SignalFiles
    signals: SignalPartitions
    outcomes: CaseOutcomes
    lock: RunLock


# Longer than any run takes (Athena's UNLOAD and publishing: minutes); a crashed run's lock goes then.
RUN_LOCK = timedelta(hours=6)


class RunInProgress(Exception):
    """Another run holds the lock: two runs at once would repoint each other's parameter tables."""


def prepare(deps: MatchDeps, as_of: date, now: datetime) -> PreparedRun:
    """A new run for `as_of`, once no other run is in progress: its parameters in place and its
    query, reading the households matched in the published runs that count for herhaald.
    Raises RunInProgress when another run holds the lock."""
    run_id = new_run_id(as_of, now)
    held = deps.lock.acquire(run_id, now, now + RUN_LOCK)
    if held is not None:
        holder, until = held
        raise RunInProgress(f"run {holder} is still in progress (its lock lapses at {until.isoformat()})")
    try:
        previous = [deps.run_lake.read_history(run.run_id) for run in deps.runs.published(since=herhaald_vanaf(as_of))]
        return prepare_run(
            registry=deps.registry.registry(),
            as_of=as_of,
            run_id=run_id,
            previous_matches=pa.concat_tables(previous) if previous else VORIGE_MATCHES_SCHEMA.empty_table(),
            parameters=deps.parameters,
            output=deps.run_lake.matches_location(run_id),
        )
    except BaseException:
        deps.lock.release(run_id)  # the next attempt need not wait for the lock to lapse
        raise


def publish(deps: MatchDeps, run_id: str, as_of: date) -> PublishedRun:
    """Publish the run's matches; then trim the vault objects no later run can read."""
    to_trim = no_later_run_reads(deps.signal_files.in_window(levering_vanaf(as_of), as_of), as_of)
    return publish_run(
        run_id,
        as_of,
        PublishDeps(
            lake=deps.run_lake,
            vault=deps.vault,
            vault_index=deps.vault_index,
            store=deps.store,
            runs=deps.runs,
            registry=deps.registry,
            reference=deps.reference,
        ),
        deliveries_to_trim=to_trim,
    )


def retention(deps: MatchDeps, run_id: str, today: date) -> Removed:
    """The run's last step: remove what is due on its date, then let the next run start."""
    removed = apply_retention(
        today,
        RetentionDeps(
            runs=deps.runs,
            store=deps.store,
            lake=deps.run_lake,
            signals=deps.signals,
            vault=deps.vault,
            vault_index=deps.vault_index,
            outcomes=deps.outcomes,
        ),
        deps.retention,
    )
    deps.lock.release(run_id)
    return removed


def release(deps: MatchDeps, run_id: str) -> bool:
    """After a failed step: give back the run's lock, so a rerun need not wait for it to lapse."""
    return deps.lock.release(run_id)
