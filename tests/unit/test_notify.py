"""The notify function's logic with in-memory ports: the run mail (once per gemeente and run,
counts only), the daily files, and the suppliers with a convenant that stopped delivering."""

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.audit import Outcome
from chalicelib.domain.casework import SupplierMessage
from chalicelib.domain.notify import RunCounts, daily_csv, daily_json, missing_deliveries, run_mail
from chalicelib.services.notify import Counts, NotifyDeps, RunPublished, mail_run, tell_suppliers
from tests.fakes import MemoryDeliveries, MemoryOutbox, MemoryRegistry, api_client, assert_error, get


class Mails:
    def __init__(self, fail=False):
        self.sent, self.fail = [], fail

    def send(self, to, subject, body):
        if self.fail:
            raise RuntimeError("SES throttled")
        self.sent.append((list(to), subject, body))
        return f"m-{len(self.sent)}"


class MailLog:
    def __init__(self):
        self.records = {}

    def claim(self, gemeente, run_id, record):
        if (gemeente, run_id) in self.records:
            return False
        self.records[(gemeente, run_id)] = dict(record)
        return True

    def release(self, gemeente, run_id):
        del self.records[(gemeente, run_id)]


class Coordinators:
    def addresses(self, gemeente):
        return {"GM0202": ["coord@arnhem.example"], "GM0268": ["a@nijmegen.example", "b@nijmegen.example"]}.get(
            gemeente, []
        )


PUBLISHED = RunPublished(
    run_id="20261101-x",
    as_of=date(2026, 11, 1),
    gemeenten={
        "GM0202": Counts(cases=12, nieuw=9, herhaald=3, crisis=2),
        "GM0268": Counts(cases=0),
        "GM0999": Counts(cases=4, nieuw=4),
    },
)


def deps(registry, mailer, log=None):
    return NotifyDeps(
        outbox=MemoryOutbox(),
        mail_log=log or MailLog(),
        coordinators=Coordinators(),
        mailer=mailer,
        registry=MemoryRegistry(registry),
        deliveries=MemoryDeliveries(),
        page_url="https://vindplaats.example.org/",
    )


def test_a_run_mails_each_gemeente_with_coordinators_once_even_when_the_event_comes_again(registry):
    mails, log = Mails(), MailLog()
    first = mail_run(deps(registry, mails, log), PUBLISHED)
    again = mail_run(deps(registry, mails, log), PUBLISHED)
    assert (first.mailed, first.without_recipients, again.mailed, again.already) == (2, 1, 0, 2)
    assert [to for to, _, _ in mails.sent] == [["coord@arnhem.example"], ["a@nijmegen.example", "b@nijmegen.example"]]
    _, subject, body = mails.sent[0]
    assert "Arnhem" in subject and "2026-11-01" in subject
    assert "Huishoudens: 12" in body and "waarvan crisis: 2" in body and "waarvan herhaald: 3" in body
    assert "https://vindplaats.example.org/" in body
    assert log.records[("GM0202", "20261101-x")]["ontvangers"] == 1


def test_a_failed_send_gives_the_record_back_so_the_redelivery_mails(registry):
    log = MailLog()
    with pytest.raises(RuntimeError):
        mail_run(deps(registry, Mails(fail=True), log), PUBLISHED)
    assert log.records == {}
    mails = Mails()
    assert mail_run(deps(registry, mails, log), PUBLISHED).mailed == 2


def test_the_mail_says_counts_and_a_link_only():
    counts = RunCounts(run_id="r", as_of=date(2026, 5, 1), gemeente="GM0202", cases=3, nieuw=2, herhaald=1, crisis=0)
    mail = run_mail(counts, "Arnhem", "https://p.example/")
    assert mail.body.count("\n") < 20 and "Beste coördinator" in mail.body
    digits = {token for token in mail.body.replace(":", " ").split() if token.isdigit()}
    assert digits == {"3", "2", "1", "0"}


def message(n, soort="benaderd"):
    return SupplierMessage(
        id=f"id-{n}",
        klantnummer=f"K{n}",
        gemeente="GM0202",
        soort=soort,
        datum=date(2026, 11, 3),
        tijdstip=datetime(2026, 11, 3, 9, n, tzinfo=UTC),
        pauze_tot=date(2026, 12, 3) if soort == "benaderd" else None,
        resultaat=None if soort == "benaderd" else "Niet opgepakt",
    )


def test_each_event_rebuilds_the_day_file_from_all_of_the_days_entries_and_a_replay_adds_nothing():
    outbox = MemoryOutbox()
    tell_suppliers(outbox, [("vitens", message(1))])
    tell_suppliers(outbox, [("vitens", message(2, "resultaat")), ("eneco", message(3))])
    tell_suppliers(outbox, [("vitens", message(2, "resultaat"))])  # redelivered
    day = outbox.daily[("vitens", date(2026, 11, 3))]
    assert [m.id for m in day] == ["id-1", "id-2"]
    assert [m.id for m in outbox.daily[("eneco", date(2026, 11, 3))]] == ["id-3"]
    assert daily_json(day).decode().count('"klantnummer"') == 2
    lines = daily_csv(day).decode().splitlines()
    assert lines[0] == "id;klantnummer;gemeente;soort;datum;tijdstip;pauze_tot;resultaat"
    assert lines[2].split(";")[1:4] == ["K2", "GM0202", "resultaat"] and lines[2].endswith(";;Niet opgepakt")


def test_suppliers_with_an_active_convenant_and_no_delivery_in_35_days_are_missing(registry):
    today = date(2026, 11, 20)
    last = {"vitens": date(2026, 10, 16), "vivare": date(2026, 10, 15), "eneco": date(2026, 1, 2)}
    missing = missing_deliveries(registry, last, today)
    # vitens delivered 35 days ago (in time), vivare 36 (late); eneco's convenant ended.
    assert [(m.leverancier, m.dagen, m.gemeenten) for m in missing] == [("vivare", 36, ["GM0202"])]
    never = missing_deliveries(registry, {}, today)
    assert [(m.leverancier, m.laatste_levering) for m in never] == [("vitens", None), ("vivare", None)]


def test_operators_get_the_missing_deliveries_and_nobody_else_does_each_request_audited(registry):
    from tests.fakes import MemoryAuditLog, MemoryCaseStore, MemoryRuns

    audit = MemoryAuditLog()
    with api_client(
        MemoryCaseStore([]),
        MemoryRuns(),
        audit,
        registry=MemoryRegistry(registry),
        deliveries=MemoryDeliveries({"vitens": date(2026, 11, 1)}),
    ) as client:
        status, body = get(client, "/api/leveringen/ontbrekend", "operator")
        assert status == 200, body
        assert body["dagen"] == 35
        assert [entry["leverancier"] for entry in body["leveranciers"]] == ["vivare"]
        for token in ("coord-utrecht", "supplier", "team-noord"):
            assert_error(get(client, "/api/leveringen/ontbrekend", token), 403)
    assert [(e.route, e.outcome, e.role, e.count) for e in audit.events] == [
        ("GET /api/leveringen/ontbrekend", Outcome.ALLOWED, "operator", 1),
        *[
            ("GET /api/leveringen/ontbrekend", Outcome.DENIED, role, None)
            for role in ("coordinator", "leverancier", "wijkteam")
        ],
    ]
