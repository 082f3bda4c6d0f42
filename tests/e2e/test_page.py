"""The web page as gemeente users meet it, in Debian's headless Chromium against `vindplaats up`.

Every test watches the browser: a console error, an uncaught exception or a Content-Security-Policy
violation fails it. What the page shows is checked against the API as the same user sees it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from datetime import date
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from playwright.sync_api import Browser, Page, expect

from infra.local.users import DEMO_PASSWORD
from tests.e2e.browser import MAANDEN, SCREENSHOTS, TIMEOUT_MS, Stack, Watch, axe, sign_in, violations

pytestmark = pytest.mark.e2e

COORDINATOR = "coordinator-gm0202"
WIJKTEAM_ZUID = "wijkteam-gm0202-zuid"
DDAS = Draft202012Validator(
    json.loads((SCREENSHOTS.parent / "ddas-uitwisselmodel-v1.2.schema.json").read_text()),
    format_checker=FormatChecker(),
)


def case_rows(page: Page):
    return page.locator("#signalen tbody tr")


def test_a_coordinator_filters_the_list_and_works_a_case_to_its_outcome(page: Page, stack: Stack):
    token = stack.login(COORDINATOR)
    everything = stack.api(token, "/api/cases?page_size=200")
    sign_in(page, stack, COORDINATOR)

    expect(page.get_by_role("heading", level=1, name="Signalen")).to_be_focused()
    expect(page.locator("#signalen-samenvatting")).to_contain_text(
        f"{everything['total']} van {everything['visible']} signalen"
    )
    expect(page.locator("#gebruiker-naam")).to_have_text("Coördinator Arnhem (coördinator)")
    assert page.evaluate("() => [localStorage.length, sessionStorage.length, document.cookie]") == [0, 0, ""]
    # The README shows what this test sees (docs/screenshots/, taken anew by every run).
    expect(case_rows(page)).not_to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "case-list.png"), full_page=True)

    untouched = [c for c in everything["cases"] if c["status"] == "Nog niet opgepakt" and not c.get("team")]
    wijk, naam = untouched[0]["wijk"]["code"], untouched[0]["wijk"]["naam"]
    count = everything["facets"]["wijk"][wijk]
    page.get_by_label("Wijk", exact=True).select_option(wijk)
    page.get_by_role("button", name="Filteren").click()
    expect(page.locator("#signalen-samenvatting")).to_contain_text(f"{count} van {everything['visible']} signalen")
    expect(page.get_by_role("status")).to_contain_text(f"{count} signalen gevonden")
    expect(case_rows(page)).to_have_count(min(count, 25))
    for wijk_cell in case_rows(page).locator("td:nth-child(3)").all_text_contents():
        assert wijk_cell == naam

    first = untouched[0]  # the demo has worked some cases already; nobody has touched this one
    # The list holds no klantnummers: they are in the case itself, whose every view is audited.
    assert all("klantnummer" not in signal for case in everything["cases"] for signal in case["signalen"])
    klantnummer = stack.api(token, f"/api/cases/{first['id']}")["signalen"][0]["klantnummer"]
    expect(page.locator("#signalen")).not_to_contain_text(klantnummer)
    page.locator(f'a[href="#/signaal/{first["id"]}"]').click()
    heading = page.get_by_role("heading", level=1, name=re.compile("^Signaal "))
    expect(heading).to_be_focused()
    signals = page.get_by_role("table", name="Achterstanden per leverancier")
    expect(signals.locator("tbody tr")).to_have_count(len(first["signalen"]))
    expect(signals).to_contain_text(klantnummer)

    # Contact data only on request, and the API writes that view to the audit log.
    contact_table = page.get_by_role("table", name="Contactgegevens zoals de leveranciers ze aanleverden")
    expect(contact_table).to_have_count(0)
    page.get_by_role("button", name="Toon contactgegevens").click()
    expect(contact_table).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Deze inzage is vastgelegd")
    assert contact_views(stack, token, first["id"]) >= 1

    detail = page.locator("#view-signaal")
    detail.get_by_label("Wijkteam", exact=True).fill("noord")
    page.get_by_role("button", name="Toewijzen").click()
    expect(page.get_by_role("status")).to_contain_text("toegewezen aan wijkteam noord")
    expect(page.locator("#signaal-inhoud dl")).to_contain_text("noord")

    detail.get_by_label("Soort contact").select_option("Telefoon")
    detail.get_by_label("Ja", exact=True).check()
    day = date.today()
    detail.get_by_label("Datum").fill(day.isoformat())
    detail.get_by_label("Dagdeel").select_option("Middag")
    page.get_by_role("button", name="Contactpoging vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("De contactpoging is vastgelegd")
    earlier = page.get_by_role("table", name="Eerdere contactpogingen")
    expect(earlier).to_contain_text(f"{day.day} {MAANDEN[day.month - 1]} {day.year}")

    detail.get_by_role("combobox", name="Resultaat", exact=True).select_option("(Budget)advies en/of quick fix")
    page.get_by_role("button", name="Resultaat vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("Het resultaat is vastgelegd")

    stored = stack.api(token, f"/api/cases/{first['id']}")
    assert stored["team"] == "noord"
    assert [(p["soort"], p["bereikt"], p["datum"], p["dagdeel"]) for p in stored["contactpogingen"]] == [
        ("Telefoon", True, day.isoformat(), "Middag")
    ]
    assert stored["resultaat"] == "(Budget)advies en/of quick fix"


def contact_views(stack: Stack, token: str, case_id: str) -> int:
    s3 = stack.aws("s3", token)
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "audit" in b["Name"])
    views = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            event = json.loads(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            views += event.get("case_id") == case_id and event.get("route", "").endswith("/contact")
    return views


def test_a_coordinator_marks_cases_approached_and_sees_the_charts_and_the_export(page: Page, stack: Stack):
    token = stack.login(COORDINATOR)
    sign_in(page, stack, COORDINATOR)
    expect(case_rows(page)).not_to_have_count(0)

    nieuw = stack.api(token, "/api/cases?status=Nog%20niet%20opgepakt&page_size=2")["cases"]
    for case in nieuw:
        page.locator(f"#kies-{case['id']}").check()
    page.get_by_role("button", name="Geselecteerde signalen oppakken").click()
    expect(page.get_by_role("status")).to_contain_text("2 signalen opgepakt")
    assert {stack.api(token, f"/api/cases/{case['id']}")["status"] for case in nieuw} == {"Opgepakt"}

    page.get_by_label("Status", exact=True).select_option("Opgepakt")
    page.get_by_role("button", name="Filteren").click()
    approached = stack.api(token, "/api/cases?status=Opgepakt&page_size=200")["total"]
    expect(page.locator("#signalen-samenvatting")).to_contain_text(f"{approached} van ")
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporteer de lijst als CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert len(rows) == approached
    assert {row["status"] for row in rows} == {"Opgepakt"}
    assert {case["id"] for case in nieuw} <= {row["case_id"] for row in rows}

    stats = stack.api(token, "/api/stats")
    wijk_names = {
        case["wijk"]["code"]: case["wijk"]["naam"] for case in stack.api(token, "/api/cases?page_size=200")["cases"]
    }
    page.get_by_role("link", name="Overzicht").click()
    expect(page.get_by_role("heading", level=1, name="Overzicht")).to_be_focused()
    expect(page.locator("#grafiek-maand svg[role=img]")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "overview.png"), full_page=True)
    charts = (
        ("#grafiek-wijk", {f"{wijk_names[code]} ({code})": count for code, count in stats["wijk"].items()}),
        ("#grafiek-maand", {f"{MAANDEN[int(key[5:]) - 1]} {key[:4]}": count for key, count in stats["maand"].items()}),
    )
    for figure, counts in charts:
        chart = page.locator(f"{figure} svg[role=img]")
        expect(chart).to_have_attribute("aria-label", re.compile("^Staafdiagram"))
        expect(chart.locator("rect")).to_have_count(sum(not count["suppressed"] for count in counts.values()))
        rows = page.locator(f"{figure} table tbody tr")
        expect(rows).to_have_count(len(counts))
        shown = {row.locator("th").text_content(): row.locator("td").text_content() for row in rows.all()}
        assert shown == {
            label: f"minder dan {stats['threshold']}" if count["suppressed"] else str(count["count"])
            for label, count in counts.items()
        }


def all_cases(stack: Stack, token: str, run: str) -> list[dict]:
    cases, page_number = [], 1
    while True:
        answer = stack.api(token, f"/api/cases?run={run}&page_size=200&page={page_number}")
        cases += answer["cases"]
        if page_number >= answer["pages"]:
            return cases
        page_number += 1


def test_a_coordinator_downloads_the_ddas_export_and_the_command_writes_the_same(
    page: Page, stack: Stack, tmp_path: Path
):
    token = stack.login(COORDINATOR)
    runs = stack.api(token, "/api/runs")["runs"]
    van, tot = min(run["as_of"] for run in runs), max(run["as_of"] for run in runs)
    sign_in(page, stack, COORDINATOR)
    expect(case_rows(page)).not_to_have_count(0)
    page.get_by_role("link", name="Overzicht").click()
    page.get_by_label("Van (peildatum)").fill(van)
    page.get_by_label("Tot en met (peildatum)").fill(tot)
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporteer voor DDAS (JSON)").click()
    assert download.value.suggested_filename == f"ddas-GM0202-{van}-{tot}.json"
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    expect(page.get_by_role("status")).to_contain_text("DDAS-export")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in DDAS.iter_errors(document)]
    assert errors == []

    # The counts round-trip: every case of every run in the period, its signals and its attempts.
    (levering,) = document["leveringen"]
    cases = {case["id"]: case for run in runs for case in all_cases(stack, token, run["run_id"])}
    zaken = {zaak["vroegsignalen"][0]["ID"].rsplit("-", 1)[0]: zaak for zaak in levering["vroegsignaalzaken"]}
    assert zaken.keys() == cases.keys()
    assert len(levering["vroegsignalen"]) == sum(len(case["signalen"]) for case in cases.values())
    for case_id, zaak in zaken.items():
        assert len(zaak["vroegsignalen"]) == len(cases[case_id]["signalen"])
        assert len(zaak["contactpogingen"]) == len(cases[case_id]["contactpogingen"])
    assert sum(len(zaak["contactpogingen"]) for zaak in zaken.values()) > 0
    # A BSN only where the supplier's type may deliver one; the demo's health insurers do.
    signalen = levering["vroegsignalen"]
    with_bsn = [s for s in signalen if "burgerservicenummer" in s["client"]]
    assert with_bsn and {s["signaalpartner"]["type"] for s in with_bsn} <= {"Zorg", "CAK Zorgverzekeringen"}
    assert "Gemeentebelasting" not in json.dumps(document)

    out = tmp_path / "ddas.json"
    result = stack.login.run("export", "ddas", "--gemeente", "GM0202", "--van", van, "--tot", tot, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert f"{len(zaken)} zaken, {len(signalen)} signalen" in result.stderr
    command = json.loads(out.read_text(encoding="utf-8"))
    assert not list(DDAS.iter_errors(command))
    for one in (command["leveringen"][0], levering):
        one["aanleverendeOrganisatie"].pop("contactpersonen")
    assert command["leveringen"] == document["leveringen"]
    refused = stack.login.run("export", "ddas", "--gemeente", "GM9999", "--van", van, "--tot", tot)
    assert refused.returncode == 2 and "GM9999" in refused.stderr and refused.stdout == ""


def test_a_wijkteam_member_sees_only_her_teams_cases(page: Page, stack: Stack):
    coordinator = stack.login(COORDINATOR)
    cases = stack.api(coordinator, "/api/cases?page_size=200")["cases"]
    for case in cases[-3:]:
        stack.api(coordinator, f"/api/cases/{case['id']}/assign", {"team": "zuid"})
    zuid = {case["id"] for case in stack.api(coordinator, "/api/cases?team=zuid&page_size=200")["cases"]}

    sign_in(page, stack, WIJKTEAM_ZUID)
    expect(page.locator("#signalen-samenvatting")).to_contain_text(f"{len(zuid)} van {len(zuid)} signalen")
    links = case_rows(page).locator("a")
    expect(links).to_have_count(len(zuid))
    assert {
        href.removeprefix("#/signaal/") for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))")
    } == zuid
    expect(page.get_by_role("link", name="Overzicht")).to_be_hidden()
    expect(page.get_by_role("button", name="Exporteer de lijst als CSV")).to_be_hidden()

    links.first.click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Signaal "))).to_be_focused()
    expect(page.get_by_role("button", name="Toewijzen")).to_have_count(0)
    expect(page.get_by_role("button", name="Contactpoging vastleggen")).to_be_visible()

    page.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("heading", level=1, name="Aanmelden")).to_be_visible()
    expect(page.locator("#signalen-tabel")).to_be_empty()
    expect(page.locator("#signaal-inhoud")).to_be_empty()


def test_a_wrong_password_is_refused_in_dutch(page: Page, stack: Stack, watch: Watch):
    watch.allowed.append("Failed to load resource: the server responded with a status of 400")  # Cognito's refusal
    page.goto(f"{stack.base}/")
    # Not for gemeente staff alone: suppliers and operators sign in here too (test_supplier_page.py).
    expect(page.locator("#view-aanmelden")).to_contain_text("leveranciers")
    sign_in(page, stack, COORDINATOR, "Niet-het-wachtwoord-1!")
    refusal = page.locator("#view-aanmelden").get_by_role("alert")
    expect(refusal).to_have_text("De gebruikersnaam of het wachtwoord is onjuist.")
    password = page.get_by_label("Wachtwoord", exact=True)
    expect(password).to_be_focused()
    expect(password).to_have_value("")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("heading", level=1, name="Signalen")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_be_hidden()


def test_keyboard_alone_reaches_the_sign_in_form_the_list_and_a_case(page: Page, stack: Stack):
    page.goto(f"{stack.base}/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Direct naar de inhoud")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Gebruikersnaam", exact=True)).to_be_focused()
    page.keyboard.type(COORDINATOR)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Wachtwoord", exact=True)).to_be_focused()
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Signalen")).to_be_focused()

    for _ in range(40):  # past the filters and actions to the first case in the table
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('#signalen a')"):
            break
    else:
        pytest.fail("Tab never reached a case in the list")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name=re.compile("^Signaal "))).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("link", name="Terug naar de signalen")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Signalen")).to_be_focused()


def test_first_sign_in_sets_a_password_and_an_authenticator_code_is_asked_for(page: Page, stack: Stack):
    token = stack.login(COORDINATOR)
    pool = stack.claims(token)["iss"].rsplit("/", 1)[1]
    client_id = stack.claims(token)["aud"]
    cognito = stack.aws("cognito-idp", token)
    attributes = [{"Name": "custom:gemeente", "Value": "GM0202"}, {"Name": "name", "Value": "Nieuwe coördinator"}]
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="nieuw-gm0202",
        UserAttributes=attributes,
        TemporaryPassword="Tijdelijk-wachtwoord-1!",
        MessageAction="SUPPRESS",
    )
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="nieuw-gm0202", GroupName="coordinator")

    sign_in(page, stack, "nieuw-gm0202", "Tijdelijk-wachtwoord-1!")
    expect(page.get_by_label("Nieuw wachtwoord")).to_be_focused()
    page.get_by_label("Nieuw wachtwoord").fill("Mijn-eigen-wachtwoord-2026!")
    page.get_by_label("Herhaal het nieuwe wachtwoord").fill("Mijn-eigen-wachtwoord-2026!")
    page.get_by_role("button", name="Wachtwoord opslaan en aanmelden").click()
    expect(page.locator("#gebruiker-naam")).to_have_text("Nieuwe coördinator (coördinator)")

    # The same user enrols an authenticator app; from then on sign-in asks for its code.
    signed = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "nieuw-gm0202", "PASSWORD": "Mijn-eigen-wachtwoord-2026!"},
    )
    access = signed["AuthenticationResult"]["AccessToken"]
    cognito.associate_software_token(AccessToken=access)
    cognito.verify_software_token(AccessToken=access, UserCode="123456")
    cognito.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    page.get_by_role("button", name="Afmelden").click()
    sign_in(page, stack, "nieuw-gm0202", "Mijn-eigen-wachtwoord-2026!")
    code = page.get_by_role("textbox", name="Code uit uw authenticator-app")
    expect(code).to_be_focused()
    code.fill("123456")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_role("heading", level=1, name="Signalen")).to_be_focused()


def test_every_screen_meets_wcag_2_1_a_and_aa(browser: Browser, stack: Stack, watch: Watch):
    # axe is injected as a script, which the page's CSP rightly refuses: this context alone bypasses it.
    context = browser.new_context(locale="nl-NL", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", watch.console)
    page.on("pageerror", watch.page_error)
    try:
        screens: dict[str, list] = {}
        page.goto(f"{stack.base}/")
        expect(page.get_by_label("Gebruikersnaam", exact=True)).to_be_visible()
        screens["aanmelden"] = axe(page)
        sign_in(page, stack, COORDINATOR)
        expect(case_rows(page)).not_to_have_count(0)
        screens["signalen"] = axe(page)
        case_rows(page).locator("a").first.click()
        page.get_by_role("button", name="Toon contactgegevens").click()
        expect(page.get_by_role("table", name=re.compile("^Contactgegevens"))).to_be_visible()
        screens["signaal"] = axe(page)
        page.get_by_role("link", name="Overzicht").click()
        expect(page.locator("#grafiek-wijk svg")).to_be_visible()
        screens["overzicht"] = axe(page)
    finally:
        context.close()
    assert violations(screens) == {}
    assert watch.problems == []


def test_the_page_and_its_files_carry_the_security_headers(stack: Stack):
    with urllib.request.urlopen(f"{stack.base}/", timeout=30) as response:
        headers = response.headers
        html = response.read().decode()
    csp = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert (
        "'unsafe-inline'" not in headers["Content-Security-Policy"]
        and "unsafe-eval" not in headers["Content-Security-Policy"]
    )
    config = json.loads(urllib.request.urlopen(f"{stack.base}/config.json", timeout=30).read())
    # Locally Cognito and the upload bucket are both moto: one origin, named once.
    assert config["upload_origin"] == config["cognito_endpoint"]
    assert csp["connect-src"] == f"'self' {config['cognito_endpoint']}"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
    assert '<html lang="nl"' in html and '<base href="/">' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    assert not re.search(r"\sstyle=|\son[a-z]+=", html), "an inline style or event handler"
