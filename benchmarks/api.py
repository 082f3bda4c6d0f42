"""API benchmark (quality.md): a gemeente with N cases on the local stack, read over HTTP.

    python benchmarks/api.py [--cases 5000] [--requests 50] [--warmup 5] [--imports 5] [--export-requests 20]

Seeds one gemeente with N synthetic cases (deterministic: several wijken, suppliers, amounts,
some crisis and herhaald) and their contacts straight into the case store, the registry with
that gemeente and its suppliers into the registry table, publishes the run in the run registry
and serves the API with `infra.local.api.LocalApi`. Then, as the gemeente's coordinator (a real
token from the local user pool), it times over HTTP: the first page of `GET /api/cases` without
a filter and under each filter (with its counts), `GET /api/cases/{id}`,
`GET /api/cases/{id}/contact`, and the full `GET /api/export.csv` (no filters: every case, its
rows checked against the seeded case ids).

In the same run it measures its baselines: `GET /api/health` (the local server and HTTP alone),
the read path's parts in process (the cases object's S3 GET, parsing it, the LATEST lookup, one
case's contacts from the store), and the import floor: the API handler module in a fresh interpreter
against boto3, chalice, pydantic, PyJWT and Powertools' logger alone, each the median of `--imports` runs, alternated.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GEMEENTE = "GM0202"
GEMEENTE_NAAM = "Arnhem"
RUN_ID = "2026-11-01-bench"
AS_OF = date(2026, 11, 1)
PEILDATUM = date(2026, 10, 28)

TARGET_P95_MS = 150.0
TARGET_EXPORT_P95_MS = 2000.0
TARGET_IMPORT_RATIO = 1.5

# (code, naam, buurten, weight): wijken of different sizes.
WIJKEN = [
    ("WK020201", "Centrum", ["Binnenstad", "Sonsbeek-Noord", "Markt"], 8),
    ("WK020202", "Klarendal", ["Klarendal", "Sint Marten", "Sonsbeekkwartier"], 14),
    ("WK020203", "Presikhaaf", ["Presikhaaf-Oost", "Presikhaaf-West", "Presikhaaf Noord"], 18),
    ("WK020204", "Malburgen", ["Malburgen-Oost", "Malburgen-West", "Immerloo"], 16),
    ("WK020205", "Geitenkamp", ["Geitenkamp", "Monnikenhuizen"], 9),
    ("WK020206", "Schuytgraaf", ["Schuytgraaf-Noord", "Schuytgraaf-Zuid"], 10),
    ("WK020207", "Elderveld", ["Elderveld", "De Laar", "Kronenburg"], 12),
    ("WK020208", "Rijkerswoerd", ["Rijkerswoerd", "Vredenburg"], 7),
    ("WK020209", "Alteveer", ["Alteveer", "Cranevelt", "Heijenoord"], 6),
]

# (id, naam, signaaltype, share of cases it appears in, typical arrears in euros)
SUPPLIERS = [
    ("vivare", "Vivare", "Huur", 0.45, 1400),
    ("volkshuisvesting", "Volkshuisvesting Arnhem", "Huur", 0.30, 1200),
    ("portaal", "Portaal", "Huur", 0.12, 1300),
    ("vitens", "Vitens", "Water", 0.40, 140),
    ("eneco", "Eneco", "Energie", 0.30, 650),
    ("vattenfall", "Vattenfall", "Energie", 0.22, 700),
    ("essent", "Essent", "Energie", 0.15, 600),
    ("cz", "CZ", "Zorg", 0.25, 420),
    ("menzis", "Menzis", "Zorg", 0.20, 400),
]

STATUSES = [
    ("Nog niet opgepakt", 70),
    ("Opgepakt", 18),
    ("Inwoner al bekend bij schuldhulpverlening", 6),
    ("Niet opgepakt: andere reden", 3),
    ("Niet opgepakt: herhaalde melding", 3),
]

_ACHTERNAMEN = [
    "Jansen",
    "Vries",
    "Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Boer",
    "Mulder",
    "Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Leeuwen",
    "Dekker",
    "Brouwer",
    "Wit",
    "Dijkstra",
    "Yilmaz",
    "El Amrani",
    "Kaya",
    "Nguyen",
    "Schouten",
    "Willems",
    "Hoekstra",
    "Koster",
    "Prins",
]
_TUSSENVOEGSELS = [None, None, None, "van", "de", "van der", "van den"]
_STRATEN = [
    "Dorpsstraat",
    "Kerkstraat",
    "Schoolstraat",
    "Molenweg",
    "Stationsweg",
    "Julianastraat",
    "Beatrixlaan",
    "Sonsbeekweg",
    "Hertogstraat",
    "Oranjesingel",
    "Kastanjelaan",
    "Prins Hendrikstraat",
]

FILTERS: list[tuple[str, dict[str, str]]] = [
    ("none", {}),
    ("wijk", {"wijk": "WK020203"}),
    ("leverancier", {"leverancier": "vitens"}),
    ("signaaltype", {"signaaltype": "Energie"}),
    ("min_bedrag", {"min_bedrag": "2000"}),
    ("max_bedrag", {"max_bedrag": "800"}),
    ("herhaald", {"herhaald": "true"}),
    ("crisis", {"crisis": "true"}),
    ("status", {"status": "Opgepakt"}),
]

APP_IMPORT = (
    "import time,sys,json; t=time.perf_counter(); sys.path.insert(0,'functions/api'); import app; "
    "s=time.perf_counter()-t; print(json.dumps({'s': s, 'pyarrow': 'pyarrow' in sys.modules}))"
)
FLOOR_IMPORT = (
    "import time,sys,json; t=time.perf_counter(); "
    "import boto3, chalice, pydantic, jwt; from aws_lambda_powertools import Logger; "
    "s=time.perf_counter()-t; print(json.dumps({'s': s, 'pyarrow': 'pyarrow' in sys.modules}))"
)


# ---------------------------------------------------------------------------- data


def registry_toml() -> str:
    lines = ["[[gemeente]]", f'code = "{GEMEENTE}"', f'naam = "{GEMEENTE_NAAM}"', "min_leveranciers = 2", ""]
    for ident, naam, signaaltype, _, _ in SUPPLIERS:
        lines += ["[[leverancier]]", f'id = "{ident}"', f'naam = "{naam}"', f'signaaltype = "{signaaltype}"', ""]
    for ident, *_ in SUPPLIERS:
        lines += ["[[convenant]]", f'gemeente = "{GEMEENTE}"', f'leverancier = "{ident}"', 'vanaf = "2025-01-01"', ""]
    return "\n".join(lines)


def _cents(rng: random.Random, typical: int) -> int:
    # Log-normal around the typical amount, at least € 25.
    return max(2500, int(rng.lognormvariate(math.log(typical * 100), 0.7)))


def generate_cases(n: int, seed: int = 20261101) -> tuple[list[Any], dict[str, list[Any]]]:
    """N cases of GEMEENTE in rank order, and their contacts (1–3 people per case)."""
    from chalicelib.domain.cases import Adres, Case, CaseSignal, Gebied, Person, case_id, euro

    rng = random.Random(seed)
    wijk_weights = [w[3] for w in WIJKEN]
    status_names, status_weights = zip(*STATUSES, strict=False)
    drafts = []
    for i in range(n):
        huishouden = hashlib.sha256(f"huishouden-{seed}-{i}".encode()).hexdigest()[:32]
        wijk_code, wijk_naam, buurten, _ = rng.choices(WIJKEN, wijk_weights)[0]
        b = rng.randrange(len(buurten))
        buurt = Gebied(code=f"BU{wijk_code[2:]}{b + 1:02d}", naam=buurten[b])
        # At least two suppliers (the rule's minimum), more for some households.
        chosen = [s for s in SUPPLIERS if rng.random() < s[3]]
        while len(chosen) < 2:
            extra = rng.choices(SUPPLIERS, [s[3] for s in SUPPLIERS])[0]
            if extra not in chosen:
                chosen.append(extra)
        chosen.sort(key=lambda s: s[0])
        crisis_household = rng.random() < 0.04
        signalen = []
        for ident, naam, signaaltype, _, typical in chosen:
            since = PEILDATUM - timedelta(days=rng.randint(20, 100))
            signalen.append(
                CaseSignal(
                    leverancier=ident,
                    leverancier_naam=naam,
                    klantnummer=f"{ident[:3].upper()}{rng.randrange(10**8):08d}",
                    signaaltype=signaaltype,
                    bedrag=euro(_cents(rng, typical)),
                    achterstand_sinds=since,
                    peildatum=PEILDATUM,
                    crisis=crisis_household and rng.random() < 0.7,
                )
            )
        totaal = sum((s.bedrag for s in signalen), Decimal("0"))
        drafts.append(
            {
                "id": case_id(RUN_ID, GEMEENTE, huishouden),
                "wijk": Gebied(code=wijk_code, naam=wijk_naam),
                "buurt": buurt,
                "adres": Adres(
                    postcode=f"68{rng.randint(11, 46)}{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}"
                    f"{rng.choice('ABCDEGHJKLMNPRSTVWXZ')}",
                    huisnummer=rng.randint(1, 250),
                    huisletter=rng.choice(["", "", "", "", "A", "B"]),
                    toevoeging=rng.choice(["", "", "", "", "", "1", "2", "bis"]),
                ),
                "signalen": signalen,
                "aantal_leveranciers": len(signalen),
                "totaal_bedrag": totaal,
                "oudste_achterstand": min(s.achterstand_sinds for s in signalen),
                "herhaald": rng.random() < 0.22,
                "crisis": any(s.crisis for s in signalen),
                "status": rng.choices(status_names, status_weights)[0],
                "team": rng.choice(["noord", "zuid", None]),
            }
        )
    # Rank as matching does: crisis first, then more suppliers, then more arrears.
    drafts.sort(key=lambda d: (not d["crisis"], -d["aantal_leveranciers"], -d["totaal_bedrag"], d["id"]))
    cases, contacts = [], {}
    for rank, draft in enumerate(drafts, start=1):
        case = Case(run=RUN_ID, as_of=AS_OF, gemeente=GEMEENTE, rank=rank, **draft)
        cases.append(case)
        people = []
        for signal in case.signalen[: rng.randint(1, 3)]:
            achternaam = rng.choice(_ACHTERNAMEN)
            people.append(
                Person(
                    leverancier=signal.leverancier,
                    voorletters=rng.choice("ABCDEHJKLMNPRSTW") + ".",
                    tussenvoegsel=rng.choice(_TUSSENVOEGSELS),
                    achternaam=achternaam,
                    geboortedatum=date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 62)),
                    straat=f"{rng.choice(_STRATEN)} {case.adres.huisnummer}",
                    woonplaats=GEMEENTE_NAAM,
                    telefoon=f"06{rng.randrange(10**8):08d}" if rng.random() < 0.8 else None,
                    email=f"{achternaam.lower().replace(' ', '')}{rng.randrange(1000)}@example.invalid"
                    if rng.random() < 0.6
                    else None,
                )
            )
        contacts[case.id] = people
    return cases, contacts


# ---------------------------------------------------------------------------- measuring


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(samples_ms: list[float]) -> dict[str, Any]:
    return {
        "n": len(samples_ms),
        "p50_ms": round(percentile(samples_ms, 50), 1),
        "p95_ms": round(percentile(samples_ms, 95), 1),
        "max_ms": round(max(samples_ms), 1),
    }


def fetch(url: str, token: str | None) -> tuple[int, bytes, float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    return status, body, (time.perf_counter() - start) * 1000


def time_route(urls: list[str], token: str | None, requests: int, warmup: int) -> tuple[list[float], bytes]:
    """`warmup` then `requests` timed GETs, cycling through `urls`; raises on a non-200."""
    samples, last = [], b""
    for i in range(warmup + requests):
        url = urls[i % len(urls)]
        status, body, ms = fetch(url, token)
        if status != 200:
            raise RuntimeError(f"GET {url} answered {status}: {body[:300]!r}")
        if i >= warmup:
            samples.append(ms)
        last = body
    return samples, last


def measure_imports(env: dict[str, str], runs: int) -> dict[str, Any]:
    """The app's and the floor's import in fresh interpreters, alternated, one unmeasured
    warm-up of each first (page cache); medians of `runs`."""

    def once(code: str) -> dict[str, Any]:
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"import failed: {result.stderr[-2000:]}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    once(APP_IMPORT), once(FLOOR_IMPORT)
    app, floor = [], []
    for _ in range(runs):
        floor.append(once(FLOOR_IMPORT))
        app.append(once(APP_IMPORT))
    app_ms = statistics.median(r["s"] for r in app) * 1000
    floor_ms = statistics.median(r["s"] for r in floor) * 1000
    return {
        "import_ms": round(app_ms, 1),
        "floor_import_ms": round(floor_ms, 1),
        "import_ratio": round(app_ms / floor_ms, 2),
        "imports_pyarrow": any(r["pyarrow"] for r in app),
        "import_samples_ms": [round(r["s"] * 1000, 1) for r in app],
        "floor_samples_ms": [round(r["s"] * 1000, 1) for r in floor],
    }


def read_path_parts(stack: Any, store: Any, runs: Any, case_ids: list[str], repeat: int = 5) -> dict[str, float]:
    """Where a request's time goes, in process: LATEST lookup, cases object GET, parse; one
    case's contacts from the store (its index cached, as in a warm Lambda)."""
    from chalicelib.adapters.aws.cases import _GemeenteCases, cases_key, contacts_key

    s3 = stack.client("s3")
    bucket = stack.ref("VaultBucket")
    latest, get, parse, dump = [], [], [], []
    for _ in range(repeat):
        t = time.perf_counter()
        runs.latest()
        latest.append(time.perf_counter() - t)
        t = time.perf_counter()
        body = s3.get_object(Bucket=bucket, Key=cases_key(RUN_ID, GEMEENTE))["Body"].read()
        get.append(time.perf_counter() - t)
        t = time.perf_counter()
        document = _GemeenteCases.model_validate_json(body)
        parse.append(time.perf_counter() - t)
        t = time.perf_counter()
        document.model_dump(mode="json")
        dump.append(time.perf_counter() - t)
    contact = []
    store.contacts(RUN_ID, GEMEENTE, case_ids[0])
    for case_id in case_ids[: max(repeat, 10)]:
        t = time.perf_counter()
        store.contacts(RUN_ID, GEMEENTE, case_id)
        contact.append(time.perf_counter() - t)
    contacts_head = s3.head_object(Bucket=bucket, Key=contacts_key(RUN_ID, GEMEENTE))
    return {
        "latest_run_ms": round(statistics.median(latest) * 1000, 1),
        "cases_object_get_ms": round(statistics.median(get) * 1000, 1),
        "cases_object_bytes": len(body),
        "cases_parse_ms": round(statistics.median(parse) * 1000, 1),
        "cases_dump_all_ms": round(statistics.median(dump) * 1000, 1),
        "contacts_object_bytes": contacts_head["ContentLength"],
        "contact_store_ms": round(statistics.median(contact) * 1000, 1),
    }


def export_rows(body: bytes) -> list[list[str]]:
    """The export's data rows (the header checked and dropped)."""
    from chalicelib.services.overview import EXPORT_COLUMNS

    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    if not rows or tuple(rows[0]) != EXPORT_COLUMNS:
        raise RuntimeError(f"the export's header is {rows[:1]}, not {list(EXPORT_COLUMNS)}")
    return rows[1:]


# ---------------------------------------------------------------------------- main


def run(n_cases: int, requests: int, warmup: int, import_runs: int, export_requests: int) -> dict[str, Any]:
    import boto3

    from chalicelib.adapters.aws.cases import S3CaseStore
    from chalicelib.adapters.aws.registry import import_registry
    from chalicelib.adapters.aws.runs import DynamoRunRegistry
    from infra.local.api import LocalApi
    from infra.local.stack import FAKE_CREDENTIALS, LocalStack
    from infra.local.users import create_demo_users, sign_in

    result: dict[str, Any] = {"benchmark": "api", "cases": n_cases, "requests": requests, "warmup": warmup}
    t0 = time.perf_counter()
    cases, contacts = generate_cases(n_cases)
    result["generate_s"] = round(time.perf_counter() - t0, 2)

    with LocalStack() as stack:
        dynamodb = boto3.session.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=stack.region,
        ).resource("dynamodb", endpoint_url=stack.endpoint_url)
        t0 = time.perf_counter()
        registry = import_registry(registry_toml(), dynamodb.Table(stack.ref("RegistryTable")))
        store = S3CaseStore(stack.client("s3"), stack.client("kms"), stack.ref("VaultBucket"), stack.ref("DataKey"))
        store.write(RUN_ID, GEMEENTE, cases, contacts)
        runs = DynamoRunRegistry(dynamodb.Table(stack.ref("CasesTable")))
        runs.begin(RUN_ID, AS_OF)
        runs.publish(RUN_ID, {GEMEENTE: len(cases)})
        create_demo_users(stack, registry)
        token = sign_in(stack, f"coordinator-{GEMEENTE.lower()}")
        result["seed_s"] = round(time.perf_counter() - t0, 2)

        api = LocalApi(stack, port=0).start()
        try:
            base = api.url
            routes: dict[str, Any] = {}
            samples, _ = time_route([f"{base}/api/health"], None, requests, warmup)
            routes["health"] = summary(samples)

            list_samples: list[float] = []
            for name, params in FILTERS:
                query = urllib.parse.urlencode(params)
                url = f"{base}/api/cases" + (f"?{query}" if query else "")
                samples, body = time_route([url], token, requests, warmup)
                page = json.loads(body)
                if name == "none" and page.get("visible", n_cases) != n_cases:
                    raise RuntimeError(f"the coordinator sees {page['visible']} cases, not {n_cases}")
                if "facets" not in page:
                    raise RuntimeError("the list answered without counts (facets)")
                routes[f"list[{name}]"] = summary(samples) | {
                    "total": page.get("total"),
                    "page_cases": len(page.get("cases", [])),
                }
                list_samples += samples
            routes["list"] = summary(list_samples)

            step = max(1, n_cases // (warmup + requests))
            ids = [case.id for case in cases[::step]]
            samples, _ = time_route([f"{base}/api/cases/{i}" for i in ids], token, requests, warmup)
            routes["detail"] = summary(samples)
            samples, body = time_route([f"{base}/api/cases/{i}/contact" for i in ids], token, requests, warmup)
            if not json.loads(body).get("personen"):
                raise RuntimeError("contact returned nobody")
            routes["contact"] = summary(samples)

            samples, body = time_route([f"{base}/api/export.csv"], token, export_requests, min(warmup, 2))
            rows = export_rows(body)
            if sorted(row[0] for row in rows) != sorted(case.id for case in cases):
                raise RuntimeError(f"the export has {len(rows)} rows, not the {n_cases} seeded cases")
            routes["export"] = summary(samples) | {"bytes": len(body), "rows": len(rows)}
            result["routes"] = routes
            result["read_path"] = read_path_parts(stack, store, runs, ids)
            result |= measure_imports({**os.environ, **stack.env("ApiFunction")}, import_runs)
        finally:
            api.stop()

    # The targets, judged here so the JSON says what missed.
    misses = []
    for name in ["list", *[f"list[{f}]" for f, _ in FILTERS], "detail", "contact"]:
        if routes[name]["p95_ms"] > TARGET_P95_MS:
            misses.append(f"{name} p95 {routes[name]['p95_ms']} ms > {TARGET_P95_MS:.0f} ms")
    if routes["export"]["p95_ms"] > TARGET_EXPORT_P95_MS:
        misses.append(f"export p95 {routes['export']['p95_ms']} ms > {TARGET_EXPORT_P95_MS:.0f} ms")
    if result["import_ratio"] > TARGET_IMPORT_RATIO:
        misses.append(f"import_ratio {result['import_ratio']} > {TARGET_IMPORT_RATIO}")
    if result["imports_pyarrow"]:
        misses.append("the API imports pyarrow")
    result["targets"] = {
        "p95_ms": TARGET_P95_MS,
        "export_p95_ms": TARGET_EXPORT_P95_MS,
        "import_ratio": TARGET_IMPORT_RATIO,
        "imports_pyarrow": False,
    }
    result["misses"] = misses
    result["ok"] = not misses
    # Convenience top-level figures per route.
    for name in ("list", "detail", "contact", "export"):
        result[f"{name}_p50_ms"], result[f"{name}_p95_ms"] = routes[name]["p50_ms"], routes[name]["p95_ms"]
    result["export_rows"] = routes["export"]["rows"]
    return result


def print_summary(result: dict[str, Any]) -> None:
    print(
        f"API benchmark: {result['cases']} cases in one gemeente, {result['requests']} requests per route "
        f"after {result['warmup']} warm-ups (generated in {result['generate_s']} s, seeded in {result['seed_s']} s)"
    )
    print(f"{'route':<24}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}  notes")
    for name, figures in result["routes"].items():
        notes = ", ".join(f"{k}={v}" for k, v in figures.items() if k not in ("n", "p50_ms", "p95_ms", "max_ms"))
        print(f"{name:<24}{figures['p50_ms']:>10}{figures['p95_ms']:>10}{figures['max_ms']:>10}  {notes}")
    parts = result["read_path"]
    print(
        f"read path in process: LATEST {parts['latest_run_ms']} ms, cases object GET {parts['cases_object_get_ms']} ms "
        f"({parts['cases_object_bytes']:,} bytes), parse {parts['cases_parse_ms']} ms, "
        f"dump all {parts['cases_dump_all_ms']} ms; one case's contacts {parts['contact_store_ms']} ms "
        f"(contacts object {parts['contacts_object_bytes']:,} bytes, index cached)"
    )
    print(
        f"import: app {result['import_ms']} ms, floor {result['floor_import_ms']} ms, "
        f"ratio {result['import_ratio']} (target ≤ {TARGET_IMPORT_RATIO}); "
        f"pyarrow imported: {result['imports_pyarrow']}"
    )
    print("targets met" if result["ok"] else "targets missed:\n  " + "\n  ".join(result["misses"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--cases", type=int, default=5000, help="cases in the gemeente (default 5000)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per route (default 50)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per route first (default 5)")
    parser.add_argument("--imports", type=int, default=5, help="fresh-interpreter imports of each (default 5)")
    parser.add_argument("--export-requests", type=int, default=20, help="timed full exports (default 20)")
    args = parser.parse_args()
    result = run(args.cases, args.requests, args.warmup, args.imports, args.export_requests)
    print_summary(result)
    sys.stdout.flush()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
