"""Tenant isolation as properties, and api.md's role matrix for every route of the app.

Hypothesis draws a world (gemeenten with random CBS codes, teams, suppliers, published runs,
cases with klantnummers and contact data, delivery reports, a quarantined upload, outbox entries),
stores it through the real adapters on moto (S3CaseStore with KMS, DynamoRunRegistry,
DynamoCaseStates, S3SupplierOutbox, S3Reports, S3Uploads, DynamoGemeenten), and then sends
requests on every route as random users of random tenants with real RS256 ID tokens, using ids of
their own and of other tenants.
Every recognisable string of the world (case id, klantnummer, pseudonym, levering id, gemeente
and wijk code, name, phone, e-mail, street) is unique, so a leak shows up by scanning a response.
A model of the world (`World.expected`) says what each request must answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import boto3
import pytest
from chalice.test import Client
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from moto import mock_aws

from chalicelib.adapters.aws.case_states import DynamoCaseStates
from chalicelib.adapters.aws.cases import S3CaseStore
from chalicelib.adapters.aws.jwks import TokenVerifier
from chalicelib.adapters.aws.outbox import DAILY, S3SupplierOutbox
from chalicelib.adapters.aws.presign import S3Presigner
from chalicelib.adapters.aws.registry import DynamoGemeenten, DynamoRegistrySource, registry_to_items
from chalicelib.adapters.aws.reports import S3Reports, report_key
from chalicelib.adapters.aws.runs import DynamoRunRegistry
from chalicelib.adapters.aws.uploads import S3Uploads
from chalicelib.domain.audit import AuditEvent, Outcome
from chalicelib.domain.cases import Case, Person, case_id
from chalicelib.domain.casework import EINDRESULTATEN, event_id, messages
from chalicelib.domain.registry import Gemeente, Leverancier, Registry
from chalicelib.domain.report import Counts, Report, Status, finding
from chalicelib.domain.upload import UploadKey
from tests.fakes import MemoryAuditLog, api_client, chalice_api, id_token, new_signing_key, pk_sk_table

NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
REGION = "eu-west-1"
ISSUER, AUDIENCE, KID = "https://issuer", "client", "tenancy"
MISSING_CASE = "0123456789abcdef"  # a well-formed id no world has
MISSING_RUN = "20200101-20200101T060000-999999"
MISSING_LEVERING = "lv9999-nergens"

COORDINATOR, WIJKTEAM, LEVERANCIER, OPERATOR = "coordinator", "wijkteam", "leverancier", "operator"
ROLES = (COORDINATOR, WIJKTEAM, LEVERANCIER, OPERATOR)
ANYONE = None
GEMEENTE_ROLES = frozenset({COORDINATOR, WIJKTEAM})
SIGNED_IN = frozenset(ROLES)

# api.md's table: who may call each route of the app. A route the app gains must be added here
# (and to calls() and fixed_call() below), or the matrix and the properties fail.
MATRIX: dict[tuple[str, str], frozenset[str] | None] = {
    ("GET", "/api/health"): ANYONE,
    ("GET", "/api/openapi.json"): ANYONE,
    ("GET", "/"): ANYONE,
    ("GET", "/config.json"): ANYONE,
    ("GET", "/static/{name}"): ANYONE,
    ("GET", "/api/me"): SIGNED_IN,
    ("GET", "/api/runs"): GEMEENTE_ROLES,
    ("GET", "/api/cases"): GEMEENTE_ROLES,
    ("GET", "/api/cases/{id}"): GEMEENTE_ROLES,
    ("GET", "/api/cases/{id}/contact"): GEMEENTE_ROLES,
    ("POST", "/api/cases/{id}/assign"): frozenset({COORDINATOR}),
    ("POST", "/api/cases/approach"): frozenset({COORDINATOR}),
    ("POST", "/api/cases/{id}/contactpogingen"): GEMEENTE_ROLES,
    ("POST", "/api/cases/{id}/resultaat"): GEMEENTE_ROLES,
    ("GET", "/api/stats"): frozenset({COORDINATOR}),
    ("GET", "/api/export.csv"): frozenset({COORDINATOR}),
    ("GET", "/api/export/ddas"): frozenset({COORDINATOR}),
    ("GET", "/api/settings"): frozenset({COORDINATOR}),
    ("PUT", "/api/settings"): frozenset({COORDINATOR}),
    ("POST", "/api/uploads"): frozenset({LEVERANCIER}),
    ("GET", "/api/uploads"): frozenset({LEVERANCIER}),
    ("GET", "/api/uploads/{id}"): frozenset({LEVERANCIER}),
    ("GET", "/api/outbox"): frozenset({LEVERANCIER}),
    ("GET", "/api/leveringen/ontbrekend"): frozenset({OPERATOR}),
    ("GET", "/api/beheer/runs"): frozenset({OPERATOR}),
    ("GET", "/api/beheer/leveringen"): frozenset({OPERATOR}),
    ("GET", "/api/beheer/quarantaine"): frozenset({OPERATOR}),
    ("GET", "/api/beheer/register"): frozenset({OPERATOR}),
}
WRITES = {
    ("POST", "/api/cases/{id}/assign"),
    ("POST", "/api/cases/approach"),
    ("POST", "/api/cases/{id}/contactpogingen"),
    ("POST", "/api/cases/{id}/resultaat"),
    ("PUT", "/api/settings"),
}
# Every view of a case's data (the list's pages too), every change, and the lists of deliveries,
# runs, quarantine and the registry: one event a request.
AUDITED_WHEN_ALLOWED = {
    ("GET", "/api/uploads"),
    ("GET", "/api/beheer/runs"),
    ("GET", "/api/beheer/leveringen"),
    ("GET", "/api/beheer/quarantaine"),
    ("GET", "/api/beheer/register"),
    ("GET", "/api/cases"),
    ("GET", "/api/cases/{id}"),
    ("GET", "/api/cases/{id}/contact"),
    ("GET", "/api/export.csv"),
    ("GET", "/api/export/ddas"),
    ("PUT", "/api/settings"),
    ("POST", "/api/cases/{id}/assign"),
    ("POST", "/api/cases/approach"),
    ("POST", "/api/cases/{id}/contactpogingen"),
    ("POST", "/api/cases/{id}/resultaat"),
}

# Fixed-width, distinctive names: no world string is a substring of another, nor of the API's
# own words ("levering", the OpenAPI example WK036301).
LEVERANCIERS = {"zqvitens": "Water", "zqeneco": "Energie", "zqwoonbron": "Huur", "zqdunea": "Zorg"}
TEAMS = ("noord", "zuid", "oost")  # shared names across gemeenten: scope is gemeente and team
CONTACTPOGING = {"soort": "Telefoon", "bereikt": False, "datum": "2026-11-02", "dagdeel": "Ochtend"}
RULE = {
    "min_leveranciers": 2,
    "min_dagen": 30,
    "max_dagen": 365,
    "min_bedrag": 10,
    "signaaltypen": ["Water"],
    "venster": {},
}

api = chalice_api()
ASSETS = sorted(p.name for p in (Path(api.__file__).parent / "static").iterdir() if p.suffix in (".css", ".js", ".svg"))


def app_routes() -> list[tuple[str, str]]:
    return sorted((method, path) for path, methods in api.app.routes.items() for method in methods)


# ------------------------------------------------------------------ users and their tokens


@dataclass(frozen=True)
class User:
    role: str
    gemeente: str | None = None
    leverancier: str | None = None
    team: str | None = None

    @property
    def subject(self) -> str:
        return f"sub-{self.role}-{self.gemeente or self.leverancier or 'all'}-{self.team or ''}"

    def claims(self) -> dict[str, object]:
        claims: dict[str, object] = {"sub": self.subject, "cognito:groups": [self.role], "iss": ISSUER, "aud": AUDIENCE}
        for name, value in (
            ("custom:gemeente", self.gemeente),
            ("custom:leverancier", self.leverancier),
            ("custom:team", self.team),
        ):
            if value is not None:
                claims[name] = value
        return claims


@cache
def signing_key():
    return new_signing_key(KID)


@cache
def token(user: User) -> str:
    """A genuine RS256 ID token for the user, as Cognito would sign it (valid for the session)."""
    return id_token(signing_key()[0], KID, exp=int(time.time()) + 6 * 3600, **user.claims())


def verifier() -> TokenVerifier:
    """The app's own verifier against a key set with the signing key: real RS256 verification."""
    return TokenVerifier("https://jwks", ISSUER, AUDIENCE, fetch=lambda url: {"keys": [signing_key()[1]]})


# ------------------------------------------------------------------ the world


@dataclass(frozen=True)
class Plan:
    """What hypothesis draws; `World` stores it on moto."""

    gemeenten: tuple[str, ...]
    teams: dict[str, tuple[str, ...]]
    leveranciers: tuple[str, ...]
    runs: tuple[tuple[str, date], ...]  # oldest first; the last is the latest
    cases: tuple[Case, ...]
    people: dict[str, tuple[Person, ...]]
    pseudonyms: dict[str, str]
    leveringen: tuple[tuple[str, str], ...]  # (leverancier, levering)
    told: tuple[str, ...]  # cases whose suppliers already have a "benaderd" entry


def levering_id(n: int, leverancier: str) -> str:
    """A delivery of November 2026, as new_levering_id spells them (it carries the day received)."""
    return f"202611{n % 28 + 1:02d}T080000{n:06d}-{leverancier}"


def wijk_code(gemeente: str, n: int) -> str:
    return f"WK{gemeente[2:]}{40 + n}"


def make_case(
    run_id: str,
    as_of: date,
    gemeente: str,
    n: int,
    rank: int,
    leveranciers: list[str],
    team: str | None,
    wijk: int,
    herhaald: bool,
) -> tuple[Case, str]:
    pseudonym = hashlib.sha256(f"huishouden-{n}".encode()).hexdigest()
    bedragen = [Decimal(50 + 10 * i) for i in range(len(leveranciers))]
    case = Case.model_validate(
        {
            "id": case_id(run_id, gemeente, pseudonym),
            "run": run_id,
            "as_of": as_of,
            "gemeente": gemeente,
            "wijk": {"code": wijk_code(gemeente, wijk), "naam": ""},
            "buurt": {"code": f"BU{gemeente[2:]}{40 + wijk}01", "naam": ""},
            "adres": {"postcode": "1234AB", "huisnummer": rank, "huisletter": "", "toevoeging": ""},
            "signalen": [
                {
                    "leverancier": leverancier,
                    "leverancier_naam": leverancier.upper(),
                    "klantnummer": f"kn-{leverancier}-{n:05d}",
                    "signaaltype": LEVERANCIERS[leverancier],
                    "bedrag": bedrag,
                    "achterstand_sinds": date(2026, 6, 1),
                    "peildatum": as_of,
                    "crisis": False,
                }
                for leverancier, bedrag in zip(leveranciers, bedragen, strict=True)
            ],
            "aantal_leveranciers": len(leveranciers),
            "totaal_bedrag": sum(bedragen),
            "oudste_achterstand": date(2026, 6, 1),
            "herhaald": herhaald,
            "crisis": False,
            "rank": rank,
            "team": team,
        }
    )
    return case, pseudonym


def person(n: int, leverancier: str) -> Person:
    return Person(
        leverancier=leverancier,
        achternaam=f"Achternaam{n:05d}",
        straat=f"Kerkpad{n:05d}",
        telefoon=f"06{n:08d}",
        email=f"p{n:05d}@voorbeeld.nl",
        geboortedatum=date(1970, 1, 1),
    )


@st.composite
def plans(draw) -> Plan:
    codes = draw(st.lists(st.integers(1, 1999), min_size=2, max_size=3, unique=True))
    gemeenten = tuple(f"GM{code:04d}" for code in codes)
    leveranciers = tuple(draw(st.lists(st.sampled_from(sorted(LEVERANCIERS)), min_size=2, max_size=3, unique=True)))
    teams = {g: tuple(draw(st.lists(st.sampled_from(TEAMS), min_size=1, max_size=2, unique=True))) for g in gemeenten}
    months = sorted(draw(st.lists(st.integers(9, 11), min_size=1, max_size=2, unique=True)))
    runs = tuple((f"2026{m:02d}01-2026{m:02d}01T060000-{i:06d}", date(2026, m, 1)) for i, m in enumerate(months))
    serial = itertools.count(1)
    cases, people, pseudonyms = [], {}, {}
    for run_id, as_of in runs:
        for gemeente in gemeenten:
            for rank in range(1, draw(st.integers(0, 3)) + 1):
                n = next(serial)
                suppliers = draw(st.lists(st.sampled_from(leveranciers), min_size=1, max_size=2, unique=True))
                team = draw(st.none() | st.sampled_from(teams[gemeente]))
                case, pseudonym = make_case(
                    run_id, as_of, gemeente, n, rank, suppliers, team, draw(st.integers(1, 2)), draw(st.booleans())
                )
                cases.append(case)
                pseudonyms[case.id] = pseudonym
                people[case.id] = (person(n, suppliers[0]),)
    leveringen = tuple(
        (lev, levering_id(next(serial), lev)) for lev in leveranciers for _ in range(draw(st.integers(1, 2)))
    )
    told = tuple(case.id for case in cases if draw(st.booleans()))
    return Plan(gemeenten, teams, leveranciers, runs, tuple(cases), people, pseudonyms, leveringen, told)


class Aws:
    """One moto for the module; each world gets its own buckets and tables."""

    def __init__(self) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.kms = boto3.client("kms", region_name=REGION)
        self.dynamodb = boto3.resource("dynamodb", region_name=REGION)
        self.dynamodb_client = boto3.client("dynamodb", region_name=REGION)
        self.key_id = self.kms.create_key()["KeyMetadata"]["KeyId"]
        self.serial = itertools.count(1)

    def bucket(self, name: str) -> str:
        self.s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def table(self, name: str):
        return pk_sk_table(self.dynamodb, name)


@dataclass
class Sent:
    user: User | None
    call: Call
    status: int
    text: str  # body and headers
    events: list[AuditEvent]
    body: str

    def json(self):
        return json.loads(self.body)


class World:
    """A plan stored through the real adapters, the API over it, and a model of what each
    tenant may see (the teams change with every assignment the API accepts)."""

    def __init__(self, aws: Aws, plan: Plan) -> None:
        n = next(aws.serial)
        self.aws, self.plan, self.s3 = aws, plan, aws.s3
        self.lake, self.vault, uploads = aws.bucket(f"lake-{n}"), aws.bucket(f"vault-{n}"), aws.bucket(f"uploads-{n}")
        self.cases_table, self.registry_table = aws.table(f"cases-{n}"), aws.table(f"registry-{n}")
        store = S3CaseStore(aws.s3, aws.kms, self.vault, aws.key_id)
        runs = DynamoRunRegistry(self.cases_table, clock=lambda: NOW)
        for run_id, as_of in plan.runs:
            runs.begin(run_id, as_of)
            counts = {}
            for gemeente in plan.gemeenten:
                cases = [c for c in plan.cases if c.run == run_id and c.gemeente == gemeente]
                if cases:
                    store.write(run_id, gemeente, cases, {c.id: plan.people[c.id] for c in cases})
                    counts[gemeente] = len(cases)
            runs.publish(run_id, counts)
        registry = Registry(
            gemeenten=tuple(Gemeente(code=g, naam=f"Gemeente {g}") for g in plan.gemeenten),
            leveranciers=tuple(
                Leverancier(id=lev, naam=lev.upper(), signaaltype=LEVERANCIERS[lev]) for lev in plan.leveranciers
            ),
        )
        for item in registry_to_items(registry):
            self.registry_table.put_item(Item=item)
        quarantine = S3Uploads(aws.s3, uploads)
        for n, (leverancier, levering) in enumerate(plan.leveringen):
            rejected = n == 0  # the first delivery was refused and is held in quarantine
            report = Report(
                leverancier=leverancier,
                levering=levering,
                bestand="levering.csv",
                status=Status.REJECTED if rejected else Status.ACCEPTED,
                peildatum=None if rejected else "2026-11-01",
                rejection=finding("no_data_rows") if rejected else None,
                counts=Counts(read=3, accepted=0 if rejected else 3),
            )
            aws.s3.put_object(
                Bucket=self.lake, Key=report_key(leverancier, levering), Body=report.model_dump_json().encode()
            )
            if rejected:
                key = UploadKey(leverancier, levering, "levering.csv")
                aws.s3.put_object(Bucket=uploads, Key=key.incoming_key(), Body=b"klantnummer\n")
                quarantine.quarantine(key.incoming_key(), key, "no_data_rows")
        outbox = S3SupplierOutbox(aws.s3, self.lake)
        outbox.send(
            [
                m
                for c in plan.cases
                if c.id in plan.told
                for m in messages(c, "benaderd", NOW, date(2026, 11, 2), pauze_tot=date(2026, 12, 2))
            ]
        )
        self.audit = MemoryAuditLog()

        self.ports = {
            "store": store,
            "runs": runs,
            "audit": self.audit,
            "authenticate": verifier().identity,
            "clock": lambda: NOW,
            "states": DynamoCaseStates(self.cases_table),
            "outbox": outbox,
            "presign": S3Presigner(aws.s3, uploads),
            "reports": S3Reports(aws.s3, self.lake),
            "gemeenten": DynamoGemeenten(self.registry_table),
            "registry": DynamoRegistrySource(self.registry_table),
            "deliveries": S3Reports(aws.s3, self.lake),
            "quarantine": quarantine,
        }
        self.team = {(c.run, c.id): c.team for c in plan.cases}
        self.by_key = {(c.run, c.id): c for c in plan.cases}
        self.latest = plan.runs[-1][0]

    # The model.

    def in_run(self, run_id: str, gemeente: str | None) -> bool:
        return any(c.run == run_id and c.gemeente == gemeente for c in self.plan.cases)

    def sees(self, user: User, case: Case) -> bool:
        """Whether the user may see the case now (any run)."""
        if user.role == COORDINATOR:
            return case.gemeente == user.gemeente
        if user.role == WIJKTEAM:
            return case.gemeente == user.gemeente and self.team[(case.run, case.id)] == user.team
        return False

    def visible(self, user: User, run_id: str) -> list[Case]:
        """The run's cases the user may see, in rank order."""
        return sorted((c for c in self.plan.cases if c.run == run_id and self.sees(user, c)), key=lambda c: c.rank)

    def expected(self, user: User | None, call: Call) -> tuple[int, str | None]:
        """(status, error code) that api.md demands for the call in the world's current state."""
        roles = MATRIX[(call.method, call.route)]
        if roles is ANYONE:
            return 200, None
        if user is None:
            return 401, None
        if user.role not in roles:
            return 403, "forbidden"
        if call.route == "/api/uploads/{id}":
            return (200, None) if (user.leverancier, call.levering) in self.plan.leveringen else (404, "not_found")
        if (
            call.run is not None
            and not self.in_run(call.run, user.gemeente)
            and (call.case_ids or call.route in ("/api/cases", "/api/export.csv", "/api/stats"))
        ):
            return 404, "run_not_found"
        run_id = call.run or self.latest
        if call.case_ids and not all(
            (run_id, i) in self.by_key and self.sees(user, self.by_key[(run_id, i)]) for i in call.case_ids
        ):
            return 404, "not_found"
        return 200, None

    def accepted(self, sent: Sent) -> None:
        """Follow an accepted assignment in the model."""
        if sent.status == 200 and (sent.call.method, sent.call.route) == ("POST", "/api/cases/{id}/assign"):
            key = (sent.call.run or self.latest, sent.call.case_ids[0])
            self.team[key] = sent.call.body["team"]

    def strings(self, user: User | None) -> tuple[set[str], set[str]]:
        """(own, foreign): the world's strings the user may see, and those that would be a leak."""
        own: set[str] = set()
        foreign: set[str] = set(self.plan.pseudonyms.values())
        role = user.role if user else None
        for case in self.plan.cases:
            contact = {
                text for p in self.plan.people[case.id] for text in (p.achternaam, p.straat, p.telefoon, p.email)
            }
            gemeente_sees = user is not None and self.sees(user, case)
            (own if gemeente_sees else foreign).update(contact)
            if role == LEVERANCIER:
                (own if any(s.leverancier == user.leverancier for s in case.signalen) else foreign).add(case.id)
                if any(s.leverancier == user.leverancier for s in case.signalen):
                    own.add(case.gemeente)  # an outbox entry names its gemeente (api.md, /api/outbox)
                for signal in case.signalen:
                    (own if signal.leverancier == user.leverancier else foreign).add(signal.klantnummer)
            else:
                (own if gemeente_sees else foreign).update({case.id, *(s.klantnummer for s in case.signalen)})
        for gemeente in self.plan.gemeenten:
            mine = role in GEMEENTE_ROLES and gemeente == user.gemeente
            (own if mine else foreign).update({gemeente, wijk_code(gemeente, 1), wijk_code(gemeente, 2)})
        for leverancier, levering in self.plan.leveringen:
            mine = role == LEVERANCIER and leverancier == user.leverancier
            (own if mine or role == OPERATOR else foreign).update({levering})
        if role not in GEMEENTE_ROLES:  # a gemeente sees every supplier of its cases
            for leverancier in self.plan.leveranciers:
                mine = role == LEVERANCIER and leverancier == user.leverancier
                (own if mine or role == OPERATOR else foreign).add(leverancier)
        if role == OPERATOR:  # its views name gemeenten, suppliers and deliveries; never a wijk or a case
            own.update(self.plan.gemeenten)
        return own, foreign

    def leaks(self, sent: Sent) -> list[str]:
        own, foreign = self.strings(sent.user)
        text = sent.text
        for string in sorted(own, key=len, reverse=True):
            text = text.replace(string, "\x00")
        return sorted(string for string in foreign if string in text)

    # The stored state, read around the API.

    def state(self) -> dict[str, dict]:
        """Every case state, run, registry item and outbox entry (by ETag) of every tenant."""

        def scan(table) -> dict:  # the plain client: the resource's deserialising is slow here
            items = self.aws.dynamodb_client.scan(TableName=table.name, ConsistentRead=True)["Items"]
            return {(i["pk"]["S"], i["sk"]["S"]): i for i in items}

        cases = scan(self.cases_table)
        outbox = self.s3.list_objects_v2(Bucket=self.lake, Prefix="outbox/")  # a world has < 1000
        return {
            "states": {key: item for key, item in cases.items() if key[0].startswith("STATE#")},
            # Refusal counters (REFUSALS#) are the API's own bookkeeping, not the tenants' data.
            "runs": {key: item for key, item in cases.items() if not key[0].startswith(("STATE#", "REFUSALS#"))},
            "registry": scan(self.registry_table),
            "outbox": {o["Key"]: o["ETag"] for o in outbox.get("Contents", [])},
        }

    # The API.

    def send(self, client: Client, user: User | None, call: Call) -> Sent:
        before = len(self.audit.events)
        headers = {"Content-Type": "application/json"}
        if user is not None:
            headers["Authorization"] = f"Bearer {token(user)}"
        body = None if call.body is None else json.dumps(call.body).encode()
        response = client.http.request(call.method, call.url, headers=headers, body=body)
        raw = response.body or b""
        text = raw.decode() if isinstance(raw, bytes) else raw
        # The headers too: the export's file name, for one, names a gemeente and a run.
        sent = Sent(
            user,
            call,
            response.status_code,
            text + json.dumps(dict(response.headers)),
            list(self.audit.events[before:]),
            text,
        )
        self.accepted(sent)
        with contextlib.suppress(InvalidArgument):  # outside a property there are no statistics
            event(f"{call.method} {call.route} as {user.role if user else 'anonymous'}: {sent.status}")
        return sent


# ------------------------------------------------------------------ requests


@dataclass(frozen=True)
class Call:
    method: str
    route: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    body: dict | None = None
    case_ids: tuple[str, ...] = ()
    run: str | None = None
    levering: str | None = None

    @property
    def url(self) -> str:
        return self.path + ("?" + urlencode(self.query) if self.query else "")

    def __repr__(self) -> str:
        return f"{self.method} {self.url} {json.dumps(self.body) if self.body else ''}"


def case_ids_for(world: World, user: User | None, foreign: bool = False) -> st.SearchStrategy[str]:
    """Ids of other tenants and teams and one no world has; unless `foreign`, also the user's own."""
    own = [c.id for c in world.plan.cases if user is not None and world.sees(user, c)]
    others = [c.id for c in world.plan.cases if c.id not in own] + [MISSING_CASE]
    if foreign or not own:
        return st.sampled_from(others)
    return st.sampled_from(others + own) | st.sampled_from(own)


def runs_for(world: World, user: User | None, foreign: bool = False) -> st.SearchStrategy[str | None]:
    """Runs the user's gemeente is not in and one nobody has; unless `foreign`, also any run or none."""
    gemeente = user.gemeente if user else None
    others = [run_id for run_id, _ in world.plan.runs if not world.in_run(run_id, gemeente)] + [MISSING_RUN]
    if foreign:
        return st.sampled_from(others)
    return st.none() | st.sampled_from([run_id for run_id, _ in world.plan.runs] + [MISSING_RUN])


@st.composite
def calls(draw, world: World, user: User | None, route: tuple[str, str], foreign: bool = False) -> Call:
    """A well-formed request on `route`, so that only tenancy and role decide its status. With
    `foreign`, every id it names (case, run of a list, delivery) is another tenant's or unknown."""
    method, pattern = route
    plan = world.plan
    run = None
    if pattern == "/api/cases/approach":
        ids = draw(st.lists(case_ids_for(world, user), min_size=0 if foreign else 1, max_size=2))
        if foreign:
            ids.append(draw(case_ids_for(world, user, foreign)))
        ids = tuple(dict.fromkeys(draw(st.permutations(ids))))
        run = draw(runs_for(world, user))
        return Call(
            method,
            pattern,
            pattern,
            body={"case_ids": list(ids)} | ({"run": run} if run else {}),
            case_ids=ids,
            run=run,
        )
    if "{id}" in pattern and pattern.startswith("/api/cases/"):
        case = draw(case_ids_for(world, user, foreign))
        own_run = [c.run for c in plan.cases if c.id == case]
        run = draw(st.none() | st.sampled_from(own_run or [MISSING_RUN]) | runs_for(world, user))
        path = pattern.replace("{id}", case)
        if method == "GET":
            return Call(method, pattern, path, query={"run": run} if run else {}, case_ids=(case,), run=run)
        body = {
            "/api/cases/{id}/assign": lambda: {"team": draw(st.sampled_from(TEAMS))},
            "/api/cases/{id}/contactpogingen": lambda: dict(CONTACTPOGING),
            "/api/cases/{id}/resultaat": lambda: {"resultaat": draw(st.sampled_from(EINDRESULTATEN))},
        }[pattern]()
        return Call(method, pattern, path, body=body | ({"run": run} if run else {}), case_ids=(case,), run=run)
    if pattern in ("/api/cases", "/api/export.csv", "/api/stats"):
        query = {}
        run = draw(runs_for(world, user, foreign))
        if run:
            query["run"] = run
        if pattern != "/api/stats":
            filters = {
                "team": st.sampled_from(TEAMS),
                "leverancier": st.sampled_from(plan.leveranciers),
                "wijk": st.sampled_from([wijk_code(g, w) for g in plan.gemeenten for w in (1, 2)]),
                "herhaald": st.sampled_from(["true", "false"]),
            }
            for name in draw(st.lists(st.sampled_from(sorted(filters)), max_size=2, unique=True)):
                query[name] = draw(filters[name])
        if pattern == "/api/cases":
            query["page_size"] = str(draw(st.integers(1, 3)))
            query["page"] = str(draw(st.integers(1, 2)))
        return Call(method, pattern, pattern, query=query, run=run)
    if pattern == "/api/uploads/{id}":
        others = [lv for lev, lv in plan.leveringen if user is None or lev != user.leverancier] + [MISSING_LEVERING]
        levering = draw(st.sampled_from(others if foreign else [lv for _, lv in plan.leveringen] + others))
        return Call(method, pattern, pattern.replace("{id}", levering), levering=levering)
    if (method, pattern) == ("POST", "/api/uploads"):
        return Call(method, pattern, pattern, body={"filename": "levering.csv", "size": 1000})
    if pattern == "/api/beheer/leveringen":
        maand = draw(st.sampled_from([None, "2026-10", "2026-11"]))
        return Call(method, pattern, pattern, query={"maand": maand} if maand else {})
    if pattern == "/api/export/ddas":
        van = draw(st.sampled_from(["2026-01-01", "2026-10-01", "2026-11-01"]))
        return Call(method, pattern, pattern, query={"van": van, "tot": "2026-12-31"})
    if pattern == "/api/outbox":
        since = draw(st.sampled_from(["2026-01-01", "2026-11-02", "2026-11-03"]))
        return Call(method, pattern, pattern, query={"since": since})
    if (method, pattern) == ("PUT", "/api/settings"):
        return Call(method, pattern, pattern, body=RULE | {"min_leveranciers": draw(st.integers(1, 4))})
    if pattern == "/static/{name}":
        return Call(method, pattern, pattern.replace("{name}", draw(st.sampled_from(ASSETS))))
    if (method, pattern) in MATRIX:
        return Call(method, pattern, pattern)  # no parameters: health, openapi, me, runs, settings, page
    raise LookupError(f"no requests for the new route {method} {pattern}: add it to MATRIX and calls()")


def users_of(world: World, roles=ROLES, anonymous: bool = True) -> st.SearchStrategy[User | None]:
    """Users of the given roles, of any tenant of the world (and no user at all if `anonymous`)."""
    plan = world.plan

    @st.composite
    def wijkteam(draw) -> User:
        gemeente = draw(st.sampled_from(plan.gemeenten))
        return User(WIJKTEAM, gemeente, team=draw(st.sampled_from(plan.teams[gemeente]) | st.sampled_from(TEAMS)))

    users = {
        COORDINATOR: st.builds(User, st.just(COORDINATOR), st.sampled_from(plan.gemeenten)),
        WIJKTEAM: wijkteam(),
        LEVERANCIER: st.builds(lambda lev: User(LEVERANCIER, leverancier=lev), st.sampled_from(plan.leveranciers)),
        OPERATOR: st.just(User(OPERATOR)),
    }
    return st.one_of([users[role] for role in sorted(roles)] + ([st.none()] if anonymous else []))


def users_for(world: World, route: tuple[str, str], anonymous: bool = True) -> st.SearchStrategy[User | None]:
    """Half of the time a user whose role the route admits, so that tenancy decides, not the role."""
    allowed = MATRIX[route]
    anyone = users_of(world, anonymous=anonymous)
    return anyone if allowed is ANYONE else users_of(world, allowed, anonymous=False) | anyone


def routes(public: bool = True) -> st.SearchStrategy[tuple[str, str]]:
    """Every route of the app; the ones without tenant data (page, health, openapi) less often."""
    tenanted = [route for route in app_routes() if MATRIX.get(route, ()) is not ANYONE]
    return st.sampled_from(tenanted) | st.sampled_from(app_routes()) if public else st.sampled_from(tenanted)


@pytest.fixture(scope="module", autouse=True)
def sign_in_settings():
    """The page's routes read the user pool's settings and the upload bucket (its origin is in the
    page's CSP) from the environment (template.yaml sets them)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VINDPLAATS_USER_POOL_ID", "eu-west-1_Tenancy")
        patch.setenv("VINDPLAATS_USER_POOL_CLIENT_ID", AUDIENCE)
        patch.setenv("VINDPLAATS_UPLOAD_BUCKET", "vindplaats-uploads-tenancy")
        api._page.cache_clear()
        yield
    api._page.cache_clear()


@pytest.fixture(scope="module")
def aws():
    with mock_aws():
        yield Aws()


def session(aws: Aws, plan: Plan):
    """A world stored on moto, and the API over it (a context manager giving the test client)."""
    world = World(aws, plan)
    return world, api_client(**world.ports)


# Each example stores a world on moto, so shrinking a failure would take minutes: the assertion
# messages name the user and the request instead.
PROPERTY = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
REQUESTS = st.integers(6, 14)


# ------------------------------------------------------------------ (a) no leak


@PROPERTY
@given(plan=plans(), data=st.data())
def test_no_response_ever_carries_another_tenants_data(aws, plan, data):
    world, context = session(aws, plan)
    with context as client:
        for _ in range(data.draw(REQUESTS)):
            route = data.draw(routes())
            user = data.draw(users_for(world, route))
            call = data.draw(calls(world, user, route))
            sent = world.send(client, user, call)
            assert sent.status < 500, (call, sent.text)
            assert world.leaks(sent) == [], (user, call, sent.status)


# ------------------------------------------------------------------ (b) 404 and 403, audited


def check_status_and_audit(world: World, sent: Sent, expected: tuple[int, str | None]) -> None:
    user, call = sent.user, sent.call
    status, code = expected
    assert sent.status == status, (user, call, sent.text)
    route = f"{call.method} {call.route}"
    if code is not None:
        assert sent.json()["error"]["code"] == code, (user, call, sent.text)
    if status in (403, 404):
        outcomes = {Outcome.DENIED} if status == 403 else {Outcome.DENIED, Outcome.NOT_FOUND}
        (audited,) = sent.events  # one event a refused request, however many ids it names
        for audited in sent.events:
            assert (audited.subject, audited.role, audited.route) == (user.subject, user.role, route), audited
            assert audited.outcome in outcomes, audited
            assert audited.tenant == (user.gemeente or user.leverancier), audited
        if status == 404 and code == "not_found" and call.case_ids:
            refused = {
                i
                for i in call.case_ids
                if not (
                    (call.run or world.latest, i) in world.by_key
                    and world.sees(user, world.by_key[(call.run or world.latest, i)])
                )
            }
            named = {e.case_id for e in sent.events} | {i for e in sent.events for i in e.case_ids or ()}
            assert refused == named - {None}, (sent.events, refused)
        if status == 404 and call.levering is not None:
            assert {e.levering for e in sent.events} == {call.levering}, sent.events
        if code == "run_not_found":
            assert {e.run for e in sent.events} == {call.run}, sent.events
    elif status == 200 and (call.method, call.route) in AUDITED_WHEN_ALLOWED:
        (audited,) = sent.events
        assert (audited.subject, audited.outcome, audited.route) == (user.subject, Outcome.ALLOWED, route), audited
        if call.case_ids:
            assert {audited.case_id} - {None} | set(audited.case_ids or ()) == set(call.case_ids), audited
        if call.route == "/api/cases":
            shown = sorted(case["id"] for case in sent.json()["cases"])
            named = sorted(set(audited.case_ids or ()) | ({audited.case_id} - {None}))
            assert named == shown, audited
            klantnummers = {s.klantnummer for case in world.plan.cases for s in case.signalen}
            assert not [k for k in klantnummers if k in sent.body], "the list carries klantnummers"
    else:
        assert sent.events == [], (user, call, sent.events)
    personal = {
        text
        for people in world.plan.people.values()
        for p in people
        for text in (p.achternaam, p.straat, p.telefoon, p.email)
    }
    klantnummers = {signal.klantnummer for case in world.plan.cases for signal in case.signalen}
    for audited in sent.events:
        # Ids only: no name, street, phone, e-mail, klantnummer, pseudonym, nor the token.
        stored = audited.model_dump_json()
        assert not [s for s in personal | klantnummers | set(world.plan.pseudonyms.values()) if s in stored], stored
        if user is not None:
            assert token(user) not in stored


@settings(PROPERTY, max_examples=40)
@given(plan=plans(), data=st.data())
def test_foreign_ids_are_404_refused_roles_403_and_both_are_audited(aws, plan, data):
    world, context = session(aws, plan)
    with context as client:
        for _ in range(data.draw(REQUESTS)):
            route = data.draw(routes(public=False))
            user = data.draw(users_for(world, route, anonymous=False))
            call = data.draw(calls(world, user, route, foreign=data.draw(st.booleans())))
            expected = world.expected(user, call)
            check_status_and_audit(world, world.send(client, user, call), expected)


def test_a_missing_or_tampered_token_is_401_and_logged_but_not_audited(aws, caplog):
    """The choice for 401s: without a verified token there is no subject to trust, so nothing
    goes into the Object Lock log (anyone could fill it); the app logs the refusal's code and
    route instead, never the token."""
    plan = fixed_plan()
    world, context = session(aws, plan)
    own, other = (token(User(COORDINATOR, gemeente)).split(".") for gemeente in plan.gemeenten)
    tampered = ".".join([own[0], other[1], own[2]])  # another gemeente's claims under this signature
    with context as client:
        for route in app_routes():
            if MATRIX[route] is ANYONE:
                continue
            call = fixed_call(world, route)
            caplog.clear()
            assert (world.send(client, None, call).status, world.audit.events) == (401, [])
            assert f"caller refused: token_missing on {route[0]} {route[1]}" in caplog.text
            headers = {"Authorization": f"Bearer {tampered}", "Content-Type": "application/json"}
            body = None if call.body is None else json.dumps(call.body).encode()
            response = client.http.request(call.method, call.url, headers=headers, body=body)
            assert (response.status_code, world.audit.events) == (401, []), route
            assert "caller refused: token_invalid" in caplog.text and other[1] not in caplog.text


# ------------------------------------------------------------------ (c) a wijkteam's own team


@settings(PROPERTY, max_examples=30)
@given(plan=plans(), data=st.data())
def test_a_wijkteam_only_ever_sees_and_writes_its_own_teams_cases(aws, plan, data):
    world, context = session(aws, plan)
    gemeente = data.draw(st.sampled_from(plan.gemeenten))
    member = User(WIJKTEAM, gemeente, team=data.draw(st.sampled_from(TEAMS)))
    coordinator = User(COORDINATOR, gemeente)
    with context as client:
        for _ in range(data.draw(st.integers(2, 5))):
            for run_id in [None] + [r for r, _ in plan.runs]:
                query = {"page_size": "200"} | ({"run": run_id} if run_id else {})
                sent = world.send(client, member, Call("GET", "/api/cases", "/api/cases", query=query, run=run_id))
                if run_id is not None and not world.in_run(run_id, gemeente):
                    assert sent.status == 404, sent.text
                    continue
                assert sent.status == 200, sent.text
                listed = sent.json()
                expected = [c.id for c in world.visible(member, run_id or world.latest)]
                assert [c["id"] for c in listed["cases"]] == expected
                assert {c["team"] for c in listed["cases"]} <= {member.team}
                assert listed["visible"] == len(expected)
                assert set(listed["facets"]["team"]) <= {member.team}
            case = data.draw(st.sampled_from(plan.cases)) if plan.cases else None
            if case is None:
                break
            route = data.draw(
                st.sampled_from(
                    [
                        "/api/cases/{id}",
                        "/api/cases/{id}/contact",
                        "/api/cases/{id}/contactpogingen",
                        "/api/cases/{id}/resultaat",
                    ]
                )
            )
            call = own_run_call(route, case)
            sees = world.sees(member, case)
            sent = world.send(client, member, call)
            assert sent.status == (200 if sees else 404), (member, call, world.team[(case.run, case.id)], sent.text)
            if sees:
                assert sent.json().get("id", sent.json().get("case_id")) == case.id
            # The coordinator moves a case, possibly into or out of the member's team.
            moved = data.draw(st.sampled_from([c for c in plan.cases if c.gemeente == gemeente] or [case]))
            assign = own_run_call("/api/cases/{id}/assign", moved, team=data.draw(st.sampled_from(TEAMS)))
            assert world.send(client, coordinator, assign).status == (200 if moved.gemeente == gemeente else 404)


def own_run_call(route: str, case: Case, **body) -> Call:
    """A request on `route` for `case`, naming its run."""
    path = route.replace("{id}", case.id)
    if route in ("/api/cases/{id}", "/api/cases/{id}/contact"):
        return Call("GET", route, path, query={"run": case.run}, case_ids=(case.id,), run=case.run)
    extra = {
        "/api/cases/{id}/contactpogingen": CONTACTPOGING,
        "/api/cases/{id}/resultaat": {"resultaat": EINDRESULTATEN[0]},
    }.get(route, {})
    return Call("POST", route, path, body={**extra, **body, "run": case.run}, case_ids=(case.id,), run=case.run)


# ------------------------------------------------------------------ (d) refused writes change nothing


@settings(PROPERTY, max_examples=30)
@given(plan=plans(), data=st.data())
def test_writes_with_foreign_ids_change_nothing_and_allowed_ones_only_the_own_tenant(aws, plan, data):
    world, context = session(aws, plan)
    with context as client:
        before = world.state()
        for _ in range(data.draw(REQUESTS)):
            route = data.draw(st.sampled_from(sorted(WRITES)))
            user = data.draw(users_for(world, route))
            call = data.draw(calls(world, user, route, foreign=data.draw(st.booleans())))
            expected = world.expected(user, call)[0]
            sent = world.send(client, user, call)
            after = world.state()
            assert sent.status == expected, (user, call, sent.text)
            if expected != 200:
                assert after == before, (user, call, sent.status)
                continue
            assert after["runs"] == before["runs"]
            assert all(set(before[part]) <= set(after[part]) for part in before)
            changed = {key for key, item in after["states"].items() if item != before["states"].get(key)}
            assert {pk.split("#")[1] for pk, _ in changed} <= {user.gemeente}, changed
            assert {sk for _, sk in changed} <= set(call.case_ids), changed
            changed = {key for key, item in after["registry"].items() if item != before["registry"].get(key)}
            assert changed <= {("GEMEENTE", user.gemeente)}, changed
            for key, etag in after["outbox"].items():
                if f"/{DAILY}" in key:
                    # A day file holds the same entries; only the supplier's own prefix is written.
                    assert etag == before["outbox"].get(key) or call.case_ids, (user, call, key)
                    continue
                if etag != before["outbox"].get(key):
                    told = json.loads(world.s3.get_object(Bucket=world.lake, Key=key)["Body"].read())
                    leverancier = key.split("/")[2]
                    # No case id in the entry: the case is the one among the call's whose supplier's
                    # event id it carries.
                    (case,) = [
                        c
                        for c in plan.cases
                        if c.id in call.case_ids
                        and told["id"] == event_id(leverancier, c.id, told["klantnummer"], told["soort"], datum(told))
                    ]
                    assert world.sees(user, case) and told["gemeente"] == case.gemeente, (user, call, told)
                    assert (leverancier, told["klantnummer"]) in {(s.leverancier, s.klantnummer) for s in case.signalen}
            before = after


def datum(told: dict) -> date:
    return date.fromisoformat(told["datum"])


# ------------------------------------------------------------------ the role matrix


def fixed_plan() -> Plan:
    """Two gemeenten, two suppliers, one run: the world of the matrix."""
    run_id, as_of = "20261101-20261101T060000-000000", date(2026, 11, 1)
    cases, people, pseudonyms = [], {}, {}
    for n, (gemeente, team, leveranciers) in enumerate(
        [
            ("GM0202", "noord", ["zqvitens"]),
            ("GM0202", None, ["zqeneco"]),
            ("GM0268", "noord", ["zqvitens", "zqeneco"]),
        ],
        start=1,
    ):
        case, pseudonym = make_case(run_id, as_of, gemeente, n, n, leveranciers, team, 1, False)
        cases.append(case)
        people[case.id] = (person(n, leveranciers[0]),)
        pseudonyms[case.id] = pseudonym
    return Plan(
        ("GM0202", "GM0268"),
        {"GM0202": ("noord",), "GM0268": ("noord",)},
        ("zqvitens", "zqeneco"),
        ((run_id, as_of),),
        tuple(cases),
        people,
        pseudonyms,
        (("zqvitens", levering_id(1, "zqvitens")), ("zqeneco", levering_id(2, "zqeneco"))),
        (cases[0].id,),
    )


def fixed_call(world: World, route: tuple[str, str]) -> Call:
    """A request on `route` with the own ids of the matrix's users (GM0202, team noord, zqvitens)."""
    method, pattern = route
    case = world.plan.cases[0]  # GM0202, team noord
    if pattern == "/api/cases/approach":
        return Call(method, pattern, pattern, body={"case_ids": [case.id]}, case_ids=(case.id,))
    if pattern.startswith("/api/cases/{id}"):
        call = own_run_call(pattern, case, **({"team": "noord"} if pattern.endswith("assign") else {}))
        return call
    if pattern == "/api/uploads/{id}":
        levering = world.plan.leveringen[0][1]  # zqvitens's
        return Call(method, pattern, pattern.replace("{id}", levering), levering=levering)
    if (method, pattern) == ("POST", "/api/uploads"):
        return Call(method, pattern, pattern, body={"filename": "levering.csv", "size": 1000})
    if pattern == "/api/outbox":
        return Call(method, pattern, pattern, query={"since": "2026-11-01"})
    if pattern == "/api/export/ddas":
        return Call(method, pattern, pattern, query={"van": "2026-01-01", "tot": "2026-12-31"})
    if (method, pattern) == ("PUT", "/api/settings"):
        return Call(method, pattern, pattern, body=RULE)
    if pattern == "/static/{name}":
        return Call(method, pattern, pattern.replace("{name}", ASSETS[0]))
    if (method, pattern) in MATRIX:
        return Call(method, pattern, pattern)
    raise LookupError(f"no request for the new route {method} {pattern}: add it to MATRIX and fixed_call()")


MATRIX_USERS = {
    COORDINATOR: User(COORDINATOR, "GM0202"),
    WIJKTEAM: User(WIJKTEAM, "GM0202", team="noord"),
    LEVERANCIER: User(LEVERANCIER, leverancier="zqvitens"),
    OPERATOR: User(OPERATOR),
    "anonymous": None,
}


@pytest.fixture(scope="module")
def matrix_world(aws):
    world, context = session(aws, fixed_plan())
    with context as client:
        yield world, client


def test_the_matrix_names_every_route_of_the_app():
    assert set(app_routes()) == set(MATRIX)


@pytest.mark.parametrize("role", list(MATRIX_USERS))
@pytest.mark.parametrize("route", app_routes(), ids=" ".join)
def test_each_route_admits_exactly_the_roles_of_api_md(matrix_world, route, role):
    world, client = matrix_world
    user = MATRIX_USERS[role]
    call = fixed_call(world, route)
    sent = world.send(client, user, call)
    allowed = MATRIX[route]  # a KeyError here: a route api.md's matrix does not name yet
    if allowed is ANYONE or (user is not None and user.role in allowed):
        assert sent.status == 200, sent.text
    elif user is None:
        assert (sent.status, sent.events) == (401, [])
    else:
        assert sent.status == 403 and sent.json()["error"]["code"] == "forbidden", sent.text
        assert [(e.subject, e.outcome, e.route) for e in sent.events][:1] == [
            (user.subject, Outcome.DENIED, f"{route[0]} {route[1]}")
        ]
    check_status_and_audit(world, sent, world.expected(user, call))
