"""The web page as a supplier and an operator meet it, in Debian's headless Chromium against
`vindplaats up`: the supplier's own menu, a delivery through the real presigned POST into moto's
upload bucket (its CORS rule from template.yaml), the report, the deliveries, the feedback after a
gemeente approached one of its customers; and every role refused the others' views.

Every test watches the browser: a console error, an uncaught exception or a Content-Security-Policy
violation fails it, except the 404s a test provokes on purpose (`watch.allowed`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from infra.template import TEMPLATE_PATH, Resolver, load_template
from tests.e2e.browser import MAANDEN, REFUSED, SCREENSHOTS, TIMEOUT_MS, Stack, Watch, axe, sign_in, violations

pytestmark = pytest.mark.e2e

SUPPLIER = "leverancier-vivare"
LEVERANCIER = "vivare"
OTHER_SUPPLIER = "leverancier-eneco"
COORDINATOR = "coordinator-gm0202"
WIJKTEAM = "wijkteam-gm0202-noord"
OPERATOR = "operator"
NOT_PROCESSED = "the server responded with a status of 404"  # the report is polled until ingest wrote it
UPLOAD_BYTES_PER_SECOND = 64 * 1024  # the browser's upload, throttled so its progress can be watched
REPORT_WAIT_MS = 60_000


def delivery(path: Path, rows: int, bad_postcodes: int = 3, bad_amounts: int = 2) -> Path:
    """A CSV in the delivery format: the first rows with an invalid postcode, the next with an
    invalid amount (row errors), the rest valid (their addresses are not in the demo's table:
    each a warning). Peildatum today."""
    today = date.today()
    since = (today - timedelta(days=60)).isoformat()
    lines = ["klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum"]
    for i in range(rows):
        postcode = "0123AB" if i < bad_postcodes else "6811AB"
        bedrag = "twaalf" if bad_postcodes <= i < bad_postcodes + bad_amounts else "123,45"
        lines.append(f"E2E{i:06d};{postcode};{i + 1};{bedrag};{since};{today.isoformat()}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def throttle_uploads(page: Page) -> None:
    """Slow the browser's uploads down (Chromium's own network emulation) so progress shows."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": UPLOAD_BYTES_PER_SECOND},
    )


def status(stack: Stack, token: str, path: str) -> int:
    """The HTTP status of a GET, 200 or the refusal's."""
    request = urllib.request.Request(f"{stack.base}{path}", headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as refused:
        return refused.code


def bucket(stack: Stack, token: str, kind: str) -> str:
    s3 = stack.aws("s3", token)
    return next(b["Name"] for b in s3.list_buckets()["Buckets"] if f"-{kind}-" in b["Name"])


def keys(stack: Stack, token: str, kind: str, prefix: str) -> list[str]:
    s3 = stack.aws("s3", token)
    listed = s3.list_objects_v2(Bucket=bucket(stack, token, kind), Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def menu(page: Page) -> list[str]:
    return page.locator("#hoofdmenu li:visible").all_text_contents()


def data_requests(requests: list[Request]) -> list[str]:
    """The API calls among the page's requests (not its files, config or the OpenAPI document)."""
    paths = [re.sub(r"^https?://[^/]+", "", request.url) for request in requests]
    return [path for path in paths if path.startswith("/api/") and not path.startswith("/api/openapi")]


def test_a_supplier_sees_only_its_menu_and_other_roles_views_are_refused_without_asking_for_data(
    page: Page, stack: Stack
):
    sign_in(page, stack, SUPPLIER)
    expect(page.get_by_role("heading", level=1, name="Aanleveren")).to_be_focused()
    expect(page.locator("#gebruiker-naam")).to_contain_text("(leverancier)")
    assert menu(page) == ["Aanleveren", "Leveringen", "Terugkoppeling"]
    expect(page.get_by_role("link", name="Aanleveren")).to_have_attribute("aria-current", "page")

    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    for fragment in ("#/signalen", "#/signaal/0123456789abcdef", "#/overzicht", "#/beheer"):
        page.evaluate("fragment => { location.hash = fragment; }", fragment)
        expect(page.get_by_role("heading", level=1, name="Geen toegang")).to_be_focused()
        expect(page.locator("#view-geweigerd")).to_contain_text(REFUSED)
        expect(page.get_by_role("heading", level=1, name=re.compile("^(Signalen|Overzicht|Beheer)"))).to_have_count(0)
    assert data_requests(requests) == [], "a refused view asked for its data"
    assert menu(page) == ["Aanleveren", "Leveringen", "Terugkoppeling"]

    page.get_by_role("link", name="Naar uw startpagina").click()
    expect(page.get_by_role("heading", level=1, name="Aanleveren")).to_be_focused()


def test_gemeente_users_and_the_operator_see_only_their_own_menu(page: Page, stack: Stack):
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    for username, items, refused in (
        (COORDINATOR, ["Signalen", "Overzicht"], ["#/aanleveren", "#/leveringen", "#/terugkoppeling", "#/beheer"]),
        (WIJKTEAM, ["Signalen"], ["#/overzicht", "#/levering/20261205T000000000000-abcdef01", "#/beheer"]),
        (OPERATOR, ["Beheer"], ["#/signalen", "#/aanleveren", "#/terugkoppeling"]),
    ):
        sign_in(page, stack, username)
        home = "Beheer" if username == OPERATOR else "Signalen"
        expect(page.get_by_role("heading", level=1, name=home)).to_be_focused()
        assert menu(page) == items, username
        for hidden in {"Signalen", "Overzicht", "Aanleveren", "Leveringen", "Terugkoppeling", "Beheer"} - set(items):
            expect(page.locator("#hoofdmenu").get_by_role("link", name=hidden)).to_be_hidden()
        requests.clear()
        for fragment in refused:
            page.evaluate("fragment => { location.hash = fragment; }", fragment)
            expect(page.get_by_role("heading", level=1, name="Geen toegang")).to_be_focused()
            expect(page.locator("#view-geweigerd")).to_contain_text(REFUSED)
        assert data_requests(requests) == [], username
        page.get_by_role("button", name="Afmelden").click()
        expect(page.get_by_role("heading", level=1, name="Aanmelden")).to_be_visible()

    sign_in(page, stack, OPERATOR)
    beheer = page.locator("#view-beheer")
    expect(beheer.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
    expect(beheer.get_by_role("table", name="Matchingsrondes, de nieuwste eerst")).to_be_visible()


def test_the_upload_bucket_lets_only_the_page_post_and_the_browser_asks_nothing_more(stack: Stack):
    """The local bucket carries template.yaml's rule resolved for the local page's origin, and
    moto answers a preflight by it: the page's origin may POST, another origin may not."""
    token = stack.login(SUPPLIER)
    s3 = stack.aws("s3", token)
    uploads = bucket(stack, token, "uploads")
    (rule,) = s3.get_bucket_cors(Bucket=uploads)["CORSRules"]
    body = load_template(TEMPLATE_PATH)
    (template_rule,) = Resolver(body, parameters={"PageUrl": f"{stack.base}/"}).resolve(
        body["Resources"]["UploadBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    )
    assert rule == {
        "ID": template_rule["Id"],
        "AllowedMethods": template_rule["AllowedMethods"],
        "AllowedOrigins": [stack.base],
        "MaxAgeSeconds": template_rule["MaxAge"],
    }
    config = json.loads(urllib.request.urlopen(f"{stack.base}/config.json", timeout=30).read())
    for origin, allowed in ((stack.base, True), ("http://127.0.0.1:1", False), ("https://elders.example", False)):
        request = urllib.request.Request(
            f"{config['upload_origin']}/{uploads}",
            method="OPTIONS",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answered = response.status
                assert response.headers["Access-Control-Allow-Origin"] == origin
        except urllib.error.HTTPError as refused:
            answered = refused.code
        assert (answered == 200) is allowed, origin


def test_a_supplier_delivers_a_csv_and_reads_filters_and_downloads_its_report(
    page: Page, stack: Stack, watch: Watch, tmp_path: Path
):
    watch.allowed.append(NOT_PROCESSED)
    token = stack.login(SUPPLIER)
    sign_in(page, stack, SUPPLIER)
    expect(page.get_by_role("heading", level=1, name="Aanleveren")).to_be_focused()
    throttle_uploads(page)
    # The browser's preflight to the bucket (Chromium's own record of it): POST, and no request
    # headers, which is why the bucket's CORS rule allows none.
    preflights: list[dict] = []
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.on(
        "Network.requestWillBeSent",
        lambda event: (
            preflights.append(event["request"]["headers"])
            if event["request"]["method"] == "OPTIONS" and "-uploads-" in event["request"]["url"]
            else None
        ),
    )

    # The page's own checks, before anything is sent: the type, and the size against the API's
    # limit as its OpenAPI document states it (here made small, to test that it is read).
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    page.evaluate(
        """() => {
          const dropped = new DataTransfer();
          dropped.items.add(new File(["klantnummer;postcode\\n"], "aantekeningen.txt", {type: "text/plain"}));
          document.getElementById("dropzone").dispatchEvent(
            new DragEvent("drop", {dataTransfer: dropped, bubbles: true, cancelable: true}));
        }"""
    )
    expect(page.locator("#bestand-gekozen")).to_have_text("Gekozen: aantekeningen.txt (21 bytes)")
    page.get_by_role("button", name="Verzenden").click()
    field = page.get_by_label("CSV-bestand")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#bestand-fout")).to_have_text("Alleen CSV-bestanden (.csv) kunnen worden aangeleverd.")
    page.set_input_files("#bestand", {"name": "leeg.csv", "mimeType": "text/csv", "buffer": b""})
    page.get_by_role("button", name="Verzenden").click()
    expect(page.locator("#bestand-fout")).to_have_text("Het bestand is leeg.")
    assert [r for r in data_requests(requests) if r.startswith("/api/uploads")] == []

    path = delivery(tmp_path / "vivare-levering.csv", rows=3000)
    page.set_input_files("#bestand", str(path))
    expect(page.locator("#bestand-gekozen")).to_contain_text("Gekozen: vivare-levering.csv")
    with page.expect_response(lambda r: r.url.endswith("/api/uploads") and r.request.method == "POST") as asked:
        page.get_by_role("button", name="Verzenden").click()
    ticket = asked.value.json()
    levering = ticket["levering"]
    assert ticket["max_bytes"] == path.stat().st_size

    # The upload as it goes: a labelled progress bar between 0 and the whole, and a cancel button.
    bar = page.get_by_role("progressbar", name="Verzenden van vivare-levering.csv")
    expect(bar).to_be_visible()
    expect(page.get_by_role("button", name="Annuleren")).to_be_focused()
    page.wait_for_function(
        "() => { const bar = document.getElementById('upload-balk'); return bar.value > 0 && bar.value < bar.max; }"
    )
    expect(page.locator("#upload-tekst")).to_contain_text("% verzonden")
    expect(page.get_by_role("status")).to_contain_text("vivare-levering.csv wordt verzonden.")

    heading = page.get_by_role("heading", level=2, name="Controle van vivare-levering.csv")
    expect(heading).to_be_focused(timeout=REPORT_WAIT_MS)
    expect(bar).to_be_hidden()
    table = page.get_by_role("table", name=re.compile("^Afgekeurde regels en waarschuwingen"))
    expect(table).to_be_visible(timeout=REPORT_WAIT_MS)
    report = stack.api(token, f"/api/uploads/{levering}")
    assert report["status"] == "accepted_with_errors" and report["truncated"]
    expect(page.get_by_role("status")).to_contain_text("Geaccepteerd, met afgekeurde regels")
    result = page.locator("#upload-resultaat")
    counts = report["counts"]
    for term, value in (
        ("Status", "Geaccepteerd, met afgekeurde regels"),
        ("Regels gelezen", f"{counts['read']:,}".replace(",", ".")),
        ("Regels afgekeurd", str(counts["rejected"])),
        ("Levering", levering),
    ):
        expect(result.locator("dt", has_text=term).locator("xpath=following-sibling::dd[1]")).to_have_text(value)
    # The lists are cut at 1,000 findings of a code: the report says so.
    expect(result.get_by_text(report["note"])).to_be_visible()
    listed = report["errors"] + report["warnings"]
    expect(table.locator("tbody tr")).to_have_count(len(listed))
    per_code = page.get_by_role("table", name=re.compile("^Aantal meldingen per code"))
    expect(per_code.locator("tbody tr", has_text="adres_niet_gevonden")).to_contain_text("2.995")

    # Filter on one code: its rows alone, as the API lists them.
    postcode_errors = [e for e in report["errors"] if e["code"] == "postcode_invalid"]
    assert [e["line"] for e in postcode_errors] == [2, 3, 4]
    result.get_by_label("Toon meldingen met code").select_option("postcode_invalid")
    result.get_by_role("button", name="Filteren").click()
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("caption")).to_contain_text("met code postcode_invalid: 3 van")
    assert table.locator("tbody th").all_text_contents() == ["2", "3", "4"]
    expect(page.get_by_role("status")).to_contain_text("3 meldingen met code postcode_invalid.")
    page.screenshot(path=str(SCREENSHOTS / "supplier-report.png"), full_page=True)

    with page.expect_download() as download:
        result.get_by_role("button", name="Download de meldingen als CSV").click()
    assert download.value.suggested_filename == f"rapport-{levering}-postcode_invalid.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows == [
        {"regel": str(e["line"]), "kolom": e["column"], "soort": "fout", "code": e["code"], "melding": e["message"]}
        for e in postcode_errors
    ]
    # The page's CSV neutralises what a spreadsheet would take for a formula, as the API's export.
    written = page.evaluate(
        """async () => {
          const csv = await import(new URL("static/csv.js", document.baseURI).href);
          return csv.csvText(["a", "b"], [["=1+1", "+31"], ["-5", "@SOM(A1)"], ["\\tx", "gewoon, \\"zo\\""]]);
        }"""
    )
    assert written == 'a,b\r\n\'=1+1,\'+31\r\n\'-5,\'@SOM(A1)\r\n\'\tx,"gewoon, ""zo"""\r\n'
    assert preflights and all(
        h.get("Access-Control-Request-Method") == "POST" and "Access-Control-Request-Headers" not in h
        for h in preflights
    ), preflights


def test_a_cancelled_upload_delivers_nothing(page: Page, stack: Stack, watch: Watch, tmp_path: Path):
    token = stack.login(SUPPLIER)
    sign_in(page, stack, SUPPLIER)
    expect(page.get_by_role("heading", level=1, name="Aanleveren")).to_be_focused()
    throttle_uploads(page)
    path = delivery(tmp_path / "te-groot-om-af-te-wachten.csv", rows=40_000)  # ~2 MB: half a minute
    page.set_input_files("#bestand", str(path))
    with page.expect_response(lambda r: r.url.endswith("/api/uploads") and r.request.method == "POST") as asked:
        page.get_by_role("button", name="Verzenden").click()
    levering = asked.value.json()["levering"]
    page.wait_for_function("() => document.getElementById('upload-balk').value > 0")
    page.get_by_role("button", name="Annuleren").click()
    expect(page.get_by_role("status")).to_have_text("Het verzenden is geannuleerd. Er is niets aangeleverd.")
    expect(page.get_by_role("progressbar")).to_be_hidden()
    expect(page.get_by_label("CSV-bestand")).to_be_focused()
    expect(page.locator("#upload-resultaat")).to_be_empty()

    # Long enough for the local runtime to have ingested it, were anything there.
    time.sleep(8)
    assert keys(stack, token, "uploads", f"incoming/{LEVERANCIER}/{levering}/") == []
    assert keys(stack, token, "uploads", f"quarantine/{LEVERANCIER}/{levering}/") == []
    assert keys(stack, token, "lake", f"reports/{LEVERANCIER}/{levering}") == []
    assert status(stack, token, f"/api/uploads/{levering}") == 404


def test_a_supplier_finds_its_own_deliveries_with_the_next_runs_marked_and_opens_one_report(
    page: Page, stack: Stack, tmp_path: Path
):
    token = stack.login(SUPPLIER)
    # 3 of 40 rows invalid: under the 10% that would reject the file whole. Its peildatum is
    # today's and it is the supplier's newest: the delivery the next monthly run reads.
    uploaded = stack.login.run(
        "upload", str(delivery(tmp_path / "via-de-cli.csv", rows=40, bad_amounts=0)), "--leverancier", LEVERANCIER
    )
    assert uploaded.returncode == 0, uploaded.stderr
    levering = re.search(rf"geüpload: {LEVERANCIER}/(\S+) ", uploaded.stdout).group(1)
    answer = stack.api(token, "/api/uploads")
    assert not answer["truncated"]
    listed = [item["levering"] for item in answer["leveringen"]]
    assert [item["levering"] for item in answer["leveringen"] if item["volgende_run"]] == [levering]
    # What the lake holds of this supplier and of another: the list is the first, and none of the second.
    own = {key.rsplit("/", 1)[1].removesuffix(".json") for key in keys(stack, token, "lake", f"reports/{LEVERANCIER}/")}
    other = stack.api(stack.login(OTHER_SUPPLIER), "/api/uploads")["leveringen"]
    assert set(listed) == own and other and not own & {item["levering"] for item in other}

    sign_in(page, stack, SUPPLIER)
    expect(page.get_by_role("heading", level=1, name="Aanleveren")).to_be_focused()
    page.get_by_role("link", name="Leveringen", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Leveringen")).to_be_focused()
    table = page.get_by_role("table", name="Uw leveringen, de nieuwste eerst")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(listed))
    shown = [link.get_attribute("href") for link in table.locator("tbody th a").all()]
    assert shown == [f"#/levering/{item}" for item in listed]  # newest first, as the API answers
    expect(rows.first.locator("th")).to_have_text("via-de-cli.csv")
    # The next run's delivery marked in words, and only that one.
    expect(table.get_by_text("Gebruikt in de volgende matching")).to_have_count(1)
    expect(rows.first.locator("td").last).to_have_text("Gebruikt in de volgende matching")
    expect(rows.first).to_contain_text("Geaccepteerd, met afgekeurde regels")
    for item in other:
        expect(table.get_by_text(item["bestand"], exact=True)).to_have_count(0)
        expect(table.locator(f'a[href="#/levering/{item["levering"]}"]')).to_have_count(0)

    rows.first.get_by_role("link", name="via-de-cli.csv").click()
    heading = page.get_by_role("heading", level=1, name="Levering via-de-cli.csv")
    expect(heading).to_be_focused()
    assert page.url.endswith(f"#/levering/{levering}")
    report = stack.api(token, f"/api/uploads/{levering}")
    details = page.locator("#levering-inhoud")
    expect(details.locator("dt", has_text="Status").locator("xpath=following-sibling::dd[1]")).to_have_text(
        "Geaccepteerd, met afgekeurde regels"
    )
    expect(details.get_by_role("table", name=re.compile("^Afgekeurde regels")).locator("tbody tr")).to_have_count(
        len(report["errors"]) + len(report["warnings"])
    )
    page.get_by_role("link", name="Terug naar de leveringen").click()
    expect(page.get_by_role("heading", level=1, name="Leveringen")).to_be_focused()
    expect(rows).to_have_count(len(listed))


def test_a_supplier_sees_its_customer_approached_by_a_gemeente_in_its_feedback(page: Page, stack: Stack):
    coordinator = stack.login(COORDINATOR)
    supplier = stack.login(SUPPLIER)
    today = date.today().isoformat()
    cases = stack.api(coordinator, "/api/cases?leverancier=vivare&status=Nog%20niet%20opgepakt&page_size=200")
    case = cases["cases"][0]
    klantnummer = next(
        s["klantnummer"]
        for s in stack.api(coordinator, f"/api/cases/{case['id']}")["signalen"]
        if s["leverancier"] == LEVERANCIER
    )
    approached = stack.api(coordinator, "/api/cases/approach", {"case_ids": [case["id"]]})
    # The notify function (the local runtime runs it off the notify queue) writes the outbox.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        entries = stack.api(supplier, f"/api/outbox?since={today}")["entries"]
        if any(e["klantnummer"] == klantnummer and e["soort"] == "benaderd" for e in entries):
            break
        time.sleep(1)
    else:
        pytest.fail("the approach never reached the supplier's outbox")

    sign_in(page, stack, SUPPLIER)
    expect(page.get_by_role("heading", level=1, name="Aanleveren")).to_be_focused()
    page.get_by_role("link", name="Terugkoppeling").click()
    expect(page.get_by_role("heading", level=1, name="Terugkoppeling")).to_be_focused()
    since = page.get_by_label("Berichten vanaf").input_value()
    everything = stack.api(supplier, f"/api/outbox?since={since}")
    assert not everything["truncated"]
    expect(page.locator("#terugkoppeling-samenvatting")).to_contain_text(f"{len(everything['entries'])} berichten")
    table = page.get_by_role("table", name=re.compile("^Berichten sinds"))
    ours = table.locator("tbody tr", has=page.locator("th", has_text=re.compile(f"^{re.escape(klantnummer)}$")))
    expect(ours.first).to_contain_text("Benaderd")
    pause = date.fromisoformat(approached["pause_until"])
    expect(ours.first).to_contain_text(f"{pause.day} {MAANDEN[pause.month - 1]} {pause.year}")
    # Newest first: the dates down the table never go up.
    shown = [e["datum"] for e in sorted(everything["entries"], key=lambda e: (e["tijdstip"], e["id"]), reverse=True)]
    assert shown[0] == today
    expect(table.locator("tbody tr")).to_have_count(min(50, len(shown)))
    page.screenshot(path=str(SCREENSHOTS / "supplier-feedback.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download als CSV").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert len(rows) == len(everything["entries"])
    assert list(rows[0]) == ["id", "klantnummer", "gemeente", "soort", "datum", "tijdstip", "pauze_tot", "resultaat"]
    assert {"klantnummer": klantnummer, "soort": "benaderd", "pauze_tot": approached["pause_until"]}.items() <= next(
        row for row in rows if row["klantnummer"] == klantnummer and row["soort"] == "benaderd"
    ).items()
    assert [row["id"] for row in rows] == [
        e["id"] for e in sorted(everything["entries"], key=lambda e: (e["tijdstip"], e["id"]), reverse=True)
    ]


def test_every_supplier_and_operator_screen_meets_wcag_2_1_a_and_aa(
    browser: Browser, stack: Stack, watch: Watch, tmp_path: Path
):
    watch.allowed.append(NOT_PROCESSED)
    # axe is injected as a script, which the page's CSP rightly refuses: this context alone bypasses it.
    context = browser.new_context(locale="nl-NL", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", watch.console)
    page.on("pageerror", watch.page_error)
    screens: dict[str, list] = {}
    try:
        sign_in(page, stack, SUPPLIER)
        expect(page.get_by_role("heading", level=1, name="Aanleveren")).to_be_focused()
        screens["aanleveren"] = axe(page)
        page.set_input_files("#bestand", str(delivery(tmp_path / "toegankelijk.csv", rows=60)))
        page.get_by_role("button", name="Verzenden").click()
        report = page.get_by_role("table", name=re.compile("^Afgekeurde regels"))
        expect(report).to_be_visible(timeout=REPORT_WAIT_MS)
        screens["aanleveren met rapport"] = axe(page)
        page.get_by_label("Toon meldingen met code").select_option("bedrag_invalid")
        page.get_by_role("button", name="Filteren").click()
        expect(report.locator("tbody tr")).to_have_count(2)
        screens["rapport gefilterd"] = axe(page)
        page.get_by_role("link", name="Deze levering bij uw leveringen").click()
        expect(page.get_by_role("heading", level=1, name="Levering toegankelijk.csv")).to_be_focused()
        screens["levering"] = axe(page)
        page.get_by_role("link", name="Leveringen", exact=True).click()
        expect(page.locator("#leveringen-inhoud")).not_to_contain_text("worden geladen")
        screens["leveringen"] = axe(page)
        page.get_by_role("link", name="Terugkoppeling").click()
        expect(page.locator("#terugkoppeling tbody tr")).not_to_have_count(0)
        screens["terugkoppeling"] = axe(page)
        page.evaluate("() => { location.hash = '#/signalen'; }")
        expect(page.get_by_role("heading", level=1, name="Geen toegang")).to_be_focused()
        screens["geen toegang"] = axe(page)
        page.get_by_role("button", name="Afmelden").click()
        sign_in(page, stack, OPERATOR)
        expect(page.get_by_role("heading", level=1, name="Beheer")).to_be_focused()
        expect(page.get_by_role("table", name="Matchingsrondes, de nieuwste eerst")).to_be_visible()
        screens["beheer"] = axe(page)
    finally:
        context.close()
    assert violations(screens) == {}
    assert watch.problems == []
