"""The demo's last six months: monthly deliveries with churn, up to the latest month.

The latest month is `infra.demo.generate`'s, flaws and all. In each month before it, every
supplier delivered one clean file a few days before the first of the month (the run's as-of
date), holding:

- the latest month's arrears that had begun by then, with smaller amounts (they grew since);
- arrears since paid off: households in none of the latest deliveries, often at several
  suppliers at once over the same months;
- households that moved since: their earlier rows carry their old address, same klantnummer.

Everything is drawn from the seed; the same seed and dates give the same files.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

from chalicelib.domain.cases import add_months
from infra.demo import (
    DELIVERIES,
    PLACES,
    SUPPLIERS,
    DemoFile,
    DemoSummary,
    Household,
    Population,
    Signal,
    Written,
    generate,
    population,
    row_of,
    signals_of,
    write_delivery,
)

MONTHS = 6
EARLIER = "maanden"
# Days before the run's as-of date each supplier's monthly file is dated (None: no peildatum
# column, so the file is dated by its upload): the latest month's habits.
PEIL_DAYS = {d.leverancier: d.peildatum_days_before for d in DELIVERIES}


def run_dates(today: date, months: int = MONTHS) -> tuple[date, ...]:
    """The as-of dates of the demo's monthly runs, oldest first: the first of each of the last
    `months` months, this month's included."""
    first = today.replace(day=1)
    return tuple(add_months(first, -back) for back in range(months - 1, -1, -1))


@dataclass(frozen=True)
class DemoMonth:
    """One month's deliveries: `folder` holds `<leverancier-id>/*.csv`, to upload in that order."""

    as_of: date
    folder: Path
    leveringen: tuple[str, ...]
    rijen: int


@dataclass(frozen=True)
class DemoHistory:
    """What `generate_months` wrote; `latest` describes the last month's files and world."""

    months: tuple[DemoMonth, ...]
    latest: DemoSummary
    earlier_values: tuple[str, ...]

    def persoonsgegevens(self) -> tuple[str, ...]:
        """Every personal value written in any month."""
        return (*self.latest.persoonsgegevens(), *self.earlier_values)

    def __str__(self) -> str:
        rows = sum(month.rijen for month in self.months)
        first, last = self.months[0].as_of, self.months[-1].as_of
        return f"{len(self.months)} maanden ({first} t/m {last}), {rows} rijen; de laatste: {self.latest}"


@dataclass(frozen=True)
class _Arrears:
    """A signal over time: from `signal.sinds` until `until` (None: still open), and, for a
    household that moved on `moved_on`, its rows before then at `before`."""

    signal: Signal
    before: Household | None = None
    moved_on: date | None = None
    until: date | None = None

    def on(self, day: date) -> Signal | None:
        """The signal as a delivery dated `day` would carry it, or None when not in arrears then."""
        if self.signal.sinds > day - timedelta(days=7) or (self.until is not None and day >= self.until):
            return None
        if self.before is not None and self.moved_on is not None and day < self.moved_on:
            return replace(self.signal, household=self.before, person=self.before.personen[0])
        return self.signal


def generate_months(out_dir: Path, seed: int = 2026, today: date | None = None, months: int = MONTHS) -> DemoHistory:
    """Write the latest month as `generate` does (registry, reference, `leveringen/`) and each
    month before it under `maanden/<as-of>/`; describe them, oldest first."""
    out_dir = Path(out_dir)
    dates = run_dates(today or date.today(), months)
    latest_as_of = dates[-1]
    latest = generate(out_dir, seed=seed, as_of=latest_as_of)
    world = population(seed, latest_as_of)
    arrears = _arrears(world, seed, latest_as_of)
    shutil.rmtree(out_dir / EARLIER, ignore_errors=True)
    written = Written()
    history = []
    for back, as_of in zip(range(len(dates) - 1, 0, -1), dates[:-1], strict=True):
        folder = out_dir / EARLIER / as_of.isoformat()
        paths, rows = [], 0
        for supplier in SUPPLIERS:
            days = PEIL_DAYS[supplier.id]
            peil = None if days is None else as_of - timedelta(days=days)
            day = peil or as_of
            signals = [s for a in arrears[supplier.id] if (s := a.on(day)) is not None]
            shrunk = [replace(s, cents=max(2_000, s.cents * (10 - back) // 10)) for s in signals]
            counters: dict[str, int] = {}
            lines = [row_of(supplier, s, peil, counters) for s in sorted(shrunk, key=lambda s: s.klantnummer)]
            name = f"{supplier.id}-{day.isoformat()}.csv"
            write_delivery(folder / supplier.id / name, supplier, DemoFile(supplier.id, name, days), lines)
            written.add(supplier, lines)
            paths.append(f"{supplier.id}/{name}")
            rows += len(lines)
        history.append(DemoMonth(as_of, folder, tuple(paths), rows))
    history.append(DemoMonth(latest_as_of, out_dir / "leveringen", latest.leveringen, latest.rijen))
    values = (*written.namen, *written.achternamen, *written.straten, *written.telefoons, *written.emails)
    return DemoHistory(tuple(history), latest, tuple(sorted({*values, *written.bsns})))


def _arrears(world: Population, seed: int, as_of: date) -> dict[str, list[_Arrears]]:
    """Per supplier: the latest month's signals (some of whose households moved), and arrears
    paid off before the latest month."""
    rng = random.Random(f"{seed}:maanden")
    in_arrears = {h for supplier in SUPPLIERS for h in world.customers[supplier.id]}
    in_arrears |= {s.household for s in world.paid}
    free = [h for h in world.households if h not in in_arrears]
    rng.shuffle(free)
    moved = _movers(rng, world, free, as_of)
    arrears: dict[str, list[_Arrears]] = {
        supplier.id: [_Arrears(s, *moved.get(s.household, (None, None))) for s in world.signals[supplier.id]]
        for supplier in SUPPLIERS
    }
    former: dict[str, list[Household]] = {supplier.id: [] for supplier in SUPPLIERS}
    spans: dict[Household, tuple[date, date]] = {}
    for code, _, _ in PLACES:
        pool = [h for h in free if h.gemeente == code]
        serving = [s.id for s in SUPPLIERS if code in s.gemeenten]
        for household in pool[: len(pool) * 30 // 100]:
            count = min(len(serving), rng.choices((1, 2, 3), weights=(45, 40, 15))[0])
            for supplier_id in rng.sample(serving, count):
                former[supplier_id].append(household)
            start = as_of - timedelta(days=rng.randint(90, 290))
            spans[household] = (start, min(start + timedelta(days=rng.randint(60, 160)), as_of - timedelta(days=35)))
    for supplier in SUPPLIERS:
        taken = {s.klantnummer for s in world.signals[supplier.id]} | {s.klantnummer for s in world.paid}
        households = former[supplier.id]
        signals = signals_of(random.Random(f"{seed}:maanden:{supplier.id}"), supplier, households, as_of, taken)
        for signal in signals:
            start, until = spans[signal.household]
            sinds = start + timedelta(days=rng.randint(-20, 20))
            arrears[supplier.id].append(_Arrears(replace(signal, sinds=sinds), until=until))
    return arrears


def _movers(
    rng: random.Random, world: Population, free: list[Household], as_of: date
) -> dict[Household, tuple[Household, date]]:
    """A few households in arrears at several suppliers now that lived elsewhere in the same
    gemeente until a few months ago: their old address (taken from `free`) and moving day."""
    counts: dict[Household, int] = {}
    for supplier in SUPPLIERS:
        for household in world.customers[supplier.id]:
            counts[household] = counts.get(household, 0) + 1
    moved: dict[Household, tuple[Household, date]] = {}
    for code, _, _ in PLACES:
        several = sorted((h for h, n in counts.items() if n >= 2 and h.gemeente == code), key=_address)
        for household in rng.sample(several, 3):
            old = next(h for h in free if h.gemeente == code)
            free.remove(old)
            moved[household] = (replace(old, personen=household.personen), as_of - timedelta(days=rng.randint(50, 140)))
    return moved


def _address(household: Household) -> tuple[str, int, str, str]:
    return household.postcode, household.huisnummer, household.huisletter, household.toevoeging
