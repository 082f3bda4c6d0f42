"""Hostile and malformed uploads through the local stack: each gets a report, none is half-used.

A representative subset of tests/corpus/hostile.py, uploaded by presigned POST as `vivare` (Huur,
10% allowed invalid rows, as the corpus assumes) and ingested by the real handler.
"""

import io
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from chalicelib.adapters.aws.lake import signals_key
from chalicelib.adapters.aws.vault import KmsVault, vault_key
from chalicelib.domain.report import Status
from infra import actions
from infra.template import function_properties, template
from tests.corpus import hostile

LEVERANCIER = "vivare"
SUBSET = (
    "random_binary",
    "gzip_of_a_valid_csv",
    "zip_like_an_xlsx",
    "utf16_le_with_bom",
    "nul_byte_inside_a_valid_file",
    "invalid_in_utf8_and_windows_1252",
    "cr_only_line_endings",
    "only_a_header",
    "missing_column_postcode",
    "peildatum_differs_between_rows",
    "eleven_percent_invalid_rows",
    "ten_thousand_columns",
    "formula_and_html_injection",
    "windows_1252_with_smart_quotes_and_accents",
    "dates_that_do_not_exist_or_are_out_of_range",
    "unterminated_quote_at_the_end",
    "exactly_ten_percent_invalid_rows",
    "bsn_from_a_huur_supplier_is_ignored",
    "bsn_from_a_huur_supplier_whose_rows_claim_zorg",
)
BSN_FROM_HUUR = ("bsn_from_a_huur_supplier_is_ignored", "bsn_from_a_huur_supplier_whose_rows_claim_zorg")
CASES = {case.name: case for case in hostile.cases(large=False)}
REJECTED = [name for name in SUBSET if CASES[name].expect.status is Status.REJECTED]
ACCEPTED = [name for name in SUBSET if CASES[name].expect.status is not Status.REJECTED]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    hostile.build(folder, large=False)
    return folder


@pytest.fixture(scope="module")
def delivered(platform, folder):
    """Every case of the subset delivered once: name -> (Delivered, Report)."""
    return {name: platform.deliver(LEVERANCIER, hostile.path_of(folder, CASES[name])) for name in SUBSET}


def _signals(platform, levering: str) -> list[str]:
    return [key for key in platform.keys(platform.settings.lake_bucket, "signals/") if levering in key]


def _quarantined(item: actions.Delivered) -> str:
    return f"quarantine/{LEVERANCIER}/{item.levering}/{item.path.name}"


def _lake_table(platform, levering: str):
    [key] = _signals(platform, levering)
    return pq.read_table(io.BytesIO(platform.read(platform.settings.lake_bucket, key)))


def _vault(platform) -> KmsVault:
    return KmsVault(
        platform.s3, platform.stack.client("kms"), platform.settings.vault_bucket, platform.settings.vault_key_id
    )


@pytest.mark.parametrize("name", SUBSET)
def test_hostile_upload_gets_a_stored_report_with_the_expected_status(platform, delivered, name):
    expect = CASES[name].expect
    item, report = delivered[name]
    stored = actions.read_report(platform.target, item)
    assert stored == report
    assert report.status is expect.status
    if expect.rejection:
        assert report.rejection.code in expect.rejection
    if expect.errors is not None:
        assert [(e.line, e.column, e.code) for e in report.errors] == list(expect.errors)


@pytest.mark.parametrize("name", REJECTED)
def test_rejected_upload_is_quarantined_unchanged_and_leaves_no_signals_or_vault(platform, delivered, name):
    item, report = delivered[name]
    assert report.status is Status.REJECTED
    assert platform.read(platform.settings.upload_bucket, _quarantined(item)) == CASES[name].data
    assert _signals(platform, item.levering) == []
    assert platform.keys(platform.settings.vault_bucket, vault_key(LEVERANCIER, item.levering)) == []


@pytest.mark.parametrize("name", ACCEPTED)
def test_accepted_upload_lands_as_one_signals_object_with_exactly_the_accepted_rows(platform, delivered, name):
    item, report = delivered[name]
    assert report.status is not Status.REJECTED
    assert _signals(platform, item.levering) == [signals_key(report.peildatum, LEVERANCIER, item.levering)]
    assert _lake_table(platform, item.levering).num_rows == report.counts.accepted
    assert _vault(platform).get(LEVERANCIER, item.levering).num_rows == report.counts.accepted
    assert platform.keys(platform.settings.upload_bucket, f"quarantine/{LEVERANCIER}/{item.levering}/") == []


def test_no_hostile_upload_is_left_in_incoming_and_no_event_dead_letters(platform, delivered):
    for item, _ in delivered.values():
        assert platform.keys(platform.settings.upload_bucket, f"incoming/{LEVERANCIER}/{item.levering}/") == []
    assert platform.dead_letters() == 0


def test_formulas_and_html_are_kept_verbatim_in_the_vault_and_never_reach_the_lake(platform, delivered):
    item, report = delivered["formula_and_html_injection"]
    assert report.status is Status.ACCEPTED
    vault = {row["regel"]: row for row in _vault(platform).get(LEVERANCIER, item.levering).to_pylist()}
    for line, column, value in CASES["formula_and_html_injection"].expect.stored:
        assert vault[line][column] == value, (line, column)

    lake = _lake_table(platform, item.levering)
    cells = [str(v) for column in lake.columns for v in column.to_pylist() if v is not None]
    text = "\n".join(cells + lake.column_names)
    for value in hostile.INJECTIONS:
        assert value not in cells and value.strip() not in cells
        if len(value.strip()) >= 4:  # short ones like "-1" occur inside dates
            assert value.strip() not in text


@pytest.mark.parametrize("name", BSN_FROM_HUUR)
def test_bsn_from_a_huur_supplier_never_reaches_the_vault(platform, delivered, name):
    item, report = delivered[name]
    assert set(_vault(platform).get(LEVERANCIER, item.levering)["bsn"].to_pylist()) == {None}
    assert [w.code for w in report.warnings if w.code == "bsn_ignored"] == ["bsn_ignored"]


def test_zero_byte_upload_is_refused_at_upload_or_rejected_with_a_report(platform, folder):
    """S3 refuses an empty POST (content-length-range starts at 1); moto lets it through to ingest."""
    try:
        item = actions.upload(platform.target, LEVERANCIER, hostile.path_of(folder, CASES["zero_bytes"]))
    except RuntimeError as refused:
        refusal = str(refused)
    else:
        refusal = None
    if refusal is not None:
        assert "geweigerd" in refusal
        return
    [report] = actions.wait_for_reports(
        platform.target, [item], timeout=60, pump=lambda: platform.runtime.poll_once(0)
    ).values()
    assert report.status is Status.REJECTED
    assert report.rejection.code in CASES["zero_bytes"].expect.rejection
    assert platform.read(platform.settings.upload_bucket, _quarantined(item)) == b""
    assert platform.keys(platform.settings.upload_bucket, f"incoming/{LEVERANCIER}/{item.levering}/") == []
    assert _signals(platform, item.levering) == []
    assert platform.dead_letters() == 0


# ------------------------------------------------------------------ heavy files, memory measured

INGEST_MEMORY_MB = int(function_properties(template(), "IngestFunction")["MemorySize"])
EVENTS = Path(__file__).resolve().parent.parent / "events"


@cache
def _heavy() -> dict[str, hostile.Heavy]:
    return {case.name: case for case in hostile.heavy()}


def _take_event(platform, levering: str) -> dict:
    """The upload's S3 event, taken off the queue by hand (it stays in flight until deleted)."""
    url = platform.stack.ref("IngestQueue")
    for _ in range(50):
        for message in platform.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            if levering in message["Body"]:
                return message
            platform.sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    raise AssertionError("the upload's S3 event never reached the queue")


def _ingest_in_a_child(platform, message: dict) -> dict:
    """The ingest function's handler on the event in a fresh interpreter with the function's
    environment, as Lambda runs it: its peak RSS is the ingest's own."""
    template_event = (EVENTS / "sqs_s3_object_created.json").read_text()
    event = template_event.replace('"{{S3_EVENT_BODY}}"', json.dumps(message["Body"]))
    run = subprocess.run(
        [sys.executable, "-m", "tests.corpus.peak", "handler"],
        input=event,
        env=os.environ | platform.stack.env("IngestFunction"),
        capture_output=True,
        text=True,
        check=False,
        cwd=hostile.ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", hostile.HEAVY)
def test_a_heavy_upload_gets_its_bounded_report_from_the_function_within_its_memory(platform, tmp_path, name):
    case = _heavy()[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(case.data)
    item = actions.upload(platform.target, LEVERANCIER, path)
    message = _take_event(platform, item.levering)
    measured = _ingest_in_a_child(platform, message)
    platform.sqs.delete_message(QueueUrl=platform.stack.ref("IngestQueue"), ReceiptHandle=message["ReceiptHandle"])

    assert measured["response"] == {"batchItemFailures": []}
    report = actions.read_report(platform.target, item)
    hostile.check_heavy_report(case, report)
    assert platform.keys(platform.settings.upload_bucket, f"incoming/{LEVERANCIER}/{item.levering}/") == []
    if case.status is Status.REJECTED:
        assert _signals(platform, item.levering) == []
        assert platform.keys(platform.settings.upload_bucket, _quarantined(item)) == [_quarantined(item)]
    else:
        assert _signals(platform, item.levering) == [signals_key(report.peildatum, LEVERANCIER, item.levering)]
        assert (
            pq.ParquetFile(
                io.BytesIO(platform.read(platform.settings.lake_bucket, _signals(platform, item.levering)[0]))
            ).metadata.num_rows
            == report.counts.accepted
        )
    assert measured["peak_rss_mb"] < INGEST_MEMORY_MB, measured["peak_rss_mb"]
