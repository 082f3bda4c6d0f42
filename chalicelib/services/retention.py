"""Forget on time (matching.md, "Retention"; product.md, flow step 7): what S3 lifecycle rules
and DynamoDB TTL cannot decide, because it depends on a run's date or a case's outcome.

- A run's cases never picked up go `cases_months` after the run's as-of date; cases with an
  outcome stay until `outcome_months` after it, cases picked up and still open stay. A
  gemeente object keeps only what is not due.
- A run still "publishing" after a day crashed: its objects and its registry entry go. It has
  `unpublished_days` whole days to finish, counted from the day it began.
- The lake's pseudonymous signals go `signals_days` after their peildatum (a lifecycle rule
  counting from the day they were written is the backstop), and the files of a published run
  (its match output and match history) as long after the run's as-of date.
- A delivery's vault object goes `vault_days` after its peildatum (default 46: the day after
  the last run whose window can read it). What matched by then lives on in the published cases
  and contacts; publishing trims earlier where it can.

Everything is due on the day the period ends and not the day before (domain.retention.is_due;
a run of 2026-05-31 goes on 2026-11-30), so a rerun on the same day changes nothing more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.cases import RunStatus
from chalicelib.domain.leveringen import LEVERING_DAGEN
from chalicelib.domain.retention import RetentionPeriods, case_expires_on, is_due, signals_expire_on
from chalicelib.ports import CaseOutcomes, CaseStore, RunLake, RunRegistry, SignalPartitions, Vault, VaultIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetentionDeps:
    runs: RunRegistry
    store: CaseStore
    lake: RunLake
    signals: SignalPartitions
    vault: Vault
    vault_index: VaultIndex
    outcomes: CaseOutcomes


class Removed(BaseModel):
    """What one pass removed, in counts."""

    model_config = ConfigDict(frozen=True)

    cases: int = 0
    unpublished_runs: int = 0
    unpublished_objects: int = 0
    run_files: int = 0
    signal_files: int = 0
    vault_deliveries: int = 0


def apply_retention(today: date, deps: RetentionDeps, periods: RetentionPeriods) -> Removed:
    """Remove what is due on `today`; returns the counts. Safe to run any number of times."""
    cases = unpublished_runs = unpublished_objects = run_files = 0
    for run in deps.runs.runs():
        if run.status is RunStatus.PUBLISHED:
            # An outcome comes after its run, so nothing of a run is due before its untouched cases are.
            if is_due(today, case_expires_on(run.as_of, False, None, periods)):
                for gemeente in deps.store.gemeenten(run.run_id):
                    outcomes = deps.outcomes.outcomes(run.run_id, gemeente)
                    keep = {
                        case
                        for case, day in outcomes.items()
                        if not is_due(today, case_expires_on(run.as_of, True, day, periods))
                    }
                    cases += deps.store.keep(run.run_id, gemeente, keep)
            if is_due(today, signals_expire_on(run.as_of, periods)):
                run_files += deps.lake.delete_run(run.run_id)
        elif run.begun_at is not None and is_due(
            today, run.begun_at.date() + timedelta(days=periods.unpublished_days + 1)
        ):
            unpublished_objects += deps.store.delete_run(run.run_id) + deps.lake.delete_run(run.run_id)
            unpublished_runs += deps.runs.discard(run.run_id)

    signal_files = sum(
        deps.signals.delete_peildatum(peildatum)
        for peildatum in deps.signals.peildatums()
        if is_due(today, signals_expire_on(peildatum, periods))
    )

    vault_days = periods.vault_days or LEVERING_DAGEN + 1
    vault_deliveries = 0
    for leverancier, levering, day in deps.vault_index.deliveries():
        if is_due(today, day + timedelta(days=vault_days)):
            deps.vault.delete(leverancier, levering)
            vault_deliveries += 1

    removed = Removed(
        cases=cases,
        unpublished_runs=unpublished_runs,
        unpublished_objects=unpublished_objects,
        run_files=run_files,
        signal_files=signal_files,
        vault_deliveries=vault_deliveries,
    )
    logger.info("retention applied", extra={"today": today.isoformat(), **removed.model_dump()})
    return removed
