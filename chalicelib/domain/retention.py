"""How long things are kept (matching.md, "Retention"), as the monthly run's Retention step applies
them. The defaults are the spec's; an operator may override each (chalicelib.config.Retention)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RetentionPeriods:
    cases_months: int = 6  # a run's cases never picked up, after its as-of date
    outcome_months: int = 18  # a case with an outcome, after the outcome
    unpublished_days: int = 1  # a run still publishing has crashed after this
    signals_days: int = 190  # a published run's pseudonymous files, after its as-of date
    vault_days: int | None = None  # a delivery's vault object after its peildatum; None: the last run's window + 1
