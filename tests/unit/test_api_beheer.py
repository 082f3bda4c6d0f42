"""The supplier's list of its deliveries and the operators' views, through the API on in-memory
ports: shapes, bounds, newest first, roles, one audit event a request, and no personal data."""

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.audit import Outcome
from chalicelib.domain.cases import RunInfo, RunStatus
from chalicelib.domain.report import Counts, Finding, Report, Status
from chalicelib.domain.upload import UploadKey, new_levering_id
from tests.fakes import (
    EDE,
    OLD_RUN,
    RUN,
    UTRECHT,
    MemoryAuditLog,
    MemoryCaseStore,
    MemoryDeliveries,
    MemoryQuarantine,
    MemoryRegistry,
    MemoryRuns,
    api_client,
    assert_error,
    get,
)

NOW = datetime(2026, 11, 20, 9, tzinfo=UTC)  # the next run is for 2026-12-01
ROUTES = [
    "/api/leveringen/ontbrekend",
    "/api/beheer/runs",
    "/api/beheer/leveringen",
    "/api/beheer/quarantaine",
    "/api/beheer/register",
]


def levering(day: date, minute: int = 0) -> str:
    return new_levering_id(datetime(day.year, day.month, day.day, 8, minute, tzinfo=UTC))


def report(leverancier, levering_id, status=Status.ACCEPTED, peildatum=None, rejection=None, read=10):
    return Report(
        leverancier=leverancier,
        levering=levering_id,
        bestand=f"{leverancier}.csv",
        status=status,
        peildatum=None if peildatum is None else peildatum.isoformat(),
        rejection=rejection,
        counts=Counts(read=read, accepted=0 if status is Status.REJECTED else read),
        # A finding's message may quote the file; no list view may carry it.
        errors=[Finding(line=2, column="postcode", code="postcode_invalid", message="Jansen woont hier niet")],
    )


MISSING_COLUMN = Finding(code="column_missing", column="bedrag", message="Verplichte kolom ontbreekt in de kopregel.")
OCT_20, NOV_2, NOV_10, NOV_12 = (
    levering(date(2026, 10, 20)),
    levering(date(2026, 11, 2)),
    levering(date(2026, 11, 10)),
    levering(date(2026, 11, 12)),
)
REPORTS = [
    report("vitens", OCT_20, peildatum=date(2026, 10, 15)),  # outside the next run's window
    report("vitens", NOV_2, Status.ACCEPTED_WITH_ERRORS, peildatum=date(2026, 11, 1)),  # what the next run reads
    report("vitens", NOV_12, Status.REJECTED, rejection=MISSING_COLUMN),
    report("vivare", NOV_10, peildatum=date(2026, 11, 10)),
]


@pytest.fixture
def audit():
    return MemoryAuditLog()


@pytest.fixture
def client(audit, registry):
    runs = MemoryRuns()
    runs._runs.append(
        RunInfo(
            run_id="20261201-stuck",
            as_of=date(2026, 9, 1),
            status=RunStatus.PUBLISHING,
            begun_at=NOW - timedelta(days=3),
        )
    )
    with api_client(
        MemoryCaseStore([]),
        runs,
        audit,
        clock=lambda: NOW,
        registry=MemoryRegistry(registry),
        # vitens delivered on 2 November; vivare's last is long ago: its convenant makes it missing.
        deliveries=MemoryDeliveries({"vitens": date(2026, 11, 2), "vivare": date(2026, 10, 1)}, REPORTS),
        quarantine=MemoryQuarantine(
            [
                (UploadKey("vitens", NOV_12, "vitens.csv"), 1234),
                (UploadKey("eneco", levering(date(2026, 11, 14)), "eneco.csv"), 99),  # its report is gone
                (UploadKey("vitens", "not-ours", "x.csv"), 1),
            ]
        ),
    ) as test_client:
        yield test_client


def test_a_supplier_lists_its_own_deliveries_newest_first_and_which_one_the_next_run_reads(client, audit):
    status, body = get(client, "/api/uploads", "supplier")  # vitens
    assert status == 200, body
    assert body["volgende_run_as_of"] == "2026-12-01" and body["truncated"] is False
    assert [(d["levering"], d["status"], d["volgende_run"]) for d in body["leveringen"]] == [
        (NOV_12, "rejected", False),
        (NOV_2, "accepted_with_errors", True),
        (OCT_20, "accepted", False),
    ]
    assert body["leveringen"][1] == {
        "levering": NOV_2,
        "bestand": "vitens.csv",
        "ontvangen": "2026-11-02",
        "status": "accepted_with_errors",
        "peildatum": "2026-11-01",
        "counts": {"read": 10, "accepted": 10, "rejected": 0, "warnings": 0},
        "volgende_run": True,
    }
    assert NOV_10 not in str(body) and "Jansen" not in str(body)  # vivare's, and a finding
    (event,) = audit.events
    assert (event.route, event.outcome, event.count, event.tenant) == ("GET /api/uploads", Outcome.ALLOWED, 3, "vitens")


def test_a_supplier_sees_its_newest_100_deliveries(audit):
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)
    many = [report("vitens", new_levering_id(start + timedelta(minutes=n))) for n in range(101)]
    with api_client(MemoryCaseStore([]), MemoryRuns(), audit, deliveries=MemoryDeliveries(reports=many)) as client:
        status, body = get(client, "/api/uploads", "supplier")
    assert status == 200 and body["truncated"] is True
    assert [d["levering"] for d in body["leveringen"]] == sorted((r.levering for r in many), reverse=True)[:100]


def test_operators_see_every_run_with_its_counts_and_a_stopped_one_says_so(client, audit):
    status, body = get(client, "/api/beheer/runs", "operator")
    assert status == 200, body
    assert body["truncated"] is False
    assert [(r["run_id"], r["status"], r["cases"], r["failure"]) for r in body["runs"]] == [
        (RUN, "published", len(UTRECHT) + len(EDE), None),
        (OLD_RUN, "published", 1, None),
        ("20261201-stuck", "publishing", 0, "niet gepubliceerd"),
    ]
    assert body["runs"][0]["gemeenten"] == {"GM0202": len(UTRECHT), "GM0268": len(EDE)}
    assert body["runs"][0]["published_at"] is None and body["runs"][2]["begun_at"] == "2026-11-17T09:00:00Z"
    (event,) = audit.events
    assert (event.route, event.outcome, event.count) == ("GET /api/beheer/runs", Outcome.ALLOWED, 3)


def test_operators_see_every_supplier_with_its_deliveries_of_the_month_and_whether_it_is_missing(client, audit):
    status, body = get(client, "/api/beheer/leveringen", "operator")
    assert status == 200, body
    assert (body["maand"], body["peildatum"], body["dagen"]) == ("2026-11", "2026-11-20", 35)
    by_id = {entry["leverancier"]: entry for entry in body["leveranciers"]}
    assert list(by_id) == ["eneco", "vitens", "vivare"]
    assert [d["levering"] for d in by_id["vitens"]["leveringen"]] == [NOV_12, NOV_2]
    assert by_id["vitens"]["leveringen"][0]["status"] == "rejected"
    assert {k: by_id["vitens"][k] for k in ("naam", "convenant_actief", "laatste_levering", "ontbreekt")} == {
        "naam": "Vitens",
        "convenant_actief": True,
        "laatste_levering": "2026-11-02",
        "ontbreekt": False,
    }
    # vivare: an active convenant and 50 days without an accepted delivery; eneco's convenant ended.
    assert (by_id["vivare"]["ontbreekt"], by_id["vivare"]["convenant_actief"]) == (True, True)
    assert (by_id["eneco"]["ontbreekt"], by_id["eneco"]["convenant_actief"]) == (False, False)
    assert "Jansen" not in str(body)
    october = get(client, "/api/beheer/leveringen?maand=2026-10", "operator")[1]
    assert [d["levering"] for e in october["leveranciers"] for d in e["leveringen"]] == [OCT_20]
    assert [(e.route, e.count, e.filters) for e in audit.events] == [
        ("GET /api/beheer/leveringen", 3, {"maand": "2026-11"}),
        ("GET /api/beheer/leveringen", 1, {"maand": "2026-10"}),
    ]


@pytest.mark.parametrize("maand", ["2026-13", "2026-1", "1999-12", "2026-11-01", ""])
def test_a_month_is_written_yyyy_mm_in_this_century(client, maand):
    assert_error(get(client, f"/api/beheer/leveringen?maand={maand}", "operator"), 400)


def test_operators_see_what_quarantine_holds_with_the_reason_from_its_report(client, audit):
    status, body = get(client, "/api/beheer/quarantaine", "operator")
    assert status == 200, body
    assert body["truncated"] is False
    assert [(f["leverancier"], f["bytes"], f["reden"]["code"]) for f in body["bestanden"]] == [
        ("eneco", 99, "reason_unknown"),
        ("vitens", 1234, "column_missing"),
    ]
    assert body["bestanden"][1] == {
        "leverancier": "vitens",
        "levering": NOV_12,
        "bestand": "vitens.csv",
        "ontvangen": "2026-11-12",
        "reden": {"code": "column_missing", "message": "Verplichte kolom ontbreekt in de kopregel."},
        "bytes": 1234,
    }
    (event,) = audit.events
    assert (event.route, event.count) == ("GET /api/beheer/quarantaine", 2)


def test_operators_read_the_registry_with_each_convenant_active_or_not(client, audit, registry):
    status, body = get(client, "/api/beheer/register", "operator")
    assert status == 200, body
    assert [g["code"] for g in body["gemeenten"]] == ["GM0202", "GM0268"]
    assert body["gemeenten"][1] == {
        "code": "GM0268",
        "naam": "Nijmegen",
        "min_leveranciers": 3,
        "min_dagen": 10,
        "max_dagen": 200,
        "min_bedrag": 0.0,
        "signaaltypen": ["Water"],
        "venster": {},
    }
    assert {"id": "vitens", "naam": "Vitens", "signaaltype": "Water", "max_fout_percentage": 10.0} in body[
        "leveranciers"
    ]
    eneco = next(c for c in body["convenanten"] if c["leverancier"] == "eneco")
    assert eneco == {
        "gemeente": "GM0202",
        "leverancier": "eneco",
        "vanaf": "2026-01-01",
        "tot": "2026-10-31",
        "actief": False,
    }
    assert sum(c["actief"] for c in body["convenanten"]) == len(registry.active_convenanten(NOW.date()))
    assert "@" not in str(body)
    (event,) = audit.events
    assert (event.route, event.outcome) == ("GET /api/beheer/register", Outcome.ALLOWED)


@pytest.mark.parametrize("path", ROUTES)
@pytest.mark.parametrize("token", ["coord-utrecht", "team-noord", "supplier"])
def test_only_operators_may_use_the_operator_views_and_a_refusal_is_audited(client, audit, path, token):
    assert_error(get(client, path, token), 403, "forbidden")
    (event,) = audit.events
    assert (event.outcome, event.route) == (Outcome.DENIED, f"GET {path}")


@pytest.mark.parametrize("token", ["coord-utrecht", "team-noord", "operator"])
def test_only_a_supplier_lists_deliveries(client, audit, token):
    assert_error(get(client, "/api/uploads", token), 403, "forbidden")
    assert [e.outcome for e in audit.events] == [Outcome.DENIED]
