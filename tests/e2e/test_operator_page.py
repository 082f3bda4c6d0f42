"""The web page as an operator meets it, in Debian's headless Chromium against `vindplaats up`:
Beheer alone in the menu, the demo's published runs with their cases per gemeente, every
supplier's deliveries of a month with a supplier that stopped delivering marked, a file a supplier
just delivered and quarantine refused, and the registry; nothing personal anywhere on it, and the
other roles' views refused.

The stack is arranged as an operator would find it: the registry gains a supplier with an active
convenant that never delivered (`vindplaats registry import`, before the API first reads the
registry), and a supplier delivers a file without its amount column through the API's presigned
POST. What the page shows is checked against the API as the operator sees it, and against what
was arranged.
"""

from __future__ import annotations

import csv
import io
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, Request, expect

from tests.e2e.browser import MAANDEN, REFUSED, SCREENSHOTS, TIMEOUT_MS, Stack, Watch, axe, sign_in, violations

pytestmark = pytest.mark.e2e

OPERATOR = "operator"
SUPPLIER = "leverancier-vivare"
LEVERANCIER = "vivare"
# The supplier the test adds to the registry: an active convenant, never a delivery.
SILENT = "waterbedrijf-stil"
SILENT_NAAM = "Waterbedrijf Stil"
REPORT_WAIT_S = 60
# The columns of a delivery that name or reach a person (woonplaats and tussenvoegsel are words
# the page shows for other reasons: gemeente names, "van").
PERSONAL_COLUMNS = ("klantnummer", "bsn", "achternaam", "straat", "telefoon", "email")


def in_words(day: date) -> str:
    return f"{day.day} {MAANDEN[day.month - 1]} {day.year}"


def month_in_words(day: date) -> str:
    return f"{MAANDEN[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Quarantined:
    levering: str
    bestand: str
    size: int
    rows: list[dict[str, str]]


@dataclass(frozen=True)
class Arranged:
    quarantined: Quarantined


def registry_with_a_silent_supplier(stack: Stack, folder: Path) -> Path:
    """The demo's registry and one more supplier, whose convenant with GM0202 began a year ago."""
    since = (date.today() - timedelta(days=365)).isoformat()
    text = (stack.demo / "registry.toml").read_text(encoding="utf-8")
    text += (
        f'\n[[leverancier]]\nid = "{SILENT}"\nnaam = "{SILENT_NAAM}"\nsignaaltype = "Water"\n'
        f'max_fout_percentage = 10\n\n[[convenant]]\ngemeente = "GM0202"\nleverancier = "{SILENT}"\n'
        f'vanaf = "{since}"\n'
    )
    path = folder / "registry.toml"
    path.write_text(text, encoding="utf-8")
    return path


def deliver_without_the_amount_column(stack: Stack, folder: Path) -> Quarantined:
    """A supplier's file whose header lacks `bedrag` (rejected whole, so quarantined), sent as the
    page sends one: POST /api/uploads for a ticket, then the file to the bucket's presigned POST."""
    today = date.today().isoformat()
    rows = [
        {
            "klantnummer": f"Q7E2E{n:05d}",
            "postcode": "6811 KZ",
            "huisnummer": str(40 + n),
            "openstaand": "99,95",
            "achterstand_sinds": "2026-01-01",
            "peildatum": today,
            "achternaam": f"Quarantijn{n}",
        }
        for n in range(5)
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = folder / "vivare-zonder-bedrag.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    token = stack.login(SUPPLIER)
    ticket = stack.api(token, "/api/uploads", {"filename": path.name, "size": path.stat().st_size})
    sent = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": (path.name, path.read_bytes(), "text/csv")}, timeout=60
    )
    assert sent.status_code in (200, 201, 204), sent.text
    return Quarantined(ticket["levering"], path.name, path.stat().st_size, rows)


def report_of(stack: Stack, username: str, levering: str) -> dict:
    """The supplier's report of `levering`, once ingest wrote it."""
    token = stack.login(username)
    deadline = time.monotonic() + REPORT_WAIT_S
    while True:
        try:
            return stack.api(token, f"/api/uploads/{levering}")
        except urllib.error.HTTPError as missing:
            if missing.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(1)


@pytest.fixture(scope="module")
def arranged(stack: Stack, tmp_path_factory) -> Arranged:
    """Before any test asks the API for anything: the silent supplier in the registry (the API
    keeps the registry it read for five minutes), then a refused delivery."""
    folder = tmp_path_factory.mktemp("operator")
    imported = stack.login.run("registry", "import", str(registry_with_a_silent_supplier(stack, folder)))
    assert imported.returncode == 0, imported.stderr
    quarantined = deliver_without_the_amount_column(stack, folder)
    report = report_of(stack, SUPPLIER, quarantined.levering)
    assert (report["status"], report["rejection"]["code"]) == ("rejected", "column_missing"), report
    return Arranged(quarantined)


def menu(page: Page) -> list[str]:
    return page.locator("#hoofdmenu li:visible").all_text_contents()


def data_requests(requests_seen: list[Request]) -> list[str]:
    paths = [re.sub(r"^https?://[^/]+", "", request.url) for request in requests_seen]
    return [path for path in paths if path.startswith("/api/") and not path.startswith("/api/openapi")]


def loaded(page: Page) -> None:
    """Every section of Beheer filled in."""
    for table in ("#beheer-rondes-tabel", "#beheer-leveranciers", "#beheer-quarantaine-tabel", "#register-convenanten"):
        expect(page.locator(table)).to_be_visible()


def row_of(page: Page, table: str, header: str):
    """The row of `table` whose row header is exactly `header`."""
    return page.locator(f"{table} tbody tr").filter(
        has=page.locator("th", has_text=re.compile(f"^{re.escape(header)}$"))
    )


def delivered_values(stack: Stack, extra: list[dict[str, str]]) -> tuple[set[str], set[str]]:
    """Every personal value in the files the demo delivered (every month) and in `extra`: (values
    as written, postcode and huisnummer together without spaces)."""
    rows = list(extra)
    for path in stack.demo.rglob("*.csv"):
        if path.name == "adressen.csv":  # the address table, not a delivery
            continue
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        header = text.split("\n", 1)[0]
        delimiter = ";" if header.count(";") > header.count(",") else ","
        for row in csv.DictReader(io.StringIO(text), delimiter=delimiter):
            rows.append({(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if isinstance(v, str)})
    values = {row[c] for row in rows for c in PERSONAL_COLUMNS if len(row.get(c, "")) >= 5}
    addresses = {
        re.sub(r"\s", "", f"{row['postcode']}{row['huisnummer']}").upper()
        for row in rows
        if row.get("postcode") and row.get("huisnummer")
    }
    return values, addresses


def test_the_operator_sees_only_beheer_and_is_refused_the_other_roles_views(page: Page, stack: Stack, arranged):
    sign_in(page, stack, OPERATOR)
    expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
    expect(page.locator("#gebruiker-naam")).to_contain_text("(beheerder)")
    assert menu(page) == ["Beheer"]
    expect(page.get_by_role("link", name="Beheer")).to_have_attribute("aria-current", "page")
    loaded(page)

    asked: list[Request] = []
    page.on("request", lambda request: asked.append(request))
    for fragment in ("#/signalen", "#/aanleveren", "#/leveringen", "#/overzicht", "#/terugkoppeling"):
        page.evaluate("fragment => { location.hash = fragment; }", fragment)
        expect(page.get_by_role("heading", level=1, name="Geen toegang")).to_be_focused()
        expect(page.locator("#view-geweigerd")).to_contain_text(REFUSED)
        expect(page.locator("#view-beheer")).to_be_hidden()
    assert data_requests(asked) == [], "a refused view asked for its data"

    page.get_by_role("link", name="Naar uw startpagina").click()
    expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
    loaded(page)
    # Beheer asks for its four parts at once, and for nothing of another role; the month shown
    # before is asked for again.
    assert sorted(data_requests(asked)) == [
        f"/api/beheer/leveringen?maand={date.today():%Y-%m}",
        "/api/beheer/quarantaine",
        "/api/beheer/register",
        "/api/beheer/runs",
    ]


def test_the_operator_sees_the_published_runs_with_their_cases_per_gemeente(page: Page, stack: Stack, arranged):
    token = stack.login(OPERATOR)
    answer = stack.api(token, "/api/beheer/runs")
    register = stack.api(token, "/api/beheer/register")
    naam = {gemeente["code"]: gemeente["naam"] for gemeente in register["gemeenten"]}
    runs = answer["runs"]
    # The demo published six monthly runs, the newest for the first of this month.
    assert len(runs) == 6 and {run["status"] for run in runs} == {"published"}
    newest = runs[0]
    assert newest["as_of"] == date.today().replace(day=1).isoformat() and newest["cases"] > 0

    sign_in(page, stack, OPERATOR)
    expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
    loaded(page)
    # The README shows what this test sees (docs/screenshots/, taken anew by every run).
    page.screenshot(path=str(SCREENSHOTS / "operator-beheer.png"), full_page=True)
    table = page.get_by_role("table", name="Matchingsrondes, de nieuwste eerst")
    expect(table.locator("tbody tr")).to_have_count(len(runs))
    expect(table.locator("tbody th")).to_have_text([in_words(date.fromisoformat(run["as_of"])) for run in runs])
    row = table.locator("tbody tr").first
    expect(row).to_contain_text(newest["run_id"])
    expect(row).to_contain_text("Gepubliceerd")
    for code, count in newest["gemeenten"].items():
        expect(row.get_by_role("listitem").filter(has_text=f"{naam[code]} ({code})")).to_have_text(
            f"{naam[code]} ({code}): {count:,}".replace(",", ".")
        )
    expect(row.locator("td").nth(5)).to_have_text(f"{newest['cases']:,}".replace(",", "."))
    assert sum(newest["gemeenten"].values()) == newest["cases"]
    # Published, so nothing to explain; the times are Dutch clock times in words.
    expect(row.locator("td").last).to_have_text("–")
    expect(row.locator("td").nth(2)).to_contain_text(" om ")


def test_the_operator_sees_every_supplier_of_the_month_and_the_one_that_stopped_delivering_marked(
    page: Page, stack: Stack, arranged
):
    token = stack.login(OPERATOR)
    # The CLI's check names the arranged supplier, as the page should.
    status = stack.login.run("status")
    assert status.returncode == 0, status.stderr
    assert re.search(rf"^\s+{SILENT}\s+nooit geleverd; gemeenten GM0202$", status.stdout, re.M), status.stdout
    answer = stack.api(token, "/api/beheer/leveringen")
    this_month = date.today()
    assert answer["maand"] == f"{this_month:%Y-%m}"
    by_id = {entry["leverancier"]: entry for entry in answer["leveranciers"]}
    assert [key for key, entry in by_id.items() if entry["ontbreekt"]] == [SILENT]

    sign_in(page, stack, OPERATOR)
    expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
    field = page.get_by_label("Maand", exact=True)
    expect(field).to_have_value(answer["maand"])
    # The months to choose from: this one first, in Dutch words whatever the browser's language.
    expect(field.locator("option")).to_have_count(36)
    expect(field.locator("option").first).to_have_text(month_in_words(this_month))
    suppliers = page.get_by_role("table", name=f"Leveranciers, stand op {in_words(this_month)}")
    expect(suppliers.locator("tbody tr")).to_have_count(len(answer["leveranciers"]))
    silent = row_of(page, "#beheer-leveranciers", f"{SILENT_NAAM} ({SILENT})")
    # Marked in words, not by colour alone.
    expect(silent.locator(".utrecht-status-badge")).to_have_text("Ontbreekt")
    expect(silent.locator("td").last).to_have_text("Ontbreekt geen geaccepteerde levering in 35 dagen")
    expect(silent).to_contain_text("nooit")
    expect(page.locator("#beheer-leveringen .utrecht-alert--warning")).to_have_text(
        f"Eén leverancier ontbreekt: {SILENT_NAAM} ({SILENT})."
    )
    expect(page.get_by_text("Ontbreekt", exact=True)).to_have_count(1)
    vivare = by_id[LEVERANCIER]
    vivare_row = row_of(page, "#beheer-leveranciers", f"{vivare['naam']} ({LEVERANCIER})")
    expect(vivare_row.locator("td").last).to_have_text("Levert")
    expect(vivare_row.locator("td").nth(2)).to_have_text(str(len(vivare["leveringen"])))

    # This month's deliveries: every one the API lists, the refused one too.
    deliveries = page.get_by_role("table", name=re.compile(f"^Leveringen ontvangen in {month_in_words(this_month)}"))
    listed = [item for entry in answer["leveranciers"] for item in entry["leveringen"]]
    assert arranged.quarantined.levering in {item["levering"] for item in listed}
    expect(deliveries.locator("tbody tr")).to_have_count(len(listed))
    refused = row_of(page, "#beheer-leveringen-tabel", arranged.quarantined.bestand)
    expect(refused.locator("td").first).to_have_text(vivare["naam"])
    expect(refused).to_contain_text("Afgekeurd")

    # The month before, by its button: the API's answer for that month, announced.
    page.get_by_role("button", name="Vorige maand").click()
    previous = (this_month.replace(day=1) - timedelta(days=1)).replace(day=1)
    expect(page.get_by_label("Maand", exact=True)).to_have_value(f"{previous:%Y-%m}")
    earlier = stack.api(token, f"/api/beheer/leveringen?maand={previous:%Y-%m}")
    count = sum(len(entry["leveringen"]) for entry in earlier["leveranciers"])
    if count:
        expect(
            page.get_by_role("table", name=re.compile(f"^Leveringen ontvangen in {month_in_words(previous)}"))
        ).to_be_visible()
    else:
        expect(page.locator("#beheer-leveringen")).to_contain_text(
            f"Er is geen levering ontvangen in {month_in_words(previous)}."
        )
    expect(page.get_by_role("status")).to_contain_text(f"ontvangen in {month_in_words(previous)}")
    expect(page.get_by_role("button", name="Vorige maand")).to_be_focused()
    # Whatever the month, who is missing is judged today.
    expect(row_of(page, "#beheer-leveranciers", f"{SILENT_NAAM} ({SILENT})")).to_contain_text("Ontbreekt")

    page.get_by_role("button", name="Volgende maand").click()
    expect(page.get_by_label("Maand", exact=True)).to_have_value(answer["maand"])
    expect(deliveries.locator("tbody tr")).to_have_count(len(listed))

    # There is no later month than this one.
    page.get_by_role("button", name="Volgende maand").click()
    expect(page.get_by_role("status")).to_have_text("U ziet de huidige maand; een latere is er nog niet.")
    expect(field).to_have_value(answer["maand"])

    # A month chosen from the list.
    field.select_option(f"{previous:%Y-%m}")
    page.get_by_role("button", name="Tonen").click()
    expect(page.get_by_role("status")).to_contain_text(f"ontvangen in {month_in_words(previous)}")


def test_the_operator_sees_the_refused_delivery_in_quarantine_with_its_reason(page: Page, stack: Stack, arranged):
    quarantined = arranged.quarantined
    supplier = stack.login(SUPPLIER)
    report = stack.api(supplier, f"/api/uploads/{quarantined.levering}")
    held = f"quarantine/{LEVERANCIER}/{quarantined.levering}/{quarantined.bestand}"
    s3 = stack.aws("s3", supplier)
    uploads = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "-uploads-" in b["Name"])
    assert s3.head_object(Bucket=uploads, Key=held)["ContentLength"] == quarantined.size
    answer = stack.api(stack.login(OPERATOR), "/api/beheer/quarantaine")

    sign_in(page, stack, OPERATOR)
    expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
    table = page.get_by_role("table", name="Bestanden in quarantaine, de nieuwste eerst")
    expect(table.locator("tbody tr")).to_have_count(len(answer["bestanden"]))
    newest = table.locator("tbody tr").first  # the newest: the test's own
    expect(newest.locator("th")).to_have_text(quarantined.bestand)
    cells = newest.locator("td")
    expect(cells.nth(0)).to_have_text(f"Vivare ({LEVERANCIER})")
    expect(cells.nth(1)).to_have_text(quarantined.levering)
    expect(cells.nth(2)).to_have_text(in_words(date.today()))
    expect(cells.nth(3)).to_have_text(f"{report['rejection']['message']} ({report['rejection']['code']})")
    expect(cells.nth(4)).to_have_text(f"{quarantined.size} bytes")
    # The demo's own refused file (belastingsamenwerking-gelderland's, every month) is there too.
    expect(table.locator("tbody tr", has_text="belastingsamenwerking-gelderland")).not_to_have_count(0)


def test_the_operator_reads_the_registry(page: Page, stack: Stack, arranged):
    register = stack.api(stack.login(OPERATOR), "/api/beheer/register")
    sign_in(page, stack, OPERATOR)
    expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
    headings = page.locator("#view-beheer").get_by_role("heading")
    sections = ["Matchingsrondes", "Leveringen", "Quarantaine", "Register"]
    expect(headings).to_have_text(["Beheer", *sections, "Gemeenten", "Leveranciers", "Convenanten"])
    assert [page.locator(f"#view-beheer {tag}").count() for tag in ("h1", "h2", "h3")] == [1, 4, 3]

    gemeenten = page.locator("#register-gemeenten tbody th")
    expect(gemeenten).to_have_text([gemeente["naam"] for gemeente in register["gemeenten"]])
    arnhem = row_of(page, "#register-gemeenten", "Arnhem")
    rule = next(g for g in register["gemeenten"] if g["naam"] == "Arnhem")
    expect(arnhem.locator("td").nth(0)).to_have_text(rule["code"])
    expect(arnhem.locator("td").nth(2)).to_have_text(f"{rule['min_dagen']} tot en met {rule['max_dagen']}")
    expect(page.locator("#register-leveranciers tbody th")).to_have_text([e["naam"] for e in register["leveranciers"]])
    expect(row_of(page, "#register-leveranciers", SILENT_NAAM).locator("td").nth(0)).to_have_text(SILENT)

    convenanten = page.locator("#register-convenanten tbody tr")
    expect(convenanten).to_have_count(len(register["convenanten"]))
    for index, convenant in enumerate(register["convenanten"]):
        cells = convenanten.nth(index).locator("td")
        expect(cells.nth(1)).to_have_text(in_words(date.fromisoformat(convenant["vanaf"])))
        expect(cells.nth(2)).to_have_text(
            in_words(date.fromisoformat(convenant["tot"])) if convenant["tot"] else "geen einddatum"
        )
        expect(cells.nth(3)).to_have_text("ja" if convenant["actief"] else "nee")
    assert {c["actief"] for c in register["convenanten"]} == {True, False}  # the demo ended one
    silent = convenanten.filter(has_text=f"{SILENT_NAAM} ({SILENT})")
    expect(silent.locator("td").last).to_have_text("ja")
    expect(silent.locator("th")).to_contain_text("GM0202")


def test_nothing_personal_from_any_delivery_is_on_the_operators_page(page: Page, stack: Stack, arranged):
    values, addresses = delivered_values(stack, arranged.quarantined.rows)
    assert len(values) > 1000 and len(addresses) > 300  # the scan has something to find
    assert "Quarantijn0" in values and "6811KZ40" in addresses
    sign_in(page, stack, OPERATOR)
    expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
    loaded(page)
    page.get_by_role("button", name="Vorige maand").click()
    expect(page.get_by_role("status")).to_contain_text("ontvangen in")
    page.get_by_role("button", name="Volgende maand").click()
    expect(page.locator("#beheer-leveringen-tabel")).to_be_visible()
    shown = page.locator("body").text_content() or ""  # hidden views too
    compact = re.sub(r"\s", "", shown).upper()
    # As words: a surname may be part of a Dutch word ("Groot" in "Grootte").
    assert [value for value in values if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", shown)] == []
    assert [address for address in addresses if address in compact] == []


def test_every_part_of_beheer_meets_wcag_2_1_a_and_aa(browser: Browser, stack: Stack, watch: Watch, arranged):
    # axe is injected as a script, which the page's CSP rightly refuses: this context alone bypasses it.
    context = browser.new_context(locale="nl-NL", timezone_id="Europe/Amsterdam", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", watch.console)
    page.on("pageerror", watch.page_error)
    screens: dict[str, list] = {}
    try:
        sign_in(page, stack, OPERATOR)
        expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
        loaded(page)
        screens["beheer"] = axe(page)
        page.get_by_role("button", name="Vorige maand").click()
        expect(page.get_by_role("status")).to_contain_text("ontvangen in")
        screens["beheer, vorige maand"] = axe(page)
        page.evaluate("() => { location.hash = '#/aanleveren'; }")
        expect(page.get_by_role("heading", level=1, name="Geen toegang")).to_be_focused()
        screens["geen toegang"] = axe(page)
    finally:
        context.close()
    assert violations(screens) == {}
    assert watch.problems == []
