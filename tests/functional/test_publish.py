"""Publishing a run, notifying the gemeenten and applying retention, on the local stack (moto)."""

import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag

from chalicelib.adapters.aws.cases import S3CaseStore
from chalicelib.adapters.aws.envelope import open_index, seal
from chalicelib.adapters.aws.reference import S3ReferenceSource
from chalicelib.adapters.aws.registry import DynamoRegistrySource
from chalicelib.adapters.aws.reports import S3Reports
from chalicelib.adapters.aws.runs import DynamoRunRegistry, S3RunLake
from chalicelib.adapters.aws.vault import KmsVault, S3VaultIndex
from chalicelib.domain.cases import RunStatus, case_id
from chalicelib.domain.matching import MATCH_SCHEMA, VORIGE_MATCHES_SCHEMA
from chalicelib.domain.registry import parse_registry_toml
from chalicelib.domain.report import Report, Status
from chalicelib.domain.retention import RetentionPeriods
from chalicelib.domain.signals import VAULT_COLUMNS
from chalicelib.services.publish import PublishDeps, publish_run
from chalicelib.services.retention import RetentionDeps, apply_retention
from infra.local import mailbox
from infra.local.driver import sqs_send_task
from infra.local.users import create_demo_users
from tests.fakes import MemorySignalPartitions

AS_OF = date(2026, 11, 1)
PEIL = date(2026, 10, 28)
PERSONAL_FIELDS = ("klantnummer", "voorletters", "achternaam", "straat", "telefoon", "email", "bsn")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Outcomes:
    def __init__(self, outcomes: dict[str, date | None]) -> None:
        self._outcomes = outcomes

    def outcomes(self, run_id: str, gemeente: str) -> dict[str, date | None]:
        return self._outcomes


@dataclass
class World:
    """One test's own run registry table, deliveries and runs on the shared local stack."""

    platform: object
    table_name: str
    clock: Clock = field(default_factory=lambda: Clock(datetime(2026, 11, 1, 6, 0, tzinfo=UTC)))
    decrypts: list[str] = field(default_factory=list)
    personal: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        p = self.platform
        self.settings = p.settings
        self.kms = p.stack.client("kms")
        self.kms.meta.events.register("before-call.kms.Decrypt", lambda **_: self.decrypts.append("Decrypt"))
        self.vault = KmsVault(p.s3, self.kms, self.settings.vault_bucket, self.settings.vault_key_id)
        self.store = S3CaseStore(p.s3, self.kms, self.settings.vault_bucket, self.settings.vault_key_id)
        self.runs = DynamoRunRegistry(p.target.resource("dynamodb").Table(self.table_name), clock=self.clock)
        self.lake = S3RunLake(p.s3, self.settings.lake_bucket)
        self.index = S3VaultIndex(p.s3, self.settings.vault_bucket, self.settings.lake_bucket)
        self.reference = S3ReferenceSource(p.s3, self.settings.lake_bucket)
        registry_table = p.target.resource("dynamodb").Table(self.settings.registry_table)
        self.deps = PublishDeps(
            lake=self.lake,
            vault=self.vault,
            vault_index=self.index,
            store=self.store,
            runs=self.runs,
            registry=DynamoRegistrySource(registry_table),
            reference=self.reference,
        )
        self.retention_deps = RetentionDeps(
            runs=self.runs,
            store=self.store,
            lake=self.lake,
            signals=MemorySignalPartitions(),  # the shared stack's signals are other tests'
            vault=self.vault,
            vault_index=self.index,
            outcomes=Outcomes({}),
        )

    def address(self, gemeente: str, n: int) -> dict:
        """The n-th address of the demo reference in `gemeente`."""
        reference = self.reference.reference()
        rows = reference.filter(pc.equal(reference["gemeente"], gemeente)).slice(n, 1).to_pylist()[0]
        return rows

    def deliver(
        self,
        leverancier: str,
        people: dict[int, str],
        *,
        at: dict[int, dict] | None = None,
        peildatum: date | None = PEIL,
    ) -> str:
        """A vault object for a delivery whose regel n names the person `people[n]` (a marker
        that makes every personal value unique), living at `at[n]` (a reference row); and the
        delivery's report when `peildatum` is given."""
        levering = f"{leverancier[:4]}-{uuid.uuid4().hex[:8]}"
        records = []
        for regel, who in people.items():
            address = (at or {}).get(regel, {"postcode": "1234AB", "huisnummer": 1})
            number = int(hashlib.sha256(who.encode()).hexdigest(), 16)
            values = {
                "regel": regel,
                "klantnummer": f" K-{who} ",
                "postcode": address["postcode"],
                "huisnummer": address["huisnummer"] or 1,
                "huisletter": "",
                "toevoeging": "",
                "voorletters": "Q.",
                "tussenvoegsel": "",
                "achternaam": f"Achternaam{who}",
                "geboortedatum": date(1970, 1, 1),
                "straat": f"Straat{who}",
                "woonplaats": "Plaats",
                "telefoon": f"06{number % 10**8:08d}",
                "email": f"{who}@example.org",
                "bsn": f"9{number % 10**8:08d}",
            }
            self.personal.update(str(values[name]).strip() for name in PERSONAL_FIELDS)
            records.append(values)
        schema = pa.schema(
            [
                (
                    name,
                    pa.int32()
                    if name in ("regel", "huisnummer")
                    else pa.date32()
                    if name == "geboortedatum"
                    else pa.string(),
                )
                for name in VAULT_COLUMNS
            ]
        )
        self.vault.put(leverancier, levering, pa.Table.from_pylist(records, schema=schema))
        if peildatum is not None:
            S3Reports(self.platform.s3, self.settings.lake_bucket).write(
                Report(
                    leverancier=leverancier,
                    levering=levering,
                    bestand="x.csv",
                    status=Status.ACCEPTED,
                    peildatum=peildatum.isoformat(),
                )
            )
        return levering

    def matches(self, run_id: str, households: list[dict], types: dict[str, str] | None = None) -> None:
        """Write the run's match output in two Parquet files, as a query engine would; every
        signal is Huur unless `types` names its supplier's signaaltype."""
        rows = []
        for h in households:
            for leverancier, levering, regel, bedrag, crisis in h["signals"]:
                area = h["address"]
                rows.append(
                    {
                        "gemeente": area["gemeente"],
                        "huishouden": h["huishouden"],
                        "wijk": area["wijk"],
                        "buurt": area["buurt"],
                        "leverancier": leverancier,
                        "levering": levering,
                        "regel": regel,
                        "signaaltype": (types or {}).get(leverancier, "Huur"),
                        "bedrag_cent": bedrag,
                        "achterstand_sinds": PEIL - timedelta(days=40),
                        "peildatum": PEIL,
                        "crisis": crisis,
                        "aantal_leveranciers": len({s[0] for s in h["signals"]}),
                        "totaal_bedrag_cent": sum(s[3] for s in h["signals"]),
                        "oudste_achterstand": PEIL - timedelta(days=40),
                        "herhaald": h.get("herhaald", False),
                        "case_crisis": any(s[4] for s in h["signals"]),
                        "case_rank": h["rank"],
                    }
                )
        table = pa.Table.from_pylist(rows, schema=MATCH_SCHEMA)
        half = table.num_rows // 2
        for number, part in enumerate((table.slice(0, half), table.slice(half))):
            body = io.BytesIO()
            pq.write_table(part, body)
            self.platform.s3.put_object(
                Bucket=self.settings.lake_bucket, Key=f"runs/{run_id}/matches/{number:04d}_part", Body=body.getvalue()
            )

    def keys(self, bucket: str, prefix: str) -> list[str]:
        return self.platform.keys(bucket, prefix)


@pytest.fixture
def world(platform) -> World:
    name = f"test-cases-{uuid.uuid4().hex[:8]}"
    platform.stack.client("dynamodb").create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    return World(platform, name)


@dataclass
class Scenario:
    run_id: str
    tag: str
    deliveries: dict[str, str]
    households: list[dict]

    @property
    def read(self) -> list[tuple[str, str]]:
        return sorted(self.deliveries.items())


def scenario(world: World, run_id: str | None = None) -> Scenario:
    """Arnhem: A (vivare 1, vitens 1) and B (vivare 2, eneco 1; crisis, herhaald); Nijmegen: C
    (vitens 2, eneco 2). Unmatched: vivare 3 and 4, vitens 3, and all of cz's delivery."""
    run_id = run_id or f"20261101-{uuid.uuid4().hex[:6]}"
    tag = uuid.uuid4().hex[:6]
    a, b, c = world.address("GM0202", 0), world.address("GM0202", 5), world.address("GM0268", 0)
    deliveries = {
        "vivare": world.deliver("vivare", {1: f"A{tag}", 2: f"B{tag}", 3: f"X{tag}", 4: f"Y{tag}"}, at={1: a, 2: b}),
        "vitens": world.deliver("vitens", {1: f"A{tag}w", 2: f"C{tag}", 3: f"Z{tag}"}, at={1: a, 2: c}),
        "eneco": world.deliver("eneco", {1: f"B{tag}e", 2: f"C{tag}e"}, at={1: b, 2: c}),
        "cz": world.deliver("cz", {1: f"U{tag}", 2: f"V{tag}"}),
    }
    v, w, e = deliveries["vivare"], deliveries["vitens"], deliveries["eneco"]
    households = [
        {
            "huishouden": "a" * 26 + tag,
            "address": a,
            "rank": 2,
            "signals": [("vivare", v, 1, 30_000, False), ("vitens", w, 1, 5_050, False)],
        },
        {
            "huishouden": "b" * 26 + tag,
            "address": b,
            "rank": 1,
            "herhaald": True,
            "signals": [("vivare", v, 2, 12_000, False), ("eneco", e, 1, 9_999, True)],
        },
        {
            "huishouden": "c" * 26 + tag,
            "address": c,
            "rank": 1,
            "signals": [("vitens", w, 2, 2_000, False), ("eneco", e, 2, 7_500, False)],
        },
    ]
    world.matches(run_id, households)
    return Scenario(run_id, tag, deliveries, households)


def _id(s: Scenario, n: int) -> str:
    h = s.households[n]
    return case_id(s.run_id, h["address"]["gemeente"], h["huishouden"])


def test_publish_makes_exactly_the_matched_households_visible_per_gemeente(world):
    s = scenario(world)
    published = publish_run(s.run_id, AS_OF, world.deps, s.read)

    assert published.cases == 3
    assert {code: c.cases for code, c in published.gemeenten.items()} == {"GM0202": 2, "GM0268": 1, "GM0796": 0}
    latest = world.runs.latest()
    assert (latest.run_id, latest.as_of, latest.status) == (s.run_id, AS_OF, RunStatus.PUBLISHED)
    assert latest.gemeenten == {"GM0202": 2, "GM0268": 1, "GM0796": 0}
    assert [r.run_id for r in world.runs.runs_for("GM0268")] == [s.run_id]
    assert [r.run_id for r in world.runs.published(AS_OF)] == [s.run_id]
    assert world.runs.published(AS_OF + timedelta(days=1)) == []

    arnhem = world.store.cases(s.run_id, "GM0202")
    assert [(c.id, c.rank) for c in arnhem] == [(_id(s, 1), 1), (_id(s, 0), 2)]
    b = arnhem[0]
    assert [(x.leverancier, x.leverancier_naam, x.klantnummer) for x in b.signalen] == [
        ("eneco", "Eneco", f"K-B{s.tag}e"),
        ("vivare", "Vivare", f"K-B{s.tag}"),
    ]
    assert (b.crisis, b.herhaald, str(b.totaal_bedrag)) == (True, True, "219.99")
    area = s.households[1]["address"]
    assert (b.wijk.code, b.wijk.naam, b.buurt.code, b.buurt.naam) == (
        area["wijk"],
        area["wijknaam"],
        area["buurt"],
        area["buurtnaam"],
    )
    assert (b.adres.postcode, b.adres.huisnummer) == (area["postcode"], area["huisnummer"] or 1)
    assert [c.id for c in world.store.cases(s.run_id, "GM0268")] == [_id(s, 2)]
    assert world.store.cases(s.run_id, "GM0796") == []
    assert world.keys(world.settings.vault_bucket, f"cases/{s.run_id}/") == [
        f"cases/{s.run_id}/GM0202.json",
        f"cases/{s.run_id}/GM0268.json",
    ]
    assert world.keys(world.settings.vault_bucket, f"contacts/{s.run_id}/") == [
        f"contacts/{s.run_id}/GM0202.bin",
        f"contacts/{s.run_id}/GM0268.bin",
    ]

    people = world.store.contacts(s.run_id, "GM0202", _id(s, 0))
    assert [(p.leverancier, p.achternaam, p.straat, p.email) for p in people] == [
        ("vitens", f"AchternaamA{s.tag}w", f"StraatA{s.tag}w", f"A{s.tag}w@example.org"),
        ("vivare", f"AchternaamA{s.tag}", f"StraatA{s.tag}", f"A{s.tag}@example.org"),
    ]
    assert world.store.contacts(s.run_id, "GM0202", "0" * 16) == []
    assert world.store.contacts(s.run_id, "GM0268", _id(s, 0)) == []

    history = pq.read_table(
        io.BytesIO(world.platform.read(world.settings.lake_bucket, f"matches/run={s.run_id}/part-0.parquet"))
    )
    assert history.schema == VORIGE_MATCHES_SCHEMA
    assert sorted(history.to_pylist(), key=lambda r: r["huishouden"]) == [
        {"huishouden": h["huishouden"], "gemeente": h["address"]["gemeente"], "as_of": AS_OF} for h in s.households
    ]


def test_only_the_vault_objects_of_matched_deliveries_are_decrypted(world):
    s = scenario(world)
    world.decrypts.clear()
    publish_run(s.run_id, AS_OF, world.deps, s.read)
    assert len(world.decrypts) == 3  # vivare, vitens, eneco; never cz, never a contacts object


def test_vault_keeps_only_matched_regels_and_deliveries_without_a_match_are_deleted(world):
    s = scenario(world)
    published = publish_run(s.run_id, AS_OF, world.deps, s.read)
    assert (published.vault_trimmed, published.vault_deleted, published.missing_records) == (2, 1, 0)

    assert world.vault.get("vivare", s.deliveries["vivare"])["regel"].to_pylist() == [1, 2]
    assert world.vault.get("vitens", s.deliveries["vitens"])["regel"].to_pylist() == [1, 2]
    assert world.vault.get("eneco", s.deliveries["eneco"])["regel"].to_pylist() == [1, 2]
    with pytest.raises(ClientError):
        world.vault.get("cz", s.deliveries["cz"])
    assert ("cz", s.deliveries["cz"]) not in world.index.present()

    again = publish_run(s.run_id, AS_OF, world.deps, s.read)
    assert (again.vault_trimmed, again.vault_deleted, again.cases) == (0, 0, 3)
    assert [c.id for c in world.store.cases(s.run_id, "GM0202")] == [_id(s, 1), _id(s, 0)]
    assert world.runs.latest().run_id == s.run_id


def test_a_crash_while_writing_gemeenten_leaves_the_previous_run_visible_and_a_rerun_publishes_all(world, monkeypatch):
    first = scenario(world)
    publish_run(first.run_id, AS_OF, world.deps, first.read)
    before = {
        g: world.platform.read(world.settings.vault_bucket, f"cases/{first.run_id}/{g}.json")
        for g in ("GM0202", "GM0268")
    }

    second = scenario(world)
    vault_before = {lev: world.vault.get(lev, levering).num_rows for lev, levering in second.deliveries.items()}
    write = S3CaseStore.write
    calls = []

    def crash_after_first(self, run_id, gemeente, cases, contacts, bsns=None):
        if calls:
            raise ConnectionError("injected crash")
        calls.append(gemeente)
        write(self, run_id, gemeente, cases, contacts, bsns)

    monkeypatch.setattr(S3CaseStore, "write", crash_after_first)
    with pytest.raises(ConnectionError):
        publish_run(second.run_id, AS_OF, world.deps, second.read)
    monkeypatch.undo()

    assert world.runs.latest().run_id == first.run_id
    assert [r.run_id for r in world.runs.published(AS_OF)] == [first.run_id]
    assert [r.status for r in world.runs.runs() if r.run_id == second.run_id] == [RunStatus.PUBLISHING]
    assert world.keys(world.settings.vault_bucket, f"cases/{second.run_id}/") == [
        f"cases/{second.run_id}/{calls[0]}.json"
    ]
    for gemeente, body in before.items():
        assert world.platform.read(world.settings.vault_bucket, f"cases/{first.run_id}/{gemeente}.json") == body
    assert world.store.contacts(first.run_id, "GM0268", _id(first, 2))
    assert {lev: world.vault.get(lev, levering).num_rows for lev, levering in second.deliveries.items()} == vault_before

    world.clock.now += timedelta(minutes=5)
    published = publish_run(second.run_id, AS_OF, world.deps, second.read)
    assert published.cases == 3
    latest = world.runs.latest()
    assert (latest.run_id, latest.published_at) == (second.run_id, world.clock.now)
    assert [c.id for c in world.store.cases(second.run_id, "GM0202")] == [_id(second, 1), _id(second, 0)]
    assert [c.id for c in world.store.cases(second.run_id, "GM0268")] == [_id(second, 2)]
    assert [r.run_id for r in world.runs.runs_for("GM0202")] == [second.run_id, first.run_id]


def test_publish_keeps_bsns_sealed_per_signal_only_for_a_type_that_may_deliver_one(world):
    s = scenario(world)
    world.matches(s.run_id, s.households, types={"vitens": "Zorg"})  # vivare (Huur), eneco: never
    publish_run(s.run_id, AS_OF, world.deps, s.read)

    def bsn(who: str) -> str:
        return f"9{int(hashlib.sha256(who.encode()).hexdigest(), 16) % 10**8:08d}"

    arnhem = [_id(s, 0), _id(s, 1)]
    assert world.store.bsns(s.run_id, "GM0202", arnhem) == {_id(s, 0): {0: bsn(f"A{s.tag}w")}}
    assert world.store.bsns(s.run_id, "GM0268", [_id(s, 2)]) == {_id(s, 2): {1: bsn(f"C{s.tag}")}}  # after eneco
    case = world.store.cases(s.run_id, "GM0202")[1]
    assert (case.id, case.signalen[0].leverancier) == (_id(s, 0), "vitens")  # place 0 is vitens's signal
    for gemeente, one, who in (("GM0202", _id(s, 0), f"A{s.tag}w"), ("GM0268", _id(s, 2), f"C{s.tag}")):
        people = world.store.contacts(s.run_id, gemeente, one)
        assert people and bsn(who) not in json.dumps([p.model_dump(mode="json") for p in people])


def test_a_rerun_of_an_earlier_month_is_published_without_becoming_the_latest(world):
    november = scenario(world)
    publish_run(november.run_id, AS_OF, world.deps, november.read)
    october = scenario(world)
    publish_run(october.run_id, date(2026, 10, 1), world.deps, october.read)
    assert world.runs.latest().run_id == november.run_id
    assert [r.run_id for r in world.runs.published(date(2026, 9, 1))] == [november.run_id, october.run_id]


def test_a_published_run_mails_each_gemeentes_coordinators_once_counts_only(world, caplog, capfd):
    caplog.set_level("DEBUG")
    s = scenario(world)
    published = publish_run(s.run_id, AS_OF, world.deps, s.read)
    stack = world.platform.stack
    registry = parse_registry_toml((world.platform.demo / "registry.toml").read_text())
    users = create_demo_users(stack, registry)
    before = len(mailbox.sent(stack))
    # The workflow's Notify step, twice: a redelivered or replayed event mails nobody again.
    send = sqs_send_task(stack.client("sqs"))
    event = {"soort": "run_gepubliceerd", "publish": published.model_dump(mode="json")}
    for _ in range(2):
        send({"QueueUrl": stack.ref("NotifyQueue"), "MessageBody": event})
    world.platform.runtime.run_until_idle(timeout=60)

    mails = mailbox.sent(stack)[before:]
    coordinators = {u.gemeente: u for u in users if u.role == "coordinator"}
    counted = sorted(code for code in published.gemeenten if code in coordinators)
    assert len(mails) == len(counted) == 3
    by_gemeente = {code: next(m for m in mails if m.to == [coordinators[code].attributes["email"]]) for code in counted}
    utrecht = by_gemeente["GM0202"]
    assert utrecht.sender == stack.ref("MailSender")
    assert "Huishoudens: 2" in utrecht.body and "waarvan herhaald: 1" in utrecht.body
    assert "waarvan crisis: 1" in utrecht.body and "https://" in utrecht.body
    assert "Huishoudens: 0" in by_gemeente["GM0796"].body
    record = json.loads(world.platform.read(world.settings.lake_bucket, f"outbox/gemeente/GM0202/{s.run_id}.json"))
    assert (record["cases"], record["ontvangers"]) == (2, 1)

    mail_text = "\n".join(f"{m.subject}\n{m.body}" for m in mails)
    captured = capfd.readouterr()
    logs = caplog.text + captured.out + captured.err
    personal = {value for value in world.personal if len(value) >= 5}
    addresses = {f"{h['address']['postcode']}" for h in s.households}
    pseudonyms = {h["huishouden"] for h in s.households}
    case_ids = {case.id for code in published.gemeenten for case in world.store.cases(s.run_id, code)}
    assert len(personal) > 50 and case_ids
    for value in personal | addresses | pseudonyms | case_ids:
        assert value not in mail_text
        assert value not in logs


def test_contacts_objects_are_bound_to_their_run_and_gemeente(world):
    s = scenario(world)
    publish_run(s.run_id, AS_OF, world.deps, s.read)
    body = world.platform.read(world.settings.vault_bucket, f"contacts/{s.run_id}/GM0268.bin")
    world.platform.s3.put_object(Bucket=world.settings.vault_bucket, Key=f"contacts/{s.run_id}/GM0202.bin", Body=body)
    with pytest.raises(ClientError):
        world.store.contacts(s.run_id, "GM0202", _id(s, 2))
    assert all(value not in body.decode("latin-1") for value in world.personal if len(value) >= 5)


def test_the_envelope_is_the_vaults_format(world):
    table = pa.table({"regel": pa.array([7], pa.int32())})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    context = {"purpose": "vault", "leverancier": "vivare", "levering": "envelope-test"}
    body = seal(world.kms, world.settings.vault_key_id, context, sink.getvalue())
    world.platform.s3.put_object(Bucket=world.settings.vault_bucket, Key="vault/vivare/envelope-test.bin", Body=body)
    assert world.vault.get("vivare", "envelope-test").equals(table)
    world.vault.delete("vivare", "envelope-test")


# ---------------------------------------------------------------- contacts: one record per case


class WarmStore:
    """A case store as a warm API Lambda holds it, with its own clients, counting what each
    contact view asks of S3 and KMS and which records it decrypts."""

    def __init__(self, world: World, monkeypatch) -> None:
        from chalicelib.adapters.aws import cases as adapter

        stack = world.platform.stack
        self.gets: list[dict] = []
        self.got_bytes: list[int] = []
        self.decrypts: list[str] = []
        self.opened: list[str] = []
        s3, kms = stack.client("s3"), stack.client("kms")
        s3.meta.events.register("provide-client-params.s3.GetObject", lambda params, **_: self.gets.append(params))
        s3.meta.events.register(
            "after-call.s3.GetObject", lambda parsed, **_: self.got_bytes.append(parsed.get("ContentLength", 0))
        )
        kms.meta.events.register("before-call.kms.Decrypt", lambda **_: self.decrypts.append("Decrypt"))
        real = adapter.open_record

        def counting(data_key, context, name, sealed):
            self.opened.append(name)
            return real(data_key, context, name, sealed)

        monkeypatch.setattr(adapter, "open_record", counting)
        self.store = S3CaseStore(s3, kms, world.settings.vault_bucket, world.settings.vault_key_id)

    def reset(self) -> None:
        self.gets.clear(), self.got_bytes.clear(), self.decrypts.clear(), self.opened.clear()


def _surnames(people) -> list[str]:
    return [p.achternaam for p in people]


def _contacts_body(world: World, run_id: str, gemeente: str) -> bytes:
    return world.platform.read(world.settings.vault_bucket, f"contacts/{run_id}/{gemeente}.bin")


def _put_contacts_body(world: World, run_id: str, gemeente: str, body: bytes) -> None:
    world.platform.s3.put_object(Bucket=world.settings.vault_bucket, Key=f"contacts/{run_id}/{gemeente}.bin", Body=body)


def _spans(world: World, run_id: str, gemeente: str, body: bytes):
    _, index = open_index(
        world.kms, world.settings.vault_key_id, {"purpose": "contacts", "run": run_id, "gemeente": gemeente}, body
    )
    return index.spans


def test_a_contact_view_decrypts_only_its_own_case_and_a_warm_one_reads_only_its_record(world, monkeypatch):
    s = scenario(world)
    publish_run(s.run_id, AS_OF, world.deps, s.read)
    warm = WarmStore(world, monkeypatch)
    a, b = _id(s, 0), _id(s, 1)
    size = len(_contacts_body(world, s.run_id, "GM0202"))

    assert _surnames(warm.store.contacts(s.run_id, "GM0202", a)) == [f"AchternaamA{s.tag}w", f"AchternaamA{s.tag}"]
    assert (warm.opened, len(warm.decrypts), warm.got_bytes) == ([a], 1, [size])

    warm.reset()
    assert _surnames(warm.store.contacts(s.run_id, "GM0202", b)) == [f"AchternaamB{s.tag}e", f"AchternaamB{s.tag}"]
    assert (warm.opened, len(warm.decrypts)) == ([b], 1)
    start, end = _spans(world, s.run_id, "GM0202", _contacts_body(world, s.run_id, "GM0202"))[b]
    assert [(g.get("Range"), bool(g.get("IfMatch"))) for g in warm.gets] == [(f"bytes={start}-{end - 1}", True)]
    assert warm.got_bytes == [end - start]

    warm.reset()
    assert warm.store.contacts(s.run_id, "GM0202", "0" * 16) == []
    assert (warm.opened, warm.decrypts, [g.get("Range") for g in warm.gets]) == ([], [], ["bytes=0-0"])


def test_a_tampered_contact_record_fails_loudly_and_the_other_cases_stay_readable(world, monkeypatch):
    s = scenario(world)
    publish_run(s.run_id, AS_OF, world.deps, s.read)
    warm = WarmStore(world, monkeypatch)
    a, b = _id(s, 0), _id(s, 1)
    warm.store.contacts(s.run_id, "GM0202", a)
    body = _contacts_body(world, s.run_id, "GM0202")
    start, end = _spans(world, s.run_id, "GM0202", body)[b]
    middle = (start + end) // 2
    _put_contacts_body(world, s.run_id, "GM0202", body[:middle] + bytes([body[middle] ^ 1]) + body[middle + 1 :])

    for store in (
        warm.store,
        S3CaseStore(world.platform.s3, world.kms, world.settings.vault_bucket, world.settings.vault_key_id),
    ):
        with pytest.raises(InvalidTag):
            store.contacts(s.run_id, "GM0202", b)
        assert _surnames(store.contacts(s.run_id, "GM0202", a)) == [f"AchternaamA{s.tag}w", f"AchternaamA{s.tag}"]

    first_record = min(start for start, _ in _spans(world, s.run_id, "GM0202", body).values())
    _put_contacts_body(
        world, s.run_id, "GM0202", body[: first_record - 1] + bytes([body[first_record - 1] ^ 1]) + body[first_record:]
    )
    with pytest.raises(InvalidTag):
        warm.store.contacts(s.run_id, "GM0202", a)


def test_a_warm_store_follows_its_contacts_object_when_it_is_rewritten_or_deleted(world, monkeypatch):
    s = scenario(world)
    publish_run(s.run_id, AS_OF, world.deps, s.read)
    warm = WarmStore(world, monkeypatch)
    a, b = _id(s, 0), _id(s, 1)
    cases = world.store.cases(s.run_id, "GM0202")
    people = {case.id: world.store.contacts(s.run_id, "GM0202", case.id) for case in cases}
    assert warm.store.contacts(s.run_id, "GM0202", b) == people[b]

    world.store.keep(s.run_id, "GM0202", {a})
    assert warm.store.contacts(s.run_id, "GM0202", b) == []
    assert warm.store.contacts(s.run_id, "GM0202", a) == people[a]

    world.store.write(s.run_id, "GM0202", cases, people)  # b is back, but not in the index the warm store holds
    assert warm.store.contacts(s.run_id, "GM0202", b) == people[b]

    world.store.delete(s.run_id, "GM0202")
    assert warm.store.contacts(s.run_id, "GM0202", a) == []


# ---------------------------------------------------------------- retention


def _retain(world: World, today: date, outcomes: dict | None = None):
    deps = world.retention_deps
    if outcomes is not None:
        deps = RetentionDeps(
            runs=deps.runs,
            store=deps.store,
            lake=deps.lake,
            signals=deps.signals,
            vault=deps.vault,
            vault_index=deps.vault_index,
            outcomes=Outcomes(outcomes),
        )
    return apply_retention(today, deps, RetentionPeriods())


def _publish_on(world, s: Scenario, as_of: date) -> None:
    world.clock.now = datetime.combine(as_of, datetime.min.time(), UTC) + timedelta(hours=6)
    publish_run(s.run_id, as_of, world.deps, s.read)


def test_cases_never_picked_up_go_six_months_after_their_run_not_a_day_earlier(world):
    s = scenario(world)
    _publish_on(world, s, date(2026, 5, 31))
    assert _retain(world, date(2026, 11, 29)).cases == 0
    assert len(world.keys(world.settings.vault_bucket, f"cases/{s.run_id}/")) == 2

    removed = _retain(world, date(2026, 11, 30))
    assert removed.cases == 3
    assert world.keys(world.settings.vault_bucket, f"cases/{s.run_id}/") == []
    assert world.keys(world.settings.vault_bucket, f"contacts/{s.run_id}/") == []
    assert _retain(world, date(2026, 12, 1)).cases == 0
    assert world.runs.latest().run_id == s.run_id


def test_cases_with_an_outcome_stay_until_eighteen_months_after_it(world):
    s = scenario(world)
    _publish_on(world, s, date(2026, 5, 31))
    a, b, c = (_id(s, n) for n in range(3))
    outcome = date(2026, 7, 15)
    outcomes = {a: outcome, c: None}

    assert _retain(world, date(2026, 11, 30), outcomes).cases == 1
    assert [x.id for x in world.store.cases(s.run_id, "GM0202")] == [a]
    assert world.store.contacts(s.run_id, "GM0202", a) and world.store.contacts(s.run_id, "GM0202", b) == []
    assert [x.id for x in world.store.cases(s.run_id, "GM0268")] == [c]

    assert _retain(world, date(2028, 1, 14), outcomes).cases == 0
    assert [x.id for x in world.store.cases(s.run_id, "GM0202")] == [a]
    assert _retain(world, date(2028, 1, 15), outcomes).cases == 1
    assert world.keys(world.settings.vault_bucket, f"cases/{s.run_id}/") == [f"cases/{s.run_id}/GM0268.json"]
    assert world.keys(world.settings.vault_bucket, f"contacts/{s.run_id}/") == [f"contacts/{s.run_id}/GM0268.bin"]


def test_leftovers_of_a_crashed_run_go_once_it_is_more_than_a_day_old(world, monkeypatch):
    published = scenario(world)
    _publish_on(world, published, date(2026, 11, 1))
    crashed = scenario(world)
    world.clock.now = datetime(2026, 11, 1, 23, 30, tzinfo=UTC)

    def crash(*_):
        raise TimeoutError("injected crash")

    monkeypatch.setattr(S3RunLake, "write_match_history", crash)
    with pytest.raises(TimeoutError):
        publish_run(crashed.run_id, AS_OF, world.deps, crashed.read)
    monkeypatch.undo()
    world.lake.write_match_history(crashed.run_id, VORIGE_MATCHES_SCHEMA.empty_table())
    prefixes = [
        (world.settings.vault_bucket, f"cases/{crashed.run_id}/"),
        (world.settings.vault_bucket, f"contacts/{crashed.run_id}/"),
        (world.settings.lake_bucket, f"runs/{crashed.run_id}/"),
        (world.settings.lake_bucket, f"matches/run={crashed.run_id}/"),
    ]
    assert all(world.keys(bucket, prefix) for bucket, prefix in prefixes)

    assert _retain(world, date(2026, 11, 2)).unpublished_runs == 0
    assert all(world.keys(bucket, prefix) for bucket, prefix in prefixes)

    removed = _retain(world, date(2026, 11, 3))
    assert (removed.unpublished_runs, removed.unpublished_objects) == (1, 2 + 2 + 2 + 1)
    assert not any(world.keys(bucket, prefix) for bucket, prefix in prefixes)
    assert [r.run_id for r in world.runs.runs()] == [published.run_id]
    assert len(world.keys(world.settings.vault_bucket, f"cases/{published.run_id}/")) == 2
    assert world.runs.latest().run_id == published.run_id


def test_a_published_runs_pseudonymous_files_go_after_190_days_and_vault_objects_after_the_last_window(world):
    s = scenario(world)
    _publish_on(world, s, AS_OF)
    old = world.deliver("vitens", {1: "Oud" + uuid.uuid4().hex[:6]}, peildatum=date(2026, 5, 1))
    unreported = world.deliver("vitens", {1: "Los" + uuid.uuid4().hex[:6]}, peildatum=None)
    last_window = date(2026, 5, 1) + timedelta(days=46)

    _retain(world, last_window - timedelta(days=1))
    assert ("vitens", old) in world.index.present()
    _retain(world, last_window)
    assert ("vitens", old) not in world.index.present()
    assert ("vitens", unreported) in world.index.present()
    assert world.keys(world.settings.lake_bucket, f"runs/{s.run_id}/")

    run_day_190 = AS_OF + timedelta(days=190)
    assert _retain(world, run_day_190 - timedelta(days=1)).run_files == 0
    assert _retain(world, run_day_190).run_files == 3
    assert world.keys(world.settings.lake_bucket, f"runs/{s.run_id}/") == []
    assert world.keys(world.settings.lake_bucket, f"matches/run={s.run_id}/") == []


def test_case_store_reuses_parsed_cases_until_the_object_changes(world, monkeypatch):
    from chalicelib.adapters.aws import cases as adapter

    s = scenario(world)
    _publish_on(world, s, AS_OF)
    gemeente = world.store.gemeenten(s.run_id)[0]
    real = adapter._GemeenteCases
    parses = []

    class Counting:
        @staticmethod
        def model_validate_json(body):
            parses.append(1)
            return real.model_validate_json(body)

        def __new__(cls, *args, **kwargs):
            return real(*args, **kwargs)

    monkeypatch.setattr(adapter, "_GemeenteCases", Counting)
    first = world.store.cases(s.run_id, gemeente)
    assert world.store.cases(s.run_id, gemeente) == first
    assert len(parses) == 1
    world.store.keep(s.run_id, gemeente, {first[0].id})
    parsed_before = len(parses)
    assert [case.id for case in world.store.cases(s.run_id, gemeente)] == [first[0].id]
    assert len(parses) == parsed_before + 1
