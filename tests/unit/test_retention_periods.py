"""When a case (and so its state item) goes: matching.md's table, each row at its boundary."""

from datetime import date

import pytest

from chalicelib.domain.cases import STATUS_NIEUW
from chalicelib.domain.retention import RetentionPeriods, case_expires_on, picked_up

PERIODS = RetentionPeriods()
AS_OF = date(2026, 5, 31)


@pytest.mark.parametrize("status", [None, STATUS_NIEUW])
def test_a_case_nobody_picked_up_goes_six_months_after_its_run(status):
    assert case_expires_on(AS_OF, picked_up(status), None, PERIODS) == date(2026, 11, 30)  # month-end kept


def test_a_case_being_worked_has_no_expiry():
    assert case_expires_on(AS_OF, picked_up("Opgepakt"), None, PERIODS) is None


@pytest.mark.parametrize("status", ["Opgepakt", "Niet opgepakt: andere reden"])
def test_a_case_with_an_outcome_goes_eighteen_months_after_the_outcome(status):
    assert case_expires_on(AS_OF, picked_up(status), date(2026, 7, 15), PERIODS) == date(2028, 1, 15)


def test_the_periods_are_settings():
    periods = RetentionPeriods(cases_months=3, outcome_months=24)
    assert case_expires_on(AS_OF, False, None, periods) == date(2026, 8, 31)
    assert case_expires_on(AS_OF, True, date(2026, 7, 15), periods) == date(2028, 7, 15)


def test_picked_up_means_a_status_beyond_nog_niet_opgepakt():
    assert (picked_up(None), picked_up(STATUS_NIEUW), picked_up("Opgepakt")) == (False, False, True)
