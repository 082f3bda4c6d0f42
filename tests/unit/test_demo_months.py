"""The living demo's months: dates relative to today, monthly files with churn, all readable."""

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.delivery import Accepted, read_delivery
from chalicelib.domain.registry import parse_registry_toml
from infra.demo_months import generate_months, run_dates

TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    return folder, generate_months(folder, today=TODAY)


def rows_of(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # the latest month's Windows-1252 file
        text = raw.decode("cp1252")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return [{k.lower(): v for k, v in row.items()} for row in csv.DictReader(io.StringIO(text), delimiter=delimiter)]


def by_klantnummer(folder: Path) -> dict[str, str]:
    """klantnummer → postcode over every file of a month (klantnummers are per supplier)."""
    found = {}
    for path in sorted(folder.glob("*/*.csv")):
        for row in rows_of(path):
            found[f"{path.parent.name}:{row['klantnummer']}"] = row["postcode"].replace(" ", "").upper()
    return found


@pytest.mark.parametrize(
    ("today", "first", "last"),
    [
        (date(2026, 12, 4), date(2026, 7, 1), date(2026, 12, 1)),
        (date(2027, 1, 1), date(2026, 8, 1), date(2027, 1, 1)),
        (date(2027, 3, 31), date(2026, 10, 1), date(2027, 3, 1)),
    ],
)
def test_the_runs_are_the_first_of_each_of_the_last_six_months(today, first, last):
    dates = run_dates(today)
    assert (len(dates), dates[0], dates[-1]) == (6, first, last)
    assert all(day.day == 1 for day in dates)
    assert dates == tuple(sorted(set(dates)))


def test_each_earlier_month_has_one_file_per_supplier_dated_before_its_run(history):
    folder, demo = history
    assert [month.as_of for month in demo.months] == list(run_dates(TODAY))
    assert demo.months[-1].folder == folder / "leveringen"
    for month in demo.months[:-1]:
        files = sorted(month.folder.glob("*/*.csv"))
        assert len(files) == len({f.parent.name for f in files}) == 7
        for path in files:
            peil = date.fromisoformat(path.stem[-10:])
            assert month.as_of - timedelta(days=45) <= peil <= month.as_of, path


def test_every_earlier_file_is_accepted_whole_by_the_ingest_reader(history):
    folder, demo = history
    registry = parse_registry_toml((folder / "registry.toml").read_text(encoding="utf-8"))
    leveranciers = {leverancier.id: leverancier for leverancier in registry.leveranciers}
    for month in demo.months[:-1]:
        for path in sorted(month.folder.glob("*/*.csv")):
            result = read_delivery(
                path.read_bytes(), leveranciers[path.parent.name], upload_date=month.as_of, today=month.as_of
            )
            assert isinstance(result, Accepted), (path, result)
            assert (result.counts.rejected, result.errors) == (0, []), path
            assert result.counts.read == len(rows_of(path)) > 0


def test_households_recur_pay_off_arrive_and_move(history):
    _, demo = history
    months = [by_klantnummer(month.folder) for month in demo.months]
    latest, month_before, oldest = months[-1], months[-2], months[0]
    recurring = latest.keys() & month_before.keys()
    assert len(recurring) >= 50, "many arrears of last month are still there"
    assert len(month_before.keys() - latest.keys()) >= 20, "some were paid off"
    assert len(latest.keys() - month_before.keys()) >= 20, "some are new"
    assert len(oldest.keys() - latest.keys()) > len(oldest.keys() & latest.keys()), "half a year turns most over"
    moved = {k for earlier in months[:-1] for k in earlier.keys() & latest.keys() if earlier[k] != latest[k]}
    assert len(moved) >= 3, "a household that moved keeps its klantnummer at its new address"


def test_the_demo_follows_the_day_it_runs(tmp_path):
    later = generate_months(tmp_path, today=TODAY + timedelta(days=365))
    assert later.months[-1].as_of == date(2027, 12, 1)
    names = {p.name for p in (tmp_path / "maanden").glob("*/*/*.csv")}
    assert any("2027-10" in name for name in names)
    assert not any("2026-" in name for name in names)


def test_same_seed_and_day_write_the_same_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    generate_months(first, today=TODAY)
    generate_months(second, today=TODAY)
    files = sorted(p.relative_to(first) for p in first.rglob("*.csv"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*.csv"))
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_every_personal_value_of_every_month_is_known_for_the_privacy_scans(history):
    _, demo = history
    known = set(demo.persoonsgegevens())
    for month in demo.months[:-1]:
        for path in month.folder.glob("*/*.csv"):
            for row in rows_of(path):
                assert row["email"] in known if "email" in row else True
                assert row["achternaam"] in known if "achternaam" in row else True
                assert row["bsn"] in known if "bsn" in row else True
