"""Which of a supplier's deliveries a monthly run reads (matching.md, "Rule", step 1), and the
month a delivery was received in, without pyarrow: the API tells suppliers and operators.

The run itself picks its deliveries in match.sql; `read_by_run` states the same rule over the
deliveries' reports, and a test holds the two to each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from chalicelib.domain.report import ReportSummary, Status
from chalicelib.domain.upload import levering_date

LEVERING_DAGEN = 45  # a delivery counts when its peildatum is in [D − 45, D]
_READ = frozenset({Status.ACCEPTED, Status.ACCEPTED_WITH_ERRORS})


def levering_vanaf(as_of: date) -> date:
    """The earliest peildatum of a delivery that counts in the run for `as_of` (inclusive)."""
    return as_of - timedelta(days=LEVERING_DAGEN)


def next_run_as_of(today: date) -> date:
    """The as-of date of the next scheduled run after `today`: the 1st of the next month (the
    schedule runs early on the 1st, so on the 1st itself that month's run has been)."""
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def read_by_run(deliveries: Iterable[ReportSummary], as_of: date) -> str | None:
    """Of one supplier's deliveries, the one the run for `as_of` reads (its levering id), or None:
    the latest accepted one (with or without errors) whose peildatum P is in [as_of − 45, as_of],
    latest by P and then by upload. The upload order is the levering ids' (new_levering_id sorts
    by the time its ticket was handed out; a ticket is used within minutes)."""
    vanaf = levering_vanaf(as_of)
    candidates = [
        (date.fromisoformat(d.peildatum), d.levering)
        for d in deliveries
        if d.status in _READ and d.peildatum is not None and vanaf <= date.fromisoformat(d.peildatum) <= as_of
    ]
    return max(candidates)[1] if candidates else None


def maand_prefix(maand: str) -> str:
    """The start every levering id received in `maand` (YYYY-MM) shares: `YYYYMM`."""
    return maand.replace("-", "")


def newest_first(leveringen: Iterable[str]) -> list[tuple[str, date]]:
    """The levering ids the platform made, each with the day it was received (its upload handed
    out), newest first; another id cannot be placed in time, so it is left out."""
    dated = [(levering, levering_date(levering)) for levering in leveringen]
    return sorted(((levering, day) for levering, day in dated if day is not None), reverse=True)
