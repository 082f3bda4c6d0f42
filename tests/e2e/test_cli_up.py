"""`vindplaats up`, as `make demo` runs it: the local stack, the demo data through the real path."""

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from infra.demo_months import run_dates


@pytest.fixture(scope="module")
def up_once(tmp_path_factory):
    """`vindplaats up --once` with the demo: (its folder, the finished process)."""
    folder = tmp_path_factory.mktemp("up")
    env = os.environ | {"VINDPLAATS_STATE": str(folder / "stack.json")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.cli",
            "up",
            "--once",
            "--aws-port",
            "0",
            "--demo-dir",
            str(folder / "demo"),
            "--mailbox-dir",
            str(folder / "mailbox"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return folder, result


def test_up_once_loads_the_demo_through_the_upload_path(up_once):
    tmp_path, result = up_once
    out = result.stdout
    assert "register: 3 gemeenten" in out
    report_lines = [
        line for line in out.splitlines() if line.strip().endswith("waarschuwingen") or "waarschuwingen (" in line
    ]
    assert len(report_lines) == len(list((tmp_path / "demo" / "leveringen").glob("*/*.csv")))
    assert any(" rejected " in line and "(column_missing)" in line for line in report_lines)
    assert any(" accepted_with_errors " in line for line in report_lines)
    assert not (tmp_path / "stack.json").exists(), "the state file is removed when the stack stops"


def test_up_replays_six_months_each_with_a_run_and_casework(up_once):
    _, result = up_once
    today = date.today()
    runs = re.findall(r"run (\S+) voor (\d{4}-\d{2}-\d{2}) gepubliceerd", result.stdout)
    assert [as_of for _, as_of in runs] == [d.isoformat() for d in run_dates(today)]
    work = re.findall(
        r"(GM\d{4}): (\d+) cases \(\d+ crisis, (\d+) herhaald\); (\d+) toegewezen, (\d+) benaderd, "
        r"(\d+) contactpogingen, (\d+) resultaten",
        result.stdout,
    )
    assert len(work) == 6 * 3, "every gemeente, every month"
    months = [work[i : i + 3] for i in range(0, len(work), 3)]
    assert all(int(herhaald) == 0 for _, _, herhaald, *_ in months[0]), "nothing before the first month"
    assert sum(int(herhaald) for month in months[1:] for _, _, herhaald, *_ in month) > 0
    assert all(sum(int(row[6]) for row in month) > 0 for month in months[:-1]), "older months have outcomes"
    assert sum(int(row[6]) for row in months[-1]) == 0 < sum(int(row[3]) for row in months[-1])


def test_up_mails_each_gemeentes_coordinator_once_a_run_counts_only_into_the_mailbox(up_once):
    from email import message_from_bytes, policy

    from infra.cli import DEMO_SEED
    from infra.demo_months import generate_months

    folder, result = up_once
    assert f"mailbox: {folder / 'mailbox'}/ (18 e-mails" in result.stdout
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted((folder / "mailbox").glob("*.eml"))
    ]
    assert len(mails) == 6 * 3, "every gemeente, every month's run, once"
    assert all(m["To"].startswith("coordinator-gm") for m in mails)
    texts = [f"{m['Subject']}\n{m.get_content()}" for m in mails]
    assert all("Huishoudens:" in t and "waarvan crisis:" in t for t in texts)
    # The demo's own data, regenerated as `up` wrote it: no personal value in any mail.
    history = generate_months(folder / "again", seed=DEMO_SEED, today=date.today(), months=6)
    personal = {v for v in history.persoonsgegevens() if len(v) >= 5}
    assert len(personal) > 100
    leaked = sorted(v for v in personal for t in texts if v in t)
    assert leaked == []


def test_commands_without_a_stack_say_how_to_start_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VINDPLAATS_")}
    env["VINDPLAATS_STATE"] = str(tmp_path / "none.json")
    registry = tmp_path / "r.toml"
    registry.write_text('[[gemeente]]\ncode = "GM0202"\nnaam = "Arnhem"\n')
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "registry", "import", str(registry)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2
    assert "vindplaats up" in result.stderr


def test_registry_check_names_the_problem(tmp_path):
    registry = tmp_path / "r.toml"
    registry.write_text(
        '[[gemeente]]\ncode = "GM0202"\nnaam = "Arnhem"\n\n[[convenant]]\ngemeente = "GM0202"\n'
        'leverancier = "foo"\nvanaf = "2026-01-01"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "registry", "check", str(registry)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 2
    assert "foo" in result.stderr


def test_an_abbreviated_option_is_refused_not_guessed(tmp_path):
    env = os.environ | {"VINDPLAATS_STATE": str(tmp_path / "stack.json")}
    run = ["run", "x", "--regis", "r.toml", "--reference", "a.csv", "--as-of", "2026-11-01", "--out", "o"]
    for arguments in (["up", "--demo"], ["up", "--demo-d", str(tmp_path)], run):
        result = subprocess.run(
            [sys.executable, "-m", "infra.cli", *arguments],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert result.returncode == 2, arguments
        assert "unrecognized arguments" in result.stderr or "required: --registry" in result.stderr, result.stderr
    assert not (tmp_path / "stack.json").exists()
