"""The demo's casework: a plan per run that a gemeente could have followed, carried out through
the API's own services with the clock on each step's day."""

from datetime import date, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.domain.casework import EINDRESULTATEN
from infra.local.casework import LATEST, OLDER, Casework, DemoClock, Share, plan
from tests.fakes import (
    RUN,
    ImmediateNotify,
    MemoryAuditLog,
    MemoryCaseStates,
    MemoryCaseStore,
    MemoryDeliveries,
    MemoryGemeenten,
    MemoryIncoming,
    MemoryOutbox,
    MemoryPresigner,
    MemoryQuarantine,
    MemoryRefusalCounter,
    MemoryRegistry,
    MemoryReports,
    MemoryRuns,
    authenticate,
    make_case,
)

AS_OF = date(2026, 11, 1)  # make_case's run
TODAY = date(2026, 12, 4)
TEAMS = ("noord", "zuid")
CASES = [make_case(n, wijk=f"WK0202{n % 4 + 1:02d}") for n in range(1, 41)]
ORDER = {"assign": 0, "approach": 1, "contactpoging": 2, "resultaat": 3}


def test_every_step_falls_between_the_run_and_today_in_day_order():
    steps = plan(CASES, TEAMS, TODAY, OLDER, "seed")
    assert steps
    assert all(AS_OF <= step.day <= TODAY for step in steps)
    assert [step.day for step in steps] == sorted(step.day for step in steps)
    for case in CASES:
        kinds = [ORDER[step.kind] for step in steps if step.case_id == case.id]
        assert kinds == sorted(kinds), "assigned before approached before contact before outcome"
        assert kinds.count(0) <= 1
        assert kinds.count(3) <= 1


def test_a_wijk_goes_to_one_team_and_both_teams_get_work():
    steps = plan(CASES, TEAMS, TODAY, OLDER, "seed")
    wijk = {case.id: case.wijk.code for case in CASES}
    team_of_wijk: dict[str, set[str]] = {}
    for step in steps:
        team_of_wijk.setdefault(wijk[step.case_id], set()).add(step.team)
    assert all(len(teams) == 1 for teams in team_of_wijk.values())
    assert {team for teams in team_of_wijk.values() for team in teams} == set(TEAMS)


def test_older_runs_are_mostly_worked_through_with_outcomes_across_the_ddas_codes():
    steps = plan(CASES, TEAMS, TODAY, OLDER, "seed")
    assigned = {s.case_id for s in steps if s.kind == "assign"}
    outcomes = [s.resultaat for s in steps if s.kind == "resultaat"]
    assert len(assigned) >= 0.75 * len(CASES)
    assert len(outcomes) >= 0.3 * len(CASES)
    assert len(set(outcomes)) >= 5
    assert set(outcomes) <= set(EINDRESULTATEN)
    assert any(not poging.bereikt for s in steps if (poging := s.poging) is not None)


def test_the_latest_run_is_barely_begun_so_every_user_has_work_to_do():
    steps = plan(CASES, TEAMS, TODAY, LATEST, "seed")
    assigned = {s.case_id for s in steps if s.kind == "assign"}
    approached = {s.case_id for s in steps if s.kind == "approach"}
    assert not [s for s in steps if s.kind == "resultaat"]
    assert 0 < len(approached) < len(assigned) < len(CASES)


@pytest.mark.parametrize("seed", ["a", "b", "c", "d"])
def test_every_team_gets_work_even_in_a_small_run(seed):
    small = [make_case(n, wijk=f"WK0202{n % 2 + 1:02d}") for n in range(1, 4)]
    steps = plan(small, TEAMS, TODAY, Share(assigned=0.0, approached=0.0, outcome=0.0), seed)
    assert {step.team for step in steps if step.kind == "assign"} == set(TEAMS)


def test_the_same_seed_gives_the_same_plan_and_another_seed_another():
    assert plan(CASES, TEAMS, TODAY, OLDER, "a") == plan(CASES, TEAMS, TODAY, OLDER, "a")
    assert plan(CASES, TEAMS, TODAY, OLDER, "a") != plan(CASES, TEAMS, TODAY, OLDER, "b")


def test_no_step_lies_after_today_even_for_a_run_of_yesterday():
    yesterday = [make_case(n) for n in range(1, 11)]
    steps = plan(yesterday, TEAMS, AS_OF + timedelta(days=1), Share(1.0, 1.0, 1.0), "seed")
    assert {step.day for step in steps} <= {AS_OF, AS_OF + timedelta(days=1)}


@pytest.fixture
def world():
    states, outbox, clock = MemoryCaseStates(), MemoryOutbox(), DemoClock()
    deps = bootstrap.api_deps(
        authenticate=authenticate,
        store=MemoryCaseStore(CASES),
        runs=MemoryRuns(),
        audit=MemoryAuditLog(),
        clock=clock,
        states=states,
        outbox=outbox,
        events=ImmediateNotify(outbox),
        presigner=MemoryPresigner(),
        reports=MemoryReports(),
        gemeenten=MemoryGemeenten(),
        refusals=MemoryRefusalCounter(),
        registry=MemoryRegistry(),
        deliveries=MemoryDeliveries(),
        quarantine=MemoryQuarantine(),
        incoming=MemoryIncoming(),
    )
    tokens = {"coordinator-gm0202": "coord-utrecht", "wijkteam-gm0202-noord": "team-noord"}
    tokens["wijkteam-gm0202-zuid"] = "team-zuid"
    return Casework(deps, clock, tokens.__getitem__), states, outbox


def test_carrying_out_a_plan_records_each_step_on_its_own_day(world):
    casework, states, outbox = world
    steps = plan(casework.cases(RUN, "GM0202"), TEAMS, TODAY, OLDER, "seed")
    done = casework.carry_out(RUN, "GM0202", steps)

    assert done == {kind: sum(s.kind == kind for s in steps) for kind in ORDER if any(s.kind == kind for s in steps)}
    for case_id in {s.case_id for s in steps}:
        state = states.state("GM0202", RUN, case_id)
        mine = [s for s in steps if s.case_id == case_id]
        assert state.team == mine[0].team
        approach = next((s for s in mine if s.kind == "approach"), None)
        assert state.approached_on == (approach.day if approach else None)
        assert state.contactpogingen == [s.poging for s in mine if s.kind == "contactpoging"]
        outcome = next((s for s in mine if s.kind == "resultaat"), None)
        assert (state.resultaat, state.resultaat_op) == ((outcome.resultaat, outcome.day) if outcome else (None, None))
    # Every supplier of an approached case heard of it, dated the day it was approached.
    told = [m for m in outbox.messages.values() if m.soort == "benaderd"]
    assert len(told) == sum(s.kind == "approach" for s in steps)
    assert {m.datum for m in told} == {s.day for s in steps if s.kind == "approach"}
