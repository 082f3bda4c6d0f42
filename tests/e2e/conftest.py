"""The local stack as a user starts it (`vindplaats up`), shared by the end-to-end tests."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Stack, Watch

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/health", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


class Cli:
    """`vindplaats` against the running stack: `cli(username)` is `vindplaats login`, the demo
    user's ID token; `cli.run(*args)` any other command."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "infra.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def __call__(self, username: str) -> str:
        result = self.run("login", username, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


@pytest.fixture(scope="module")
def running(request, tmp_path_factory) -> Iterator[tuple[str, Cli]]:
    """(base URL, login): a fresh `vindplaats up` with demo data per test module; `login(username)`
    is `vindplaats login`, the demo user's ID token, and `login.run(...)` any other command. The
    stack must stop cleanly afterwards. A module's `STACK_ENVIRONMENT` (a dict) is added to the
    stack's environment (its settings)."""
    folder = tmp_path_factory.mktemp("up")
    env = (
        os.environ | getattr(request.module, "STACK_ENVIRONMENT", {}) | {"VINDPLAATS_STATE": str(folder / "stack.json")}
    )
    port = _free_port()
    # A file, not a pipe: the server logs every request, and a full pipe nobody reads would stall it.
    log = (folder / "up.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.cli",
            "up",
            "--aws-port",
            "0",
            "--port",
            str(port),
            "--demo-dir",
            str(folder / "demo"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if _healthy(base) and (folder / "stack.json").exists():
            break
        if process.poll() is not None:
            pytest.fail(f"vindplaats up stopped: {(folder / 'up.log').read_text()[-3000:]}")
        time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("the API did not answer /api/health in time")

    yield base, Cli(env)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    finally:
        process.kill()
        log.close()
    assert not (folder / "stack.json").exists()


@pytest.fixture(scope="module")
def stack(running) -> Stack:
    return Stack(*running)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Browser, stack: Stack, watch: Watch) -> Iterator[Page]:
    """A fresh browser context's tab; the test fails on any console error, uncaught exception
    or CSP violation it did not allow (`watch.allowed`)."""
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam", accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    tab.on("console", watch.console)
    tab.on("pageerror", watch.page_error)
    yield tab
    context.close()
    assert watch.problems == []
