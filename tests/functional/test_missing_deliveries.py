"""`vindplaats status` on the local stack: suppliers with an active convenant and no accepted
delivery in 35 days, read from the reports ingest wrote in the lake."""

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from infra import actions
from infra.local.target import clear_local, save_local


def test_a_supplier_drops_off_the_list_once_it_delivers_and_comes_back_after_35_days(platform):
    today = date.today()
    before = {m.leverancier for m in actions.missing_deliveries(platform.target, today)}
    outcomes = {}
    for leverancier, path in actions.deliveries(platform.demo / "leveringen"):
        if leverancier in outcomes:
            continue
        _, report = platform.deliver(leverancier, path)
        outcomes[leverancier] = report.status.value
        if {"rejected", "accepted"} <= {v.split("_")[0] for v in outcomes.values()}:
            break
    delivered = {lev for lev, status in outcomes.items() if status != "rejected"}
    rejected = {lev for lev, status in outcomes.items() if status == "rejected"}
    assert delivered and rejected and (delivered | rejected) <= before
    after = {m.leverancier for m in actions.missing_deliveries(platform.target, today)}
    assert after == before - delivered  # a rejected delivery is no delivery
    later = actions.missing_deliveries(platform.target, today + timedelta(days=36))
    assert {m.leverancier: (m.laatste_levering, m.dagen) for m in later if m.leverancier in delivered} == dict.fromkeys(
        delivered, (today, 36)
    )


def test_vindplaats_status_prints_the_list(platform, tmp_path):
    state = tmp_path / "stack.json"
    env = {"VINDPLAATS_STATE": str(state)}
    os.environ["VINDPLAATS_STATE"] = str(state)
    try:
        save_local(platform.stack.env("IngestFunction"), os.getpid())
        later = (date.today() + timedelta(days=400)).isoformat()
        result = subprocess.run(
            [sys.executable, "-m", "infra.cli", "status", "--vandaag", later],
            capture_output=True,
            text=True,
            timeout=120,
            env=os.environ | env,
            cwd=Path(__file__).resolve().parents[2],
        )
    finally:
        clear_local(os.getpid())
        del os.environ["VINDPLAATS_STATE"]
    assert result.returncode == 0, result.stderr
    assert "zonder levering in de 35 dagen" in result.stdout
    assert len([line for line in result.stdout.splitlines() if line.startswith("  ")]) >= 1
    stale = subprocess.run(
        [sys.executable, "-m", "infra.cli", "status", "--vand", later],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | env,
    )
    assert stale.returncode == 2  # no abbreviations
