"""How long things are kept (matching.md, "Retention"), as the monthly run's Retention step applies
them. The defaults are the spec's; an operator may override each (chalicelib.config.Retention)."""

from dataclasses import dataclass
from datetime import date

from chalicelib.domain.cases import STATUS_NIEUW, add_months


@dataclass(frozen=True)
class RetentionPeriods:
    cases_months: int = 6  # a run's cases never picked up, after its as-of date
    outcome_months: int = 18  # a case with an outcome, after the outcome
    unpublished_days: int = 1  # a run still publishing has crashed after this
    signals_days: int = 190  # a published run's pseudonymous files, after its as-of date
    vault_days: int | None = None  # a delivery's vault object after its peildatum; None: the last run's window + 1


def picked_up(status: str | None) -> bool:
    """Whether a case's status says somebody picked it up (an outcome or an approach)."""
    return status is not None and status != STATUS_NIEUW


def case_expires_on(
    as_of: date, status: str | None, resultaat_op: date | None, periods: RetentionPeriods
) -> date | None:
    """The day a case of the run for `as_of` goes: `outcome_months` after its outcome, or
    `cases_months` after its run when nobody picked it up; None while it is being worked."""
    if resultaat_op is not None:
        return add_months(resultaat_op, periods.outcome_months)
    if picked_up(status):
        return None
    return add_months(as_of, periods.cases_months)
