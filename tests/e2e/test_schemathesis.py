"""schemathesis against the running local stack (quality.md): every operation of the server's own
`/api/openapi.json`, as a coordinator, a wijkteam member, a supplier, an operator and without a
token, answers without a 5xx and only as its document says (status, content type, headers, body),
rejects what the document forbids and accepts what it allows.

Generation is seeded and derandomized, so a run is reproducible. Positive cases get ids that
exist on the stack for most path ids and case lists, so the calls reach found cases and
deliveries, not only 404s; and each caller must reach a 2xx on every operation its role may call
and none on any other, so a stack that refused everything could not pass.
"""

from __future__ import annotations

import time
import zlib
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks as openapi_checks

from chalicelib.domain.ddas import MAX_PERIOD_DAYS

STATIC = Path(__file__).resolve().parents[2] / "functions" / "api" / "static"
SEED = 20260101
MAX_EXAMPLES = 40  # per operation and caller, in the fuzzing phase; the coverage phase adds its own
CALLERS = {  # caller: (demo user, role)
    "coordinator": ("coordinator-gm0202", "coordinator"),
    "wijkteam": ("wijkteam-gm0202-noord", "wijkteam"),
    "leverancier": ("leverancier-vivare", "leverancier"),
    "operator": ("operator", "operator"),
    "anonymous": (None, None),
}
CHECKS = [
    not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.positive_data_acceptance,
    openapi_checks.missing_required_header,
    openapi_checks.unsupported_method,
    openapi_checks.allow_header_conformance,
    openapi_checks.ignored_auth,
]
# No names or contact data; the second row's date does not exist, so the report carries an error.
DELIVERY = (
    b"Klantnummer;Postcode;Huisnummer;Huisletter;Huisnummertoevoeging;Bedrag;Achterstand_sinds;Peildatum\n"
    b"T000001;6825 DL;12;;;398,69;05-08-2026;05-10-2026\n"
    b"T000002;6828MX;10;;;12,50;31-02-2026;05-10-2026\n"
)
# A fuzzer is refused thousands of times by design, and posts far more contact attempts to the
# same few cases than anyone would: the limits it would hit (429, 409) are tested on their own
# (tests/e2e/test_local_api.py, tests/functional/test_audit_flood.py, test_case_item_size.py).
STACK_ENVIRONMENT = {"VINDPLAATS_REFUSAL_LIMIT_COUNT": "10000", "VINDPLAATS_MAX_CONTACTPOGINGEN": "1000"}
# caller -> operation label -> statuses it answered
REACHED: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))


class Known:
    """Ids that exist on the stack: cases of GM0202 (half of them given to team noord, as a
    coordinator does), one delivery of vivare made through the presigned upload, the page's files."""

    def __init__(self, base: str, tokens: dict[str, str | None]) -> None:
        coordinator = {"Authorization": f"Bearer {tokens['coordinator']}"}
        listed = requests.get(f"{base}/api/cases", params={"page_size": 8}, headers=coordinator, timeout=30)
        listed.raise_for_status()
        ids = [case["id"] for case in listed.json()["cases"]]
        assert len(ids) == 8, listed.text
        self.team_ids, self.other_ids = ids[::2], ids[1::2]
        for case_id in self.team_ids:
            assigned = requests.post(
                f"{base}/api/cases/{case_id}/assign", json={"team": "noord"}, headers=coordinator, timeout=30
            )
            assigned.raise_for_status()
        self.leveringen = [self._delivery(base, tokens["leverancier"])]
        self.assets = sorted(path.name for suffix in ("css", "js", "svg") for path in STATIC.glob(f"*.{suffix}"))

    @staticmethod
    def _delivery(base: str, token: str | None) -> str:
        supplier = {"Authorization": f"Bearer {token}"}
        ticket = requests.post(
            f"{base}/api/uploads",
            json={"filename": "levering.csv", "size": len(DELIVERY)},
            headers=supplier,
            timeout=30,
        )
        ticket.raise_for_status()
        ticket = ticket.json()
        posted = requests.post(
            ticket["url"], data=ticket["fields"], files={"file": ("levering.csv", DELIVERY, "text/csv")}, timeout=30
        )
        assert posted.status_code < 300, posted.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (
                requests.get(f"{base}/api/uploads/{ticket['levering']}", headers=supplier, timeout=30).status_code
                == 200
            ):
                return ticket["levering"]
            time.sleep(0.5)
        raise AssertionError("the delivery's report did not appear")

    def case_ids(self, caller: str) -> list[str]:
        # The coordinator's generated writes may reassign a case: they get the cases team noord does not hold.
        return self.team_ids if caller == "wijkteam" else self.other_ids


def _pick(known: list[str], generated: str) -> str:
    """A known id in place of most generated ones, chosen by the generated value (so it shrinks)."""
    choice = zlib.crc32(generated.encode()) % (len(known) + 1)
    return known[choice] if choice < len(known) else generated


def _with_known_ids(case, known: Known, caller: str) -> None:
    ids = known.leveringen if case.operation.path.startswith("/api/uploads/") else known.case_ids(caller)
    if "id" in (case.path_parameters or {}):
        case.path_parameters["id"] = _pick(ids, str(case.path_parameters["id"]))
    if "name" in (case.path_parameters or {}):
        case.path_parameters["name"] = _pick(known.assets, str(case.path_parameters["name"]))
    if isinstance(case.body, dict) and isinstance(case.body.get("case_ids"), list):
        case.body["case_ids"] = [_pick(ids, str(case_id)) for case_id in case.body["case_ids"]]


def _within_documented_rules(case) -> None:
    """Order the pairs whose order the document states in words, as JSON Schema cannot compare two
    fields (min_bedrag ≤ max_bedrag; min_dagen ≤ max_dagen; each venster [low, high])."""
    _ordered(case.query, "min_bedrag", "max_bedrag")
    if case.operation.path == "/api/export/ddas":
        _period(case.query)
    if case.operation.path == "/api/settings" and isinstance(case.body, dict):
        _ordered(case.body, "min_dagen", "max_dagen")
        for signaaltype, window in (case.body.get("venster") or {}).items():
            case.body["venster"][signaaltype] = sorted(window)


def _period(query: dict | None) -> None:
    """The DDAS export's van ≤ tot, at most MAX_PERIOD_DAYS days with both included."""
    if not query:
        return
    try:
        van, tot = sorted(date.fromisoformat(query[name]) for name in ("van", "tot"))
    except (KeyError, TypeError, ValueError):
        return  # absent or not a date: the negative cases
    if (tot - van).days + 1 > MAX_PERIOD_DAYS:
        van = tot - timedelta(days=MAX_PERIOD_DAYS - 1)
    query["van"], query["tot"] = van.isoformat(), tot.isoformat()


def _ordered(values: dict | None, low: str, high: str) -> None:
    if values and low in values and high in values and Decimal(str(values[low])) > Decimal(str(values[high])):
        values[low], values[high] = values[high], values[low]


@pytest.fixture(scope="module")
def tokens(running) -> dict[str, str | None]:
    _, login = running
    return {caller: login(username) if username else None for caller, (username, _) in CALLERS.items()}


@pytest.fixture(scope="module")
def known(running, tokens) -> Known:
    return Known(running[0], tokens)


@pytest.fixture(scope="module", params=list(CALLERS))
def caller(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def api_schema(running, known, caller):
    base, _ = running
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": base,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "with-security-parameters": False,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json", config=config, timeout=30)

    @schema.hook
    def map_case(context, case):
        if case.meta is not None and case.meta.generation.mode == schemathesis.GenerationMode.POSITIVE:
            _with_known_ids(case, known, caller)
            _within_documented_rules(case)
        return case

    yield schema
    _assert_reached_only_its_own_operations(caller, schema.raw_schema["paths"])


def _assert_reached_only_its_own_operations(caller: str, paths: dict) -> None:
    role = CALLERS[caller][1]
    reached = REACHED[caller]
    for path, operations in paths.items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            if label not in reached:
                continue  # deselected, or failed before its first call
            ok = any(200 <= status < 300 for status in reached[label])
            roles = operation.get("x-roles") or []
            if not roles or role in roles:
                assert ok, f"{caller} never got a 2xx from {label}: {sorted(reached[label])}"
            else:
                assert not ok, f"{caller} got a 2xx from {label}, which is for {roles} only"


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis 4.32 renames the running node through `_nodeid`, which pytest 9.2 no longer has.
    request.node._nodeid = request.node.nodeid


@settings(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@schema.parametrize()
def test_every_operation_answers_as_documented(case, caller, tokens):
    token = tokens[caller]
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"} if token else None, checks=CHECKS, timeout=30
    )
    if case.method.upper() == case.operation.method.upper():  # not the coverage phase's other methods
        REACHED[caller][case.operation.label].add(response.status_code)
