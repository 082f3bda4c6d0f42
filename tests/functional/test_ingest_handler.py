"""The ingest handler on the local stack: real uploads, events, idempotency, quarantine, privacy."""

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from chalicelib.adapters.aws.reports import S3Reports
from chalicelib.adapters.aws.vault import KmsVault
from chalicelib.domain.report import Status
from infra import actions

EVENTS = Path(__file__).resolve().parent.parent / "events"


def _signals_keys(platform, levering: str) -> list[str]:
    return [k for k in platform.keys(platform.settings.lake_bucket, "signals/") if levering in k]


def _demo_file(platform, leverancier: str) -> Path:
    return sorted((platform.demo / "leveringen" / leverancier).glob("*.csv"))[0]


def _deliver_the_demo_and_check(platform) -> None:
    """Upload every demo delivery; each lands as signals, a report and a vault entry, or in quarantine."""
    delivered = [
        actions.upload(platform.target, lev, path) for lev, path in actions.deliveries(platform.demo / "leveringen")
    ]
    reports = actions.wait_for_reports(
        platform.target, delivered, timeout=60, pump=lambda: platform.runtime.poll_once(0)
    )
    statuses = {d.path.name: reports[d].status for d in delivered}
    rejected = [name for name, status in statuses.items() if status is Status.REJECTED]
    assert rejected == [Path(p).name for p in platform.summary.afgewezen]
    for item in delivered:
        report = reports[item]
        signals = _signals_keys(platform, item.levering)
        if report.status is Status.REJECTED:
            assert signals == []
            assert platform.keys(platform.settings.upload_bucket, f"quarantine/{item.leverancier}/{item.levering}/")
        else:
            assert len(signals) == 1
            table = pq.read_table(io.BytesIO(platform.read(platform.settings.lake_bucket, signals[0])))
            assert table.num_rows == report.counts.accepted
            vault = KmsVault(
                platform.s3,
                platform.stack.client("kms"),
                platform.settings.vault_bucket,
                platform.settings.vault_key_id,
            )
            assert vault.get(item.leverancier, item.levering).num_rows == report.counts.accepted
        assert platform.keys(platform.settings.upload_bucket, f"incoming/{item.leverancier}/{item.levering}/") == []
    assert platform.dead_letters() == 0


def test_demo_deliveries_land_as_signals_reports_and_vault_entries(platform):
    _deliver_the_demo_and_check(platform)


def test_no_personal_value_reaches_the_lake_the_reports_or_the_logs(platform, capfd, caplog):
    caplog.set_level("DEBUG")
    _deliver_the_demo_and_check(platform)
    captured = capfd.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "delivery ingested" in logs
    personal = set(platform.summary.persoonsgegevens())
    for _leverancier, path in actions.deliveries(platform.demo / "leveringen"):
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            text = handle.read()
        delimiter = ";" if text.splitlines()[0].count(";") >= text.splitlines()[0].count(",") else ","
        for row in csv.DictReader(io.StringIO(text), delimiter=delimiter):
            personal.update(
                v.strip()
                for k, v in row.items()
                if k
                and k.strip().lower() in {"klantnummer", "straat", "telefoon", "email", "bsn", "achternaam"}
                and v
                and v.strip()
            )
    personal = {value for value in personal if len(value) >= 5}
    assert len(personal) > 100

    cells: list[str] = []
    for key in platform.keys(platform.settings.lake_bucket):
        body = platform.read(platform.settings.lake_bucket, key)
        if key.endswith(".parquet"):
            table = pq.read_table(io.BytesIO(body))
            cells += [str(v) for column in table.columns for v in column.to_pylist() if v is not None]
            cells += table.column_names
        else:
            cells.append(body.decode("utf-8"))
    everything = "\n".join(cells)
    leaked = sorted(value for value in personal if value in everything)
    assert leaked == []
    assert sorted(value for value in personal if value in logs) == []


def _capture_event(platform, leverancier: str, path: Path) -> tuple[actions.Delivered, dict]:
    """Upload, then take the S3 event off the queue by hand (it stays in flight)."""
    delivered = actions.upload(platform.target, leverancier, path)
    url = platform.stack.ref("IngestQueue")
    for _ in range(50):
        messages = platform.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        for message in messages:
            if delivered.levering in message["Body"]:
                return delivered, message
            platform.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    raise AssertionError("the upload's S3 event never reached the queue")


def _lambda_event(body: str) -> dict:
    template = (EVENTS / "sqs_s3_object_created.json").read_text()
    return json.loads(template.replace('"{{S3_EVENT_BODY}}"', json.dumps(body)))


def test_same_s3_event_three_times_gives_no_duplicate_signals(platform):
    delivered, message = _capture_event(platform, "vivare", _demo_file(platform, "vivare"))
    url = platform.stack.ref("IngestQueue")
    platform.sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
    platform.sqs.send_message(QueueUrl=url, MessageBody=message["Body"])
    platform.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    platform.runtime.run_until_idle(timeout=30)
    report = actions.read_report(platform.target, delivered)
    signals = _signals_keys(platform, delivered.levering)
    assert report.status is not Status.REJECTED
    assert len(signals) == 1
    assert (
        pq.read_table(io.BytesIO(platform.read(platform.settings.lake_bucket, signals[0]))).num_rows
        == report.counts.accepted
    )
    assert platform.dead_letters() == 0


def test_crash_between_writing_and_acknowledging_converges_on_redelivery(platform):
    delivered, message = _capture_event(platform, "eneco", _demo_file(platform, "eneco"))
    response = platform.runtime.invoke("IngestFunction", _lambda_event(message["Body"]))
    assert response == {"batchItemFailures": []}
    first = actions.read_report(platform.target, delivered)
    url = platform.stack.ref("IngestQueue")
    platform.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0)
    platform.runtime.run_until_idle(timeout=30)
    assert actions.read_report(platform.target, delivered) == first
    assert len(_signals_keys(platform, delivered.levering)) == 1
    assert platform.dead_letters() == 0


def test_crash_half_way_is_retried_and_converges(platform, monkeypatch):
    real = S3Reports.write
    calls = []

    def crash_once(self, report):
        calls.append(report.levering)
        if len(calls) == 1:
            raise ConnectionError("simulated crash after the signals were written")
        return real(self, report)

    monkeypatch.setattr(S3Reports, "write", crash_once)
    delivered, report = platform.deliver("vitens", _demo_file(platform, "vitens"))
    assert len(calls) == 2
    assert report.status is not Status.REJECTED
    assert len(_signals_keys(platform, delivered.levering)) == 1
    assert platform.keys(platform.settings.upload_bucket, f"incoming/vitens/{delivered.levering}/") == []
    assert platform.dead_letters() == 0


def test_upload_under_an_unregistered_supplier_is_quarantined(platform, tmp_path):
    path = tmp_path / "levering.csv"
    path.write_text("klantnummer;postcode;huisnummer;bedrag;achterstand_sinds\nK1;6811AB;1;10;2026-10-01\n")
    delivered, report = platform.deliver("onbekend", path)
    assert report.status is Status.REJECTED
    assert report.rejection.code == "leverancier_unknown"
    assert platform.keys(platform.settings.upload_bucket, f"quarantine/onbekend/{delivered.levering}/")
    assert _signals_keys(platform, delivered.levering) == []


def test_quarantined_upload_keeps_its_bytes_and_reason(platform, tmp_path):
    path = tmp_path / "kapot.csv"
    data = b"klantnummer;postcode\nK1;6811AB\n"
    path.write_bytes(data)
    delivered, report = platform.deliver("vivare", path)
    assert report.rejection.code == "column_missing"
    key = f"quarantine/vivare/{delivered.levering}/kapot.csv"
    stored = platform.s3.get_object(Bucket=platform.settings.upload_bucket, Key=key)
    assert stored["Body"].read() == data
    assert stored["Metadata"]["reden"] == "column_missing"


@pytest.mark.parametrize("leverancier", ["vivare"])
def test_report_is_readable_json_with_line_column_code_message(platform, leverancier, tmp_path):
    path = tmp_path / "fouten.csv"
    rows = "".join(f"K{i};6811AB;{i};10;2026-10-01\n" for i in range(1, 20))
    path.write_text(
        "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds\n" + rows + "K99;0000AA;1;10;2026-10-01\n"
    )
    delivered, report = platform.deliver(leverancier, path)
    assert report.status is Status.ACCEPTED_WITH_ERRORS
    stored = json.loads(
        platform.read(platform.settings.lake_bucket, f"reports/{leverancier}/{delivered.levering}.json")
    )
    assert stored["errors"] == [
        {"line": 21, "column": "postcode", "code": "postcode_invalid", "message": stored["errors"][0]["message"]}
    ]
    assert stored["counts"] == {"read": 20, "accepted": 19, "rejected": 1, "warnings": stored["counts"]["warnings"]}
