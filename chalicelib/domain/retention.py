"""How long things are kept (matching.md, "Retention"), as the monthly run's Retention step and
the case-state writes apply them. The defaults are the spec's; an operator may override the
periods of RetentionPeriods (chalicelib.config.Retention). What S3 keeps by itself (lifecycle
rules and Object Lock in template.yaml) is fixed here and checked against the template by
tests/unit/test_retention_boundaries.py.

One reading of a period throughout: a thing kept for a period after day D is kept up to the day
before the period ends and is due on that day itself (`is_due`). "N months after D" is
`add_months(D, N)`: whole calendar months, clamped to the month's end (2026-01-31 + 6 months is
2026-07-31; 2026-08-31 + 6 months is 2027-02-28). "N days after D" is D + N days.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from chalicelib.domain.cases import STATUS_NIEUW, add_months

# Kept by S3 itself, counted from the day an object is written (template.yaml's lifecycle rules
# and the audit bucket's Object Lock), so set in the template rather than in the functions.
QUARANTINE_DAYS = 30
OUTBOX_DAYS = 183
AUDIT_YEARS = 2


@dataclass(frozen=True)
class RetentionPeriods:
    cases_months: int = 6  # a run's cases never picked up, after its as-of date
    outcome_months: int = 18  # a case with an outcome, after the outcome
    unpublished_days: int = 1  # a run still publishing has crashed after this
    signals_days: int = 190  # the lake's signals after their peildatum; a run's files after its as-of date
    vault_days: int | None = None  # a delivery's vault object after its peildatum; None: the last run's window + 1


def is_due(today: date, expires_on: date | None) -> bool:
    """Whether something that goes on `expires_on` is gone on `today`: from that day on, never
    the day before. None: kept."""
    return expires_on is not None and today >= expires_on


def picked_up(status: str | None) -> bool:
    """Whether a case's status says somebody picked it up (an outcome or an approach)."""
    return status is not None and status != STATUS_NIEUW


def case_expires_on(
    as_of: date, is_picked_up: bool, resultaat_op: date | None, periods: RetentionPeriods
) -> date | None:
    """The day a case of the run for `as_of` goes, and its state item with it: `outcome_months`
    after its outcome, or `cases_months` after its run when nobody picked it up; None while it
    is being worked."""
    if resultaat_op is not None:
        return add_months(resultaat_op, periods.outcome_months)
    if is_picked_up:
        return None
    return add_months(as_of, periods.cases_months)


def signals_expire_on(day: date, periods: RetentionPeriods) -> date:
    """The day pseudonymous data of `day` goes: the lake's signals of a peildatum, and a published
    run's files (match output and history) of its as-of date."""
    return day + timedelta(days=periods.signals_days)
