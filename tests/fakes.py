"""What several test modules share: an in-memory stand-in for each of the API's ports, the API's
test world (two gemeenten, their cases, six callers), the API built on them, a moto table,
S3 answering as AWS answers a role without s3:ListBucket, signed test tokens, and the shared
registry file.

Test modules import from here; no test module imports another.
"""

import importlib.util
import io
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import ModuleType, SimpleNamespace

import jwt
from botocore.awsrequest import AWSResponse
from chalice.test import Client
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import bootstrap
from chalicelib.adapters.aws.presign import S3Presigner
from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.cases import Case, Person, RunInfo, RunStatus
from chalicelib.domain.casework import CaseState, SupplierMessage
from chalicelib.domain.errors import LimitReached, Unauthorized
from chalicelib.domain.identity import Identity
from chalicelib.domain.report import ReportSummary
from chalicelib.domain.retention import picked_up
from chalicelib.domain.upload import QuarantinedUpload

ROOT = Path(__file__).resolve().parents[1]
API_APP = ROOT / "functions" / "api" / "app.py"
# The registry the tests share; tests/conftest.py offers it as the `registry_toml` and `registry` fixtures.
REGISTRY_FILE = Path(__file__).resolve().parent / "fixtures" / "registry.toml"

# ------------------------------------------------------------------ cases

RUN = "20261101-20261101T060000-a1b2c3"


def make_case(
    n: int,
    gemeente: str = "GM0202",
    *,
    wijk: str = "WK020201",
    signalen: tuple[tuple[str, str, str], ...] = (("vitens", "Water", "120.00"),),
    herhaald: bool = False,
    crisis: bool = False,
    status: str = "Nog niet opgepakt",
    team: str | None = None,
    run: str = RUN,
) -> Case:
    """A case with id `<gemeente digits><n>` padded to 16 hex chars; signalen are
    (leverancier, signaaltype, bedrag)."""
    total = sum(Decimal(bedrag) for _, _, bedrag in signalen)
    return Case.model_validate(
        {
            "id": f"{gemeente[2:]}{n:012x}",
            "run": run,
            "as_of": date(2026, 11, 1),
            "gemeente": gemeente,
            "wijk": {"code": wijk, "naam": ""},
            "buurt": {"code": "BU02020101", "naam": ""},
            "adres": {"postcode": "6811AB", "huisnummer": n, "huisletter": "", "toevoeging": ""},
            "signalen": [
                {
                    "leverancier": leverancier,
                    "leverancier_naam": leverancier.title(),
                    "klantnummer": f"K{n}",
                    "signaaltype": signaaltype,
                    "bedrag": bedrag,
                    "achterstand_sinds": date(2026, 8, 1),
                    "peildatum": date(2026, 10, 1),
                    "crisis": crisis,
                }
                for leverancier, signaaltype, bedrag in signalen
            ],
            "aantal_leveranciers": len({s[0] for s in signalen}),
            "totaal_bedrag": total,
            "oudste_achterstand": date(2026, 8, 1),
            "herhaald": herhaald,
            "crisis": crisis,
            "rank": n,
            "status": status,
            "team": team,
        }
    )


# ------------------------------------------------------------------ the API's test world

OLD_RUN = "20261001-20261001T060000-000000"
NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)

UTRECHT = [make_case(n, "GM0202", team="noord" if n == 1 else None) for n in range(1, 6)]
EDE = [make_case(n, "GM0268") for n in range(1, 4)]
OLD_UTRECHT = [make_case(7, "GM0202", run=OLD_RUN)]
PEOPLE = {
    UTRECHT[0].id: [
        Person(
            leverancier="vitens",
            achternaam="Jansen",
            straat="Dorpsstraat 1",
            telefoon="0612345678",
            email="jansen@example.nl",
            geboortedatum=date(1970, 1, 1),
        )
    ],
    EDE[0].id: [Person(leverancier="vitens", achternaam="de Vries", telefoon="0687654321")],
}

# Bearer tokens of the in-memory `authenticate`, and whom each stands for.
IDENTITIES = {
    "coord-utrecht": Identity(subject="s-1", role="coordinator", gemeente="GM0202", display_name="Anna"),
    "coord-ede": Identity(subject="s-2", role="coordinator", gemeente="GM0268"),
    "team-noord": Identity(subject="s-3", role="wijkteam", gemeente="GM0202", team="noord"),
    "team-zuid": Identity(subject="s-4", role="wijkteam", gemeente="GM0202", team="zuid"),
    "supplier": Identity(subject="s-5", role="leverancier", leverancier="vitens"),
    "operator": Identity(subject="s-6", role="operator"),
}


class MemoryCaseStore:
    def __init__(self, cases, bsns=None):
        self._cases = cases
        self._bsns = bsns or {}  # case id -> {signal place: BSN}
        self.bsn_reads: list[tuple[str, str, frozenset[str]]] = []

    def cases(self, run_id, gemeente):
        return [case for case in self._cases if case.run == run_id and case.gemeente == gemeente]

    def contacts(self, run_id, gemeente, case_id):
        assert any(c.id == case_id and c.gemeente == gemeente and c.run == run_id for c in self._cases)
        return PEOPLE.get(case_id, [])

    def bsns(self, run_id, gemeente, case_ids):
        self.bsn_reads.append((run_id, gemeente, frozenset(case_ids)))
        mine = {c.id for c in self.cases(run_id, gemeente)}
        return {case_id: dict(self._bsns[case_id]) for case_id in case_ids if case_id in mine and case_id in self._bsns}


class MemoryRuns:
    def __init__(self):
        counts = {"GM0202": len(UTRECHT), "GM0268": len(EDE)}
        self._runs = [
            RunInfo(run_id=RUN, as_of=date(2026, 11, 1), status=RunStatus.PUBLISHED, gemeenten=counts),
            RunInfo(run_id=OLD_RUN, as_of=date(2026, 10, 1), status=RunStatus.PUBLISHED, gemeenten={"GM0202": 1}),
        ]

    def latest(self):
        return self._runs[0]

    def runs_for(self, gemeente):
        return [run for run in self._runs if gemeente in run.gemeenten]

    def runs(self):
        return list(self._runs)


class MemoryCaseStates:
    """What gemeenten recorded about their cases, per (gemeente, run, case id), as DynamoCaseStates keeps it."""

    FIELDS = frozenset(CaseState.model_fields) - {"contactpogingen", "updated_at", "updated_by"}

    def __init__(self) -> None:
        self.recorded: dict[tuple[str, str, str], CaseState] = {}

    def states(self, gemeente, run_id):
        return {case_id: state for (g, r, case_id), state in self.recorded.items() if (g, r) == (gemeente, run_id)}

    def state(self, gemeente, run_id, case_id):
        return self.recorded.get((gemeente, run_id, case_id))

    def update(self, gemeente, run_id, case_id, fields, *, by, at, contactpoging=None, max_contactpogingen=None):
        unknown = set(fields) - self.FIELDS
        if unknown:
            raise ValueError(f"not a case state field: {sorted(unknown)}")
        current = self.recorded.get((gemeente, run_id, case_id), CaseState())
        full = max_contactpogingen is not None and len(current.contactpogingen) >= max_contactpogingen
        if contactpoging is not None and full:
            raise LimitReached()
        changed = current.model_dump() | dict(fields) | {"updated_at": at, "updated_by": by}
        if contactpoging is not None:
            changed["contactpogingen"] = [*current.contactpogingen, contactpoging]
        self.recorded[(gemeente, run_id, case_id)] = CaseState.model_validate(changed)

    def outcomes(self, run_id, gemeente):
        """CaseOutcomes, as DynamoCaseStates reads them: the picked-up cases and their outcome days."""
        return {
            case_id: state.resultaat_op
            for case_id, state in self.states(gemeente, run_id).items()
            if state.resultaat_op is not None or picked_up(state.status)
        }


class MemoryOutbox:
    """Suppliers' messages by `<leverancier>/<datum>/<id>`, listed in that order as S3SupplierOutbox lists its keys."""

    def __init__(self) -> None:
        self.messages: dict[str, SupplierMessage] = {}
        self.daily: dict[tuple[str, date], list[SupplierMessage]] = {}

    def send(self, messages):
        keys = [f"{leverancier}/{message.datum.isoformat()}/{message.id}" for leverancier, message in messages]
        self.messages.update(zip(keys, (message for _, message in messages), strict=True))
        return keys

    def day(self, leverancier, datum):
        prefix = f"{leverancier}/{datum.isoformat()}/"
        found = [m for key, m in self.messages.items() if key.startswith(prefix)]
        return sorted(found, key=lambda m: (m.tijdstip, m.id))

    def write_daily(self, leverancier, datum, messages):
        self.daily[(leverancier, datum)] = list(messages)
        return [f"{leverancier}/dag/{datum.isoformat()}.csv", f"{leverancier}/dag/{datum.isoformat()}.json"]

    def since(self, leverancier, since, limit, after=None):
        prefix = f"{leverancier}/"
        start = max(f"{prefix}{since.isoformat()}", f"{prefix}{after}" if after else "")
        keys = sorted(key for key in self.messages if key.startswith(prefix) and key > start)
        return [self.messages[key] for key in keys[:limit]], len(keys) > limit


class ImmediateNotify:
    """NotifyEvents whose events the notify function handles at once (what the local runtime
    does a moment later): the supplier's messages land in `outbox`. `published` counts the
    queue messages an SQS adapter would have sent."""

    def __init__(self, outbox) -> None:
        self.outbox = outbox
        self.published = 0

    def suppliers_told(self, messages):
        from chalicelib.services.notify import tell_suppliers

        tell_suppliers(self.outbox, messages)
        self.published += 1
        return 1


class MemoryRegistry:
    """A RegistrySource over a Registry (empty by default)."""

    def __init__(self, registry=None) -> None:
        from chalicelib.domain.registry import Registry

        self.value = registry if registry is not None else Registry()

    def registry(self):
        return self.value


class MemoryDeliveries:
    """Deliveries from their reports; `last` (supplier → the day of its latest accepted delivery)
    stands in for what the reports would say."""

    def __init__(self, last=None, reports=()) -> None:
        self.last = dict(last or {})
        self.reports = {(report.leverancier, report.levering): report for report in reports}

    def last_delivered(self):
        return dict(self.last)

    def leveringen(self, leverancier, prefix=""):
        return sorted(lv for lev, lv in self.reports if lev == leverancier and lv.startswith(prefix))

    def summary(self, leverancier, levering):
        report = self.reports.get((leverancier, levering))
        return None if report is None else ReportSummary.of(report)


class MemoryQuarantine:
    """Quarantined uploads: (UploadKey, bytes) pairs."""

    def __init__(self, held=()) -> None:
        self.held = [QuarantinedUpload(upload=upload, bytes=size) for upload, size in held]

    def quarantined(self):
        return list(self.held)


class MemoryIncoming:
    """Uploads not yet ingested: (leverancier, levering) pairs."""

    def __init__(self, pending=()) -> None:
        self.waiting = set(pending)

    def pending(self, leverancier: str, levering: str) -> bool:
        return (leverancier, levering) in self.waiting


class MemoryReports:
    """Delivery reports by (leverancier, levering)."""

    def __init__(self, reports=()) -> None:
        self.reports = {(report.leverancier, report.levering): report for report in reports}

    def read(self, leverancier, levering):
        return self.reports.get((leverancier, levering))


class MemoryGemeenten:
    """The registry's gemeenten by code; `put` replaces a registered one only."""

    def __init__(self, gemeenten=()) -> None:
        self.gemeenten = {gemeente.code: gemeente for gemeente in gemeenten}

    def get(self, code):
        return self.gemeenten.get(code)

    def put(self, gemeente):
        if gemeente.code not in self.gemeenten:
            return False
        self.gemeenten[gemeente.code] = gemeente
        return True


class MemoryPresigner:
    """S3Presigner's policy without S3: the same key and limits, a made-up URL, no signature."""

    def presign(self, leverancier, filename, size, now):
        return S3Presigner(self, "uploads").presign(leverancier, filename, size, now)

    def generate_presigned_post(self, Bucket, Key, Fields, Conditions, ExpiresIn):
        return {"url": f"https://{Bucket}.s3.test/", "fields": {**Fields, "key": Key}}


class MemoryStaged:
    """A staged object (StagedSignals, StagedRecords) in memory: rows written are counted, and
    stored under `key` in `store` only when committed."""

    def __init__(self, store: dict, key: tuple[str, str]) -> None:
        self._store, self._key, self._rows = store, key, 0

    def write(self, table) -> None:
        self._rows += table.num_rows

    def commit(self, *, peildatum: str | None = None) -> str:
        self._store[self._key] = self._rows
        leverancier, levering = self._key
        return f"signals/peildatum={peildatum}/{leverancier}_{levering}.parquet"

    def discard(self) -> None:
        self._rows = 0


class MemoryUploadBucket:
    """What ingest reads and writes, in memory: the upload bucket (Uploads), the lake's signals
    (Lake), the vault (Vault) and the reports (Reports)."""

    def __init__(self, uploads: dict[str, bytes]) -> None:
        self.incoming = dict(uploads)
        self.quarantined: dict[str, tuple[bytes, str]] = {}
        self.signals: dict[tuple[str, str], int] = {}
        self.vault: dict[tuple[str, str], int] = {}
        self.reports: dict[tuple[str, str], object] = {}

    def size(self, key):
        return len(self.incoming[key]) if key in self.incoming else None

    def read(self, key):
        return self.incoming[key]

    def chunks(self, key):
        yield self.incoming[key]

    def stage_signals(self, *, leverancier, levering):
        return MemoryStaged(self.signals, (leverancier, levering))

    def stage(self, leverancier, levering):
        return MemoryStaged(self.vault, (leverancier, levering))

    def quarantine(self, key, upload, reason):
        target = upload.quarantine_key()
        self.quarantined[target] = (self.incoming.pop(key), reason)
        return target

    def delete(self, key):
        self.incoming.pop(key, None)

    def write_signals(self, signals, *, peildatum, leverancier, levering):
        self.signals[(leverancier, levering)] = signals.num_rows
        return f"signals/peildatum={peildatum}/{leverancier}_{levering}.parquet"

    def put(self, leverancier, levering, records):
        self.vault[(leverancier, levering)] = records.num_rows

    def write(self, report):
        self.reports[(report.leverancier, report.levering)] = report
        return f"reports/{report.leverancier}/{report.levering}.json"


class MemorySignalPartitions:
    """SignalPartitions: how many signal files the lake holds per peildatum."""

    def __init__(self, files: dict[date, int] | None = None) -> None:
        self.files = dict(files or {})

    def peildatums(self):
        return sorted(self.files)

    def delete_peildatum(self, peildatum):
        return self.files.pop(peildatum)


class MemoryPublishedRuns:
    """What the Retention step reads and removes, in memory: the run registry (RunRegistry's
    `runs` and `discard`), each run's cases per gemeente (CaseStore's `gemeenten`, `keep`,
    `delete_run`), its pseudonymous files (`lake`: RunLake's `delete_run`), the lake's signals
    (`signals`), and the vault's deliveries with their peildatum (Vault's `delete`, VaultIndex's
    `deliveries`)."""

    def __init__(self) -> None:
        self.registry: dict[str, RunInfo] = {}
        self.cases: dict[tuple[str, str], set[str]] = {}
        self.files: dict[str, int] = {}
        self.vault: dict[tuple[str, str], date] = {}
        self.lake = SimpleNamespace(delete_run=lambda run_id: self.files.pop(run_id, 0))
        self.signals = MemorySignalPartitions()

    def publish(self, run_id: str, as_of: date, cases: dict[str, set[str]], files: int = 3) -> None:
        self.registry[run_id] = RunInfo(run_id=run_id, as_of=as_of, status=RunStatus.PUBLISHED)
        self.cases.update({(run_id, gemeente): set(ids) for gemeente, ids in cases.items()})
        self.files[run_id] = files

    def kept(self, run_id: str, gemeente: str) -> set[str]:
        return self.cases.get((run_id, gemeente), set())

    # RunRegistry
    def runs(self):
        return list(self.registry.values())

    def discard(self, run_id):
        return self.registry.pop(run_id, None) is not None

    # CaseStore
    def gemeenten(self, run_id):
        return sorted(gemeente for run, gemeente in self.cases if run == run_id)

    def keep(self, run_id, gemeente, case_ids):
        cases = self.cases.pop((run_id, gemeente), set())
        kept = cases & set(case_ids)
        if kept:
            self.cases[(run_id, gemeente)] = kept
        return len(cases) - len(kept)

    def delete_run(self, run_id):
        cases = [key for key in self.cases if key[0] == run_id]
        for key in cases:
            del self.cases[key]
        return len(cases)

    # Vault and VaultIndex
    def delete(self, leverancier, levering):
        self.vault.pop((leverancier, levering))

    def deliveries(self):
        return [(leverancier, levering, day) for (leverancier, levering), day in self.vault.items()]


class MemoryAuditLog:
    """The audit log in a list."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


class MemoryRefusalCounter:
    """Refusals per (subject, window start), as DynamoRefusalCounter counts them."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, datetime], int] = {}

    def count(self, subject, window_start, expires):
        key = (subject, window_start)
        self.counts[key] = self.counts.get(key, 0) + 1
        return self.counts[key]


def authenticate(header):
    token = (header or "").removeprefix("Bearer ")
    if token not in IDENTITIES:
        raise Unauthorized("het token is ongeldig", code="token_invalid")
    return IDENTITIES[token]


# ------------------------------------------------------------------ the API


@cache
def chalice_api() -> ModuleType:
    """functions/api/app.py, imported once from its file (under a name of its own, so that no
    folder goes on sys.path and no other `app` module is shadowed)."""
    spec = importlib.util.spec_from_file_location("vindplaats_api_under_test", API_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def chalice_routes():
    return {(method, path) for path, methods in chalice_api().app.routes.items() for method in methods}


@contextmanager
def api_client(
    store,
    runs,
    audit,
    *,
    authenticate: Callable = authenticate,
    clock: Callable = lambda: NOW,
    states=None,
    outbox=None,
    events=None,
    presign=None,
    reports=None,
    gemeenten=None,
    refusals=None,
    registry=None,
    deliveries=None,
    quarantine=None,
    incoming=None,
    **options,
) -> Iterator[Client]:
    """Chalice's test client on the API with these ports, the one place the tests build the API.
    A port left out is an empty in-memory one; the case events reach `outbox` at once unless
    `events` is given; `options` go to bootstrap.api_deps (limits)."""
    outbox = MemoryOutbox() if outbox is None else outbox
    deps = bootstrap.api_deps(
        authenticate=authenticate,
        store=store,
        runs=runs,
        audit=audit,
        clock=clock,
        states=MemoryCaseStates() if states is None else states,
        outbox=outbox,
        events=ImmediateNotify(outbox) if events is None else events,
        presigner=MemoryPresigner() if presign is None else presign,
        reports=MemoryReports() if reports is None else reports,
        gemeenten=MemoryGemeenten() if gemeenten is None else gemeenten,
        refusals=MemoryRefusalCounter() if refusals is None else refusals,
        registry=MemoryRegistry() if registry is None else registry,
        deliveries=MemoryDeliveries() if deliveries is None else deliveries,
        quarantine=MemoryQuarantine() if quarantine is None else quarantine,
        incoming=MemoryIncoming() if incoming is None else incoming,
        **options,
    )
    bootstrap.use(api=deps)
    try:
        with Client(chalice_api().app) as client:
            yield client
    finally:
        bootstrap.use()


def api_event(
    method: str,
    path: str,
    resource: str,
    token: str,
    body: dict | None = None,
    query: dict[str, str] | None = None,
    **path_parameters: str,
) -> dict:
    """An API Gateway proxy event as the REST API hands it to the function."""
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Authorization": f"Bearer {token}", "Host": "local", "Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": None if query is None else {k: [v] for k, v in query.items()},
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {"resourcePath": resource, "httpMethod": method, "stage": "dev", "requestId": "r-1"},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def get(client, path, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.http.get(path, headers=headers)
    body = json.loads(response.body) if response.body else None
    assert "Traceback" not in (response.body or b"").decode()
    return response.status_code, body


def post(client, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = client.http.post(path, body=raw, headers=headers)
    assert "Traceback" not in (response.body or b"").decode()
    return response.status_code, json.loads(response.body) if response.body else None


def assert_error(result, status, code=None):
    got, body = result
    assert got == status, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code


# ------------------------------------------------------------------ moto


def pk_sk_table(dynamodb, name):
    """A pay-per-request table keyed by string `pk` and `sk`, as the template's tables are; `dynamodb`
    is a boto3 resource (inside moto)."""
    return dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


# ------------------------------------------------------------------ S3 as AWS answers it

# AWS's answer to a GetObject it refuses; a HEAD gets the same status without a body.
_ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
    b"<RequestId>5SHQ7XNJ8VJ1B2KT</RequestId><HostId>aws-shaped-answer</HostId></Error>"
)


class _Body(io.BytesIO):
    """A response body as botocore reads one from urllib3."""

    def stream(self, **_):
        while chunk := self.read(65536):
            yield chunk


def deny_missing_objects(s3) -> list[str]:
    """Make `s3`, a real boto3 client on moto (in process or the local stack), answer as AWS
    answers a role without s3:ListBucket on the bucket: a GetObject or HeadObject of a key that
    does not exist gets 403 AccessDenied (GetObject with AWS's XML error body, HeadObject a bare
    403), where moto answers 404. The answer goes through botocore's own parsing, retries and
    ClientError, as on AWS. Existing keys and every other operation go to moto unchanged.

    Returns the list of keys denied so far (it grows as they are), so that a test can show the
    403 path was taken."""
    denied: list[str] = []

    def remember(params, context, **_):
        context["deny_missing_objects"] = (params["Bucket"], params["Key"])

    def answer(request, **_):
        bucket, key = request.context["deny_missing_objects"]
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
        if listed and listed[0]["Key"] == key:
            return None  # moto answers
        denied.append(key)
        headers = {"x-amz-request-id": "5SHQ7XNJ8VJ1B2KT", "x-amz-id-2": "aws-shaped-answer", "Server": "AmazonS3"}
        if request.method == "HEAD":
            return AWSResponse(request.url, 403, headers, _Body(b""))
        return AWSResponse(request.url, 403, headers | {"Content-Type": "application/xml"}, _Body(_ACCESS_DENIED))

    for operation in ("GetObject", "HeadObject"):
        s3.meta.events.register(f"before-parameter-build.s3.{operation}", remember)
        # First, so that this answers before moto's own in-process stub does.
        s3.meta.events.register_first(f"before-send.s3.{operation}", answer)
    return denied


def sent_headers(client, operation: str) -> list[dict[str, str]]:
    """The HTTP headers of every `operation` request `client` sends from now on, lower-cased."""
    sent: list[dict[str, str]] = []

    def capture(request, **_):
        sent.append(
            {
                name.lower(): value.decode() if isinstance(value, bytes) else value
                for name, value in request.headers.items()
            }
        )

    client.meta.events.register(f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}", capture)
    return sent


# ------------------------------------------------------------------ tokens


def new_signing_key(kid):
    """A fresh RSA key and its public JWK under `kid`, as a key set serves it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())) | {"kid": kid, "alg": "RS256", "use": "sig"}
    return key, jwk


def id_token(key, kid, **changes):
    """An RS256 ID token for issuer https://issuer and audience client, valid for ten minutes;
    `changes` replace or add claims."""
    now = int(time.time())
    claims = {"iss": "https://issuer", "aud": "client", "sub": "s", "token_use": "id", "iat": now, "exp": now + 600}
    return jwt.encode(claims | changes, key, algorithm="RS256", headers={"kid": kid})


# ------------------------------------------------------------------ ingest without AWS


class FakeKms:
    """A data key without a network."""

    def generate_data_key(self, **_: object) -> dict:
        return {"Plaintext": bytes(range(32)), "CiphertextBlob": b"wrapped" * 20}


# ------------------------------------------------------------------ notify

NOTIFY_APP = ROOT / "functions" / "notify" / "app.py"


def notify_function() -> ModuleType:
    """functions/notify/app.py, imported once from its file under a name of its own."""
    name = "vindplaats_notify_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, NOTIFY_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def drain_notify_queue(sqs, queue_url, outbox, *, delete=True, deps=None) -> int:
    """Receive what waits on the notify queue and hand it to the notify function's handler as
    Lambda's SQS event source would; delete what it handled (unless `delete` is False: a
    redelivery). Returns the messages handled."""
    from chalicelib.services.notify import NotifyDeps
    from infra.local.runtime import LambdaContext, environ

    deps = deps or NotifyDeps(
        outbox=outbox,
        mail_log=None,  # type: ignore[arg-type]
        coordinators=None,  # type: ignore[arg-type]
        mailer=None,  # type: ignore[arg-type]
        registry=None,  # type: ignore[arg-type]
        deliveries=None,  # type: ignore[arg-type]
        page_url="",
    )
    handled = 0
    bootstrap.use(api=bootstrap._installed.get("api"), notify=deps)
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return handled
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": {},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                }
                for m in messages
            ]
        }
        with environ({"POWERTOOLS_METRICS_NAMESPACE": "Vindplaats"}):  # template.yaml's Globals
            response = notify_function().handler(event, LambdaContext("notify", 256, "arn:notify", 120))
        assert response == {"batchItemFailures": []}, response
        handled += len(messages)
        if not delete:
            for m in messages:
                sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
            return handled
        for m in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
