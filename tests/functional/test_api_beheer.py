"""A supplier's list of its deliveries and the operators' views, on real data: the adapters on
moto (report summaries from a report's first bytes, the quarantine listing), and the API function
on the local stack after the demo's deliveries went through ingest and a month's run published.

On the stack every supplier delivers its demo files now, except menzis, whose convenant is active:
it is missing. belastingsamenwerking-gelderland delivers twice, the first file rejected (a column
named wrongly) and so quarantined; eneco's file has no peildatum, so it is today's, which the next
monthly run reads.
"""

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.reports import S3Reports, report_key
from chalicelib.adapters.aws.uploads import S3Uploads
from chalicelib.domain.leveringen import next_run_as_of
from chalicelib.domain.registry import parse_registry_toml
from chalicelib.domain.report import MAX_FINDINGS, Counts, Finding, Report, ReportSummary, Status
from chalicelib.domain.upload import QuarantinedUpload, UploadKey, new_levering_id
from infra import actions
from infra.local.driver import local_workflow
from infra.local.users import create_demo_users, sign_in
from tests.fakes import api_event, sent_headers

REGION = "eu-west-1"
AS_OF = date(2026, 11, 1)  # the demo's month
BSGR = "belastingsamenwerking-gelderland"
MISSING = "menzis"


# ---------------------------------------------------------------- the adapters on moto


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        for bucket in ("lake", "uploads"):
            client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield client


def rejected_report(levering: str, findings: int) -> Report:
    errors = [
        Finding(line=n, column="postcode", code="postcode_invalid", message="Postcode ongeldig.")
        for n in range(findings)
    ]
    return Report(
        leverancier="vitens",
        levering=levering,
        bestand="vitens-november.csv",
        status=Status.REJECTED,
        peildatum="2026-11-01",
        # A message may hold anything, even the text that ends a summary: it is escaped in JSON.
        rejection=Finding(code="too_many_errors", message='Kolom "x,"errors":[" is afgekeurd.'),
        counts=Counts(read=findings, rejected=findings),
        errors=errors,
        errors_per_code={"postcode_invalid": findings},
    )


def test_a_summary_is_read_from_the_first_bytes_of_even_the_largest_report(s3):
    reports = S3Reports(s3, "lake")
    report = rejected_report(new_levering_id(datetime(2026, 11, 2, tzinfo=UTC)), MAX_FINDINGS)
    reports.write(report)
    size = s3.head_object(Bucket="lake", Key=report_key("vitens", report.levering))["ContentLength"]
    gets = sent_headers(s3, "GetObject")
    assert reports.summary("vitens", report.levering) == ReportSummary.of(report)
    assert [headers.get("range") for headers in gets] == ["bytes=0-16383"] and size > 100_000


def test_a_report_not_written_as_report_writes_it_is_read_whole(s3):
    reports = S3Reports(s3, "lake")
    report = rejected_report("20261102T000000000000-aaaa", 3)
    body = json.dumps({"errors": [], **report.model_dump(mode="json")}).encode()  # the lists first
    s3.put_object(Bucket="lake", Key=report_key("vitens", report.levering), Body=body)
    gets = sent_headers(s3, "GetObject")
    assert reports.summary("vitens", report.levering) == ReportSummary.of(report)
    assert [headers.get("range") for headers in gets] == ["bytes=0-16383", None]
    assert reports.summary("vitens", "20261102T000000000000-none") is None


def test_a_suppliers_deliveries_are_listed_oldest_first_within_a_month(s3):
    reports = S3Reports(s3, "lake")
    ids = [new_levering_id(datetime(2026, month, day, tzinfo=UTC)) for month, day in ((10, 31), (11, 1), (11, 30))]
    for levering in reversed(ids):
        reports.write(rejected_report(levering, 1))
    reports.write(rejected_report(ids[1], 1).model_copy(update={"leverancier": "vivare"}))
    s3.put_object(Bucket="lake", Key="reports/vitens/notes/readme.json", Body=b"{}")
    assert reports.leveringen("vitens") == ids
    assert reports.leveringen("vitens", "202611") == ids[1:]
    assert reports.leveringen("eneco") == []


def test_quarantine_is_listed_with_each_files_size_and_nothing_else(s3):
    uploads = S3Uploads(s3, "uploads")
    key = UploadKey("vitens", "20261102T000000000000-aaaa", "vitens.csv")
    s3.put_object(Bucket="uploads", Key=key.incoming_key(), Body=b"x" * 321)
    uploads.quarantine(key.incoming_key(), key, "column_missing")
    s3.put_object(Bucket="uploads", Key="quarantine/stray.csv", Body=b"?")
    s3.put_object(Bucket="uploads", Key="incoming/vivare/20261103T000000000000-bbbb/v.csv", Body=b"y")
    gets = sent_headers(s3, "GetObject")
    assert uploads.quarantined() == [QuarantinedUpload(upload=key, bytes=321)]
    assert gets == []  # the listing names and sizes the files; no file is read


# ---------------------------------------------------------------- the API on the local stack


@pytest.fixture(scope="module")
def stack(platform):
    """The demo's deliveries (all but the missing supplier's) through ingest, the demo month's
    run, the demo users; then (platform, tokens, what was delivered)."""
    delivered = {}
    for leverancier, path in actions.deliveries(platform.demo / "leveringen"):
        if leverancier != MISSING:
            delivered.setdefault(leverancier, []).append(platform.deliver(leverancier, path))
    output = local_workflow(platform.stack, platform.runtime.invoke, sleep=lambda s: None).run(
        {"as_of": AS_OF.isoformat()}
    )
    platform.runtime.run_until_idle()
    registry = parse_registry_toml((platform.demo / "registry.toml").read_text(encoding="utf-8"))
    create_demo_users(platform.stack, registry)
    tokens = {name: sign_in(platform.stack, name) for name in ("operator", f"leverancier-{BSGR}", "leverancier-eneco")}
    tokens["coordinator"] = sign_in(platform.stack, "coordinator-gm0202")
    return platform, tokens, delivered, output, registry


def call(stack, path: str, token: str, query: dict[str, str] | None = None) -> tuple[int, dict]:
    platform, tokens, *_ = stack
    response = platform.runtime.invoke("ApiFunction", api_event("GET", path, path, tokens[token], query=query))
    body = response["body"]
    for personal in platform.summary.persoonsgegevens():
        assert personal not in body, (path, personal)
    return response["statusCode"], json.loads(body)


def today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Europe/Amsterdam")).date()


def test_a_supplier_lists_both_its_deliveries_newest_first_the_rejected_one_too(stack):
    _, _, delivered, *_ = stack
    status, body = call(stack, "/api/uploads", f"leverancier-{BSGR}")
    assert status == 200, body
    first, second = delivered[BSGR]
    assert [(d["levering"], d["bestand"], d["status"]) for d in body["leveringen"]] == [
        (second[0].levering, second[0].path.name, second[1].status.value),
        (first[0].levering, first[0].path.name, "rejected"),
    ]
    assert body["leveringen"][0]["counts"] == second[1].counts.model_dump()
    assert body["leveringen"][0]["peildatum"] == second[1].peildatum
    assert {d["ontvangen"] for d in body["leveringen"]} == {today().isoformat()}
    assert body["volgende_run_as_of"] == next_run_as_of(today()).isoformat() and body["truncated"] is False
    # Its peildatum lies before the next run's window: that run reads none of these.
    assert [d["volgende_run"] for d in body["leveringen"]] == [False, False]


def test_a_delivery_of_today_is_the_one_the_next_run_reads(stack):
    _, _, delivered, *_ = stack
    status, body = call(stack, "/api/uploads", "leverancier-eneco")
    assert status == 200, body
    ((upload, report),) = delivered["eneco"]
    assert report.peildatum == today().isoformat() and report.status is not Status.REJECTED
    assert [(d["levering"], d["volgende_run"]) for d in body["leveringen"]] == [(upload.levering, True)]


def test_operators_see_the_published_run_with_its_counts(stack):
    *_, output, _ = stack
    status, body = call(stack, "/api/beheer/runs", "operator")
    assert status == 200, body
    ((run,),) = [body["runs"]]
    summary = output["publish"]["summary"]
    counts = {code: entry["cases"] for code, entry in summary["gemeenten"].items()}
    assert (run["run_id"], run["as_of"], run["status"], run["failure"]) == (
        summary["run_id"],
        AS_OF.isoformat(),
        "published",
        None,
    )
    assert run["gemeenten"] == counts and run["cases"] == sum(counts.values()) > 0
    assert run["begun_at"] <= run["published_at"] and body["truncated"] is False


def test_operators_see_every_supplier_with_this_months_deliveries_and_the_missing_one(stack):
    *_, delivered, _, registry = stack
    status, body = call(stack, "/api/beheer/leveringen", "operator")
    assert status == 200, body
    assert (body["maand"], body["peildatum"], body["dagen"]) == (today().isoformat()[:7], today().isoformat(), 35)
    by_id = {entry["leverancier"]: entry for entry in body["leveranciers"]}
    assert list(by_id) == sorted(entry.id for entry in registry.leveranciers)
    for leverancier, uploads in delivered.items():
        assert [d["levering"] for d in by_id[leverancier]["leveringen"]] == [
            upload.levering for upload, _ in reversed(uploads)
        ]
        accepted = any(report.status is not Status.REJECTED for _, report in uploads)
        assert by_id[leverancier]["laatste_levering"] == (today().isoformat() if accepted else None)
        assert by_id[leverancier]["ontbreekt"] is (not accepted and by_id[leverancier]["convenant_actief"])
    missing = by_id[MISSING]
    assert (missing["leveringen"], missing["laatste_levering"], missing["convenant_actief"], missing["ontbreekt"]) == (
        [],
        None,
        True,
        True,
    )
    listed = call(stack, "/api/leveringen/ontbrekend", "operator")[1]
    assert {entry["leverancier"] for entry in listed["leveranciers"]} == {
        entry["leverancier"] for entry in body["leveranciers"] if entry["ontbreekt"]
    }
    last_month = (today().replace(day=1) - timedelta(days=1)).isoformat()[:7]
    status, earlier = call(stack, "/api/beheer/leveringen", "operator", {"maand": last_month})
    assert status == 200 and earlier["maand"] == last_month
    assert [d for entry in earlier["leveranciers"] for d in entry["leveringen"]] == []


def test_operators_see_the_quarantined_file_with_the_reason_its_report_gives(stack):
    platform, _, delivered, *_ = stack
    status, body = call(stack, "/api/beheer/quarantaine", "operator")
    assert status == 200, body
    upload, report = delivered[BSGR][0]
    (held,) = body["bestanden"]
    assert held == {
        "leverancier": BSGR,
        "levering": upload.levering,
        "bestand": upload.path.name,
        "ontvangen": today().isoformat(),
        "reden": {"code": report.rejection.code, "message": report.rejection.message},
        "bytes": upload.path.stat().st_size,
    }
    assert held["reden"]["code"] == "column_missing"
    assert platform.keys(platform.settings.upload_bucket, "quarantine/") == [
        f"quarantine/{BSGR}/{upload.levering}/{upload.path.name}"
    ]


def test_operators_read_the_registry_as_imported(stack):
    *_, registry = stack
    status, body = call(stack, "/api/beheer/register", "operator")
    assert status == 200, body
    assert [g["code"] for g in body["gemeenten"]] == [g.code for g in registry.gemeenten]
    assert [(e["id"], e["naam"], e["signaaltype"]) for e in body["leveranciers"]] == [
        (e.id, e.naam, e.signaaltype) for e in registry.leveranciers
    ]
    assert [(c["gemeente"], c["leverancier"], c["vanaf"], c["tot"], c["actief"]) for c in body["convenanten"]] == [
        (c.gemeente, c.leverancier, c.vanaf.isoformat(), c.tot and c.tot.isoformat(), c.active_on(today()))
        for c in registry.convenanten
    ]
    assert all(set(c) == {"gemeente", "leverancier", "vanaf", "tot", "actief"} for c in body["convenanten"])
    assert "@" not in json.dumps(body)


@pytest.mark.parametrize("path", ["/api/beheer/runs", "/api/beheer/quarantaine", "/api/beheer/register"])
def test_a_supplier_or_coordinator_gets_403_from_the_operator_views(stack, path):
    for token in (f"leverancier-{BSGR}", "coordinator"):
        status, body = call(stack, path, token)
        assert (status, body["error"]["code"]) == (403, "forbidden")
