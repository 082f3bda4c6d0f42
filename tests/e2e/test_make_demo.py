"""The README's first command, exactly as a user types it: `make demo` serves the web page and the
API on http://127.0.0.1:8000 with the demo loaded, and stops cleanly on Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://127.0.0.1:8000"  # the README's address
START_TIMEOUT_S = 300


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def _healthy() -> bool:
    try:
        return _get(f"{BASE}/api/health")[0] == 200
    except OSError:
        return False


def test_make_demo_serves_the_page_and_a_coordinators_first_page_of_cases(tmp_path):
    assert not _healthy(), "something already answers on 127.0.0.1:8000"
    env = os.environ | {"VINDPLAATS_STATE": str(tmp_path / "stack.json")}
    log_path = tmp_path / "make-demo.log"
    with log_path.open("w") as log:
        # Its own process group: Ctrl-C reaches make and what it started, as in a terminal.
        make = subprocess.Popen(
            ["make", "demo"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not (_healthy() and (tmp_path / "stack.json").exists()):
                assert make.poll() is None, f"make demo stopped: {log_path.read_text()[-3000:]}"
                assert time.monotonic() < deadline, "make demo did not answer /api/health in time"
                time.sleep(1)
            status, page = _get(f"{BASE}/")
            assert status == 200 and b'lang="nl"' in page
            login = subprocess.run(
                [sys.executable, "-m", "infra.cli", "login", "coordinator-gm0202"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert login.returncode == 0, login.stderr
            status, body = _get(f"{BASE}/api/cases", login.stdout.strip())
            cases = json.loads(body)
            assert status == 200
            assert cases["page"] == 1 and cases["cases"], "the demo coordinator has cases on the first page"
            assert all(case["gemeente"] == "GM0202" for case in cases["cases"])
        finally:
            if make.poll() is None:
                os.killpg(make.pid, signal.SIGINT)
                try:
                    make.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(make.pid, signal.SIGKILL)
                    raise
    assert not (tmp_path / "stack.json").exists(), "Ctrl-C stops the stack cleanly"
    assert not _healthy()
