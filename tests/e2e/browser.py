"""What the browser tests share: Debian's Chromium, the watch on what the browser reports, the
running stack as a user reaches it, signing in, and axe-core's WCAG 2.1 A/AA check."""

from __future__ import annotations

import base64
import json
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from playwright.sync_api import ConsoleMessage, Page

from infra.local.users import DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The page writes dates in Dutch: "5 december 2026".
MAANDEN = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
# What the page says on a view of another role.
REFUSED = "Deze pagina is niet beschikbaar voor uw rol."
TIMEOUT_MS = 15_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@dataclass
class Watch:
    """What the browser reported that a working page never reports."""

    problems: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)  # messages a test provokes on purpose

    def console(self, message: ConsoleMessage) -> None:
        text = message.text
        csp = "Content Security Policy" in text or "Trusted Type" in text
        if (message.type == "error" or csp) and not any(allowed in text for allowed in self.allowed):
            self.problems.append(f"console {message.type}: {text}")

    def page_error(self, error: Exception) -> None:
        self.problems.append(f"uncaught: {error}")


@dataclass
class Stack:
    base: str
    login: Any  # conftest's Cli: login(username) is the ID token, login.run(*args) any command

    def api(self, token: str, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    @property
    def demo(self) -> Path:
        """The demo data `vindplaats up` wrote and loaded (conftest's `running` puts it beside the
        stack's state file)."""
        return Path(self.login.env["VINDPLAATS_STATE"]).parent / "demo"

    def aws(self, service: str, token: str):
        """A client of the local AWS (moto) the page signs in against; the pool is in the token."""
        config = json.loads(urllib.request.urlopen(f"{self.base}/config.json", timeout=30).read())
        return boto3.client(
            service,
            endpoint_url=config["cognito_endpoint"],
            region_name=config["region"],
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    @staticmethod
    def claims(token: str) -> dict:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sign_in(page: Page, stack: Stack, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{stack.base}/")
    page.get_by_label("Gebruikersnaam", exact=True).fill(username)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Aanmelden").click()


def axe(page: Page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (the context must bypass the
    page's CSP, which rightly refuses the injected script)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_21_AA,
    )
    # The check did look: contrast and labels were measured on this screen, not skipped.
    checked = {rule["id"] for rule in result["passes"] + result["incomplete"]}
    assert {"color-contrast", "html-has-lang", "document-title"} <= checked
    return result["violations"]


def violations(screens: dict[str, list[dict[str, Any]]]) -> dict[str, list[tuple[str, str, list[Any]]]]:
    """Per screen with any, axe's violations in short: rule, impact and the first three elements."""
    return {
        screen: [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in found]
        for screen, found in screens.items()
        if found
    }
