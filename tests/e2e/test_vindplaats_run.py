"""`vindplaats run`: deliveries through the real path on a fresh local stack, the workflow, JSON out."""

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from infra.demo import generate

ROOT = Path(__file__).resolve().parents[2]

REFERENCE = (
    "postcode,huisnummer,gemeentecode,wijkcode,wijknaam,buurtcode,buurtnaam\n"
    "6811AB,,GM0202,WK020201,Centrum,BU02020101,Binnenstad\n"
)


def _vindplaats(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = os.environ | {"VINDPLAATS_STATE": "/nonexistent/stack.json"}
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
    )


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory, registry_toml) -> Path:
    """One household written three ways by three suppliers; one supplier's convenant ended (the
    shared registry: Arnhem's min_bedrag 75, eneco's convenant until 2026-10-31)."""
    root = tmp_path_factory.mktemp("scenario")
    (root / "registry.toml").write_text(registry_toml)
    (root / "adressen.csv").write_text(REFERENCE)
    deliveries = root / "leveringen"
    _write(
        deliveries,
        "vivare/1-oud.csv",
        "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum\nH1;6811AB;12A;500;2026-08-01;2026-09-10\n",
    )
    _write(
        deliveries,
        "vivare/2-nieuw.csv",
        "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum\n"
        "H1;6811 ab;12 a;1.234,56;2026-09-01;2026-10-20\nH2;6811AB;14;80;2026-09-01;2026-10-20\n",
    )
    _write(
        deliveries,
        "vitens/okt.csv",
        "klantnummer,postcode,huisnummer,huisletter,bedrag,achterstand_sinds,peildatum,crisissignaal\n"
        "W1,6811AB,12,a,75,01-10-2026,25-10-2026,ja\nW2,6811AB,14,,74.99,2026-10-01,2026-10-25,nee\n",
    )
    _write(
        deliveries,
        "eneco/okt.csv",
        "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds\nE1;6811AB;14;300;2026-10-01\n",
    )
    _write(
        deliveries,
        "Onbekende Partij/lijst.CSV",
        "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds\nX1;6811AB;12A;300;2026-10-01\n",
    )
    out = root / "out"
    result = _vindplaats(
        "run",
        str(deliveries),
        "--registry",
        str(root / "registry.toml"),
        "--reference",
        str(root / "adressen.csv"),
        "--as-of",
        "2026-11-01",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def test_run_reports_every_file(scenario):
    reports = sorted(p.relative_to(scenario / "reports").as_posix() for p in (scenario / "reports").rglob("*.json"))
    assert reports == [
        "Onbekende Partij/lijst.CSV.json",
        "eneco/okt.csv.json",
        "vitens/okt.csv.json",
        "vivare/1-oud.csv.json",
        "vivare/2-nieuw.csv.json",
    ]
    unknown = json.loads((scenario / "reports" / "Onbekende Partij" / "lijst.CSV.json").read_text())
    assert unknown["status"] == "rejected"
    assert [error["code"] for error in unknown["errors"]] == ["leverancier_unknown"]
    report = json.loads((scenario / "reports" / "vivare" / "2-nieuw.csv.json").read_text())
    assert report["status"] == "accepted"
    assert report["counts"]["accepted"] == 2


def test_run_matches_one_household_written_three_ways(scenario):
    cases = json.loads((scenario / "cases.json").read_text())
    assert len(cases) == 1
    (case,) = cases
    assert case["gemeente"] == "GM0202"
    assert (case["wijk"], case["buurt"]) == ("WK020201", "BU02020101")
    assert case["adres"] == {"postcode": "6811AB", "huisnummer": 12, "huisletter": "A", "toevoeging": ""}
    assert sorted((s["id"], s["klantnummer"], s["bedrag"], s["sinds"]) for s in case["leveranciers"]) == [
        ("vitens", "W1", 75.0, "2026-10-01"),
        ("vivare", "H1", 1234.56, "2026-09-01"),
    ]
    assert case["aantal_leveranciers"] == 2
    assert case["totaal_bedrag"] == 1309.56
    assert case["crisis"] is True
    assert case["herhaald"] is False


def test_household_under_min_bedrag_or_with_an_ended_convenant_is_no_case(scenario):
    cases = json.loads((scenario / "cases.json").read_text())
    assert all(case["adres"]["huisnummer"] != 14 for case in cases)


def test_demo_run_gives_cases_in_every_gemeente_in_rule_order(tmp_path):
    generate(tmp_path / "demo", seed=2026)
    out = tmp_path / "out"
    result = _vindplaats(
        "run",
        str(tmp_path / "demo" / "leveringen"),
        "--registry",
        str(tmp_path / "demo" / "registry.toml"),
        "--reference",
        str(tmp_path / "demo" / "adressen.csv"),
        "--as-of",
        "2026-11-01",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    cases = json.loads((out / "cases.json").read_text())
    assert {case["gemeente"] for case in cases} == {"GM0202", "GM0268", "GM0796"}
    for gemeente in {case["gemeente"] for case in cases}:
        order = [
            (not c["crisis"], -c["aantal_leveranciers"], -c["totaal_bedrag"])
            for c in cases
            if c["gemeente"] == gemeente
        ]
        assert order == sorted(order)
    for case in cases:
        assert case["aantal_leveranciers"] == len({s["id"] for s in case["leveranciers"]}) >= 2
        assert round(sum(s["bedrag"] for s in case["leveranciers"]), 2) == case["totaal_bedrag"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["/nonexistent", "--registry", "r.toml", "--reference", "a.csv", "--as-of", "2026-11-01", "--out", "o"],
            "niet gevonden",
        ),
    ],
)
def test_bad_arguments_exit_2_with_a_message(arguments, message):
    result = _vindplaats("run", *arguments, timeout=60)
    assert result.returncode == 2
    assert message in result.stderr


def test_unreadable_registry_exits_2_naming_the_problem(tmp_path):
    (tmp_path / "leveringen").mkdir()
    (tmp_path / "r.toml").write_text("[[gemeente]]\ncode = 'XX'\n")
    (tmp_path / "a.csv").write_text(REFERENCE)
    result = _vindplaats(
        "run",
        str(tmp_path / "leveringen"),
        "--registry",
        str(tmp_path / "r.toml"),
        "--reference",
        str(tmp_path / "a.csv"),
        "--as-of",
        "2026-11-01",
        "--out",
        str(tmp_path / "o"),
        timeout=60,
    )
    assert result.returncode == 2
    assert "gemeente" in result.stderr


def _dated_scenario(root: Path, as_of: date) -> None:
    """One household behind at two suppliers, every date relative to `as_of` (the convenanten began
    two years before it), so the same scenario can be run for any month."""
    d = lambda days: (as_of - timedelta(days=days)).isoformat()  # noqa: E731 - a date this many days before
    (root / "registry.toml").write_text(
        '[[gemeente]]\ncode = "GM0202"\nnaam = "Arnhem"\n\n'
        '[[leverancier]]\nid = "vivare"\nnaam = "Vivare"\nsignaaltype = "Huur"\n\n'
        '[[leverancier]]\nid = "vitens"\nnaam = "Vitens"\nsignaaltype = "Water"\n\n'
        f'[[convenant]]\ngemeente = "GM0202"\nleverancier = "vivare"\nvanaf = "{d(730)}"\n\n'
        f'[[convenant]]\ngemeente = "GM0202"\nleverancier = "vitens"\nvanaf = "{d(730)}"\n'
    )
    (root / "adressen.csv").write_text(REFERENCE)
    header = "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum\n"
    _write(root / "leveringen", "vivare/maand.csv", header + f"H1;6811AB;12;500;{d(60)};{d(10)}\n")
    _write(root / "leveringen", "vitens/maand.csv", header + f"W1;6811AB;12;90;{d(40)};{d(5)}\n")


@pytest.mark.parametrize("days_ago", [365, 7], ids=["a year ago", "last week"])
def test_a_scenario_gives_its_case_whatever_month_it_is_run_for(tmp_path, days_ago):
    """One clock per run: retention, windows and herhaald all count from the run's as-of date, so
    replaying a month long past keeps what that month's run published."""
    as_of = date.today() - timedelta(days=days_ago)
    _dated_scenario(tmp_path, as_of)
    out = tmp_path / "out"
    result = _vindplaats(
        "run",
        str(tmp_path / "leveringen"),
        "--registry",
        str(tmp_path / "registry.toml"),
        "--reference",
        str(tmp_path / "adressen.csv"),
        "--as-of",
        as_of.isoformat(),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    cases = json.loads((out / "cases.json").read_text())
    assert [(c["gemeente"], c["adres"]["huisnummer"], c["aantal_leveranciers"], c["totaal_bedrag"]) for c in cases] == [
        ("GM0202", 12, 2, 590.0)
    ]
    assert cases[0]["oudste_achterstand"] == (as_of - timedelta(days=60)).isoformat()
