"""The demo's casework: what a gemeente's coordinator and wijkteams did with each run's cases
on the days after it, done through the API's own services as those users.

`plan` is pure: per case of a run, seeded, the steps taken (assigned to a team by wijk,
approached, contact attempts, an outcome across the DDAS codes), each on a day between the
run's as-of date and today. Older runs are mostly worked through; the latest run is barely
begun, so every demo user signs in to work to do. `Casework` carries a plan out with the
writer's clock set to each step's day, signed in as the demo users (real tokens, verified).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from chalicelib.bootstrap import ApiDeps
from chalicelib.domain.cases import Case, Contactpoging
from chalicelib.domain.casework import CONTACTSOORTEN, DAGDELEN, EINDRESULTATEN
from chalicelib.domain.identity import Identity

_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
APPROACH_BATCH = 50


@dataclass(frozen=True)
class Step:
    """One thing done to a case on `day`: by the coordinator (assign, approach) or by the
    member of the case's team (contact attempt, outcome)."""

    day: date
    kind: str  # assign | approach | contactpoging | resultaat
    case_id: str
    team: str
    poging: Contactpoging | None = None
    resultaat: str | None = None


@dataclass(frozen=True)
class Share:
    """How far a run's cases were worked: shares of all, of the assigned, of the approached."""

    assigned: float
    approached: float
    outcome: float


OLDER = Share(assigned=0.9, approached=0.75, outcome=0.8)
LATEST = Share(assigned=0.6, approached=0.25, outcome=0.0)


def plan(cases: Sequence[Case], teams: Sequence[str], today: date, share: Share, seed: str) -> list[Step]:
    """The steps for `cases` of one run and gemeente, in day order (ties in case order)."""
    rng = random.Random(seed)
    wijken = sorted({case.wijk.code for case in cases})
    team_of = {wijk: teams[i * len(teams) // max(len(wijken), 1)] for i, wijk in enumerate(wijken)}
    ordered = sorted(cases, key=lambda c: c.id)
    # Each team gets at least its first case, so that every wijkteam member has work to do.
    firsts = {next(c.id for c in ordered if team_of[c.wijk.code] == team) for team in set(team_of.values())}
    steps: list[Step] = []
    for case in ordered:
        if rng.random() >= share.assigned and case.id not in firsts:
            continue
        team = team_of[case.wijk.code]
        day = _day(case.as_of, rng.randint(0, 3), today)
        steps.append(Step(day, "assign", case.id, team))
        if rng.random() >= share.approached:
            continue
        day = _day(day, rng.randint(1, 5), today)
        steps.append(Step(day, "approach", case.id, team))
        for attempt in range(rng.choice((1, 1, 2, 3))):
            day = _day(day, rng.randint(1, 6), today)
            poging = Contactpoging(
                soort=rng.choice(CONTACTSOORTEN),
                bereikt=attempt > 0 and rng.random() < 0.7,
                datum=day,
                dagdeel=rng.choice(DAGDELEN),
            )
            steps.append(Step(day, "contactpoging", case.id, team, poging=poging))
        if rng.random() < share.outcome:
            day = _day(day, rng.randint(2, 14), today)
            steps.append(Step(day, "resultaat", case.id, team, resultaat=rng.choice(EINDRESULTATEN)))
    return [step for _, step in sorted(enumerate(steps), key=lambda pair: (pair[1].day, pair[0]))]


def _day(start: date, days: int, today: date) -> date:
    return min(start + timedelta(days=days), today)


class DemoClock:
    """The writer's clock: the moment `set` gave, else now."""

    def __init__(self) -> None:
        self._at: datetime | None = None

    def set(self, day: date) -> None:
        self._at = datetime.combine(day, time(10, 30), _AMSTERDAM).astimezone(UTC)

    def __call__(self) -> datetime:
        return self._at or datetime.now(UTC)


class Casework:
    """Carries out plans through `deps` (built with `clock`) as the users `sign_in` gives tokens for."""

    def __init__(self, deps: ApiDeps, clock: DemoClock, sign_in: Callable[[str], str]) -> None:
        self._deps = deps
        self._clock = clock
        self._sign_in = sign_in
        self._identities: dict[str, Identity] = {}

    def cases(self, run_id: str, gemeente: str) -> list[Case]:
        return self._deps.reader.worked_cases(run_id, gemeente)

    def carry_out(self, run_id: str, gemeente: str, steps: Sequence[Step]) -> Mapping[str, int]:
        """Do `steps` in order; the counts per kind."""
        code = gemeente.lower()
        coordinator = self._user(f"coordinator-{code}")
        writer = self._deps.writer
        done: dict[str, int] = {}
        approach: list[Step] = []
        for step in [*steps, None]:
            if approach and (step is None or step.kind != "approach" or step.day != approach[0].day):
                self._clock.set(approach[0].day)
                ids = [s.case_id for s in approach]
                for start in range(0, len(ids), APPROACH_BATCH):
                    writer.approach(coordinator, ids[start : start + APPROACH_BATCH], run_id)
                approach = []
            if step is None:
                break
            done[step.kind] = done.get(step.kind, 0) + 1
            if step.kind == "approach":
                approach.append(step)
                continue
            self._clock.set(step.day)
            member = self._user(f"wijkteam-{code}-{step.team}")
            if step.kind == "assign":
                writer.assign(coordinator, step.case_id, run_id, step.team)
            elif step.kind == "contactpoging" and step.poging is not None:
                writer.contactpoging(member, step.case_id, run_id, step.poging)
            elif step.kind == "resultaat" and step.resultaat is not None:
                writer.resultaat(member, step.case_id, run_id, step.resultaat)
        return done

    def _user(self, username: str) -> Identity:
        if username not in self._identities:
            self._identities[username] = self._deps.authenticate(f"Bearer {self._sign_in(username)}")
        return self._identities[username]
