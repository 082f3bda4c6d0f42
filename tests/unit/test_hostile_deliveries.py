"""Every hostile or malformed delivery of the corpus gets a report; nothing crashes or is half-used."""

import json
import subprocess
import sys
from functools import cache

import pytest

from chalicelib.domain import parsing
from chalicelib.domain.delivery import KNOWN, Limits, ReadResult, read_delivery
from chalicelib.domain.registry import Leverancier
from chalicelib.domain.report import FILE_MESSAGES, Finding, Report, Status
from infra.template import function_properties, template
from tests.corpus import hostile

CASES = {case.name: case for case in hostile.cases()}
NAMES = list(CASES)
CODES = set(parsing.MESSAGES) | set(FILE_MESSAGES)
DUTCH = set(parsing.MESSAGES.values()) | set(FILE_MESSAGES.values())
# Messages that carry a count or names, so are not a fixed text.
DUTCH_PREFIXES = {
    "column_count": "De regel heeft ",
    "column_unknown": "Onbekende kolommen genegeerd: ",
    "quote_unclosed": "Het aanhalingsteken op regel ",
    "quote_spans_lines": "De waarde tussen aanhalingstekens die op regel ",
    "line_too_long": "Regel ",
}
COLUMNLESS_ROW_ERRORS = {"column_count"}
REJECTIONS_WITH_COLUMN = {"column_missing", "column_duplicate", "peildatum_mismatch", "peildatum_invalid"}


@cache
def _read(name: str) -> ReadResult:
    expect = CASES[name].expect
    supplier = Leverancier(
        id="hostile", naam="hostile", signaaltype=expect.signaaltype, max_fout_percentage=expect.max_fout_percentage
    )
    return read_delivery(CASES[name].data, supplier, upload_date=hostile.UPLOAD_DATE, today=hostile.TODAY)


def _is_dutch_message(item: Finding) -> bool:
    prefix = DUTCH_PREFIXES.get(item.code)
    return item.message in DUTCH or (prefix is not None and item.message.startswith(prefix))


@pytest.mark.parametrize("name", NAMES)
def test_hostile_delivery_is_read_to_the_expected_status(name):
    status, expected = _read(name).status, CASES[name].expect.status
    assert status is expected


@pytest.mark.parametrize("name", NAMES)
def test_rows_are_none_exactly_when_the_delivery_is_rejected(name):
    delivery = _read(name)
    assert (delivery.rows is None) == (delivery.status is Status.REJECTED)
    assert (delivery.rejection is None) == (delivery.status is not Status.REJECTED)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].expect.rejection])
def test_rejected_delivery_names_the_expected_reason(name):
    expect, delivery = CASES[name].expect, _read(name)
    assert delivery.rejection is not None
    assert delivery.rejection.code in expect.rejection
    if expect.rejection_at is not None:
        assert (delivery.rejection.line, delivery.rejection.column) == expect.rejection_at


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].expect.errors is not None])
def test_row_errors_are_exactly_the_expected_lines_columns_and_codes(name):
    found, expected = [(e.line, e.column, e.code) for e in _read(name).errors], list(CASES[name].expect.errors)
    assert found == expected


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].expect.warnings is not None])
def test_warnings_are_exactly_the_expected_codes(name):
    found, expected = [w.code for w in _read(name).warnings], list(CASES[name].expect.warnings)
    assert found == expected


@pytest.mark.parametrize("name", NAMES)
def test_every_finding_has_a_line_a_column_where_it_applies_a_stable_code_and_a_dutch_message(name):
    delivery = _read(name)
    for error in delivery.errors:
        assert error.line is not None and error.line >= 2, error
        if error.code in COLUMNLESS_ROW_ERRORS:
            assert error.column is None, error
        else:
            assert error.column in KNOWN, error
    if delivery.rejection is not None:
        rejection = delivery.rejection
        assert rejection.line is None or rejection.line >= 1, rejection
        assert (rejection.column in KNOWN) if rejection.code in REJECTIONS_WITH_COLUMN else rejection.column is None
    for item in [*delivery.errors, *delivery.warnings, *([delivery.rejection] if delivery.rejection else [])]:
        assert item.code in CODES, item
        assert item.message.strip() and item.message != item.code, item
        assert _is_dutch_message(item), item


@pytest.mark.parametrize("name", NAMES)
def test_counts_add_up_and_only_rows_without_errors_are_kept(name):
    delivery = _read(name)
    counts = delivery.counts
    if delivery.rejection is None or delivery.rejection.code == "too_many_errors":
        assert counts.read == counts.accepted + counts.rejected
        assert counts.rejected == len({error.line for error in delivery.errors})
    if delivery.rows is not None:
        assert delivery.rows.num_rows == counts.accepted
        kept = set(delivery.rows["regel"].to_pylist())
        assert kept.isdisjoint(error.line for error in delivery.errors)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].expect.stored])
def test_valid_rows_keep_their_values(name):
    rows = _read(name).rows
    assert rows is not None
    by_line = {row["regel"]: row for row in rows.to_pylist()}
    for line, column, expected in CASES[name].expect.stored:
        assert line in by_line, f"line {line} was not kept"
        kept = by_line[line][column]
        assert kept == expected, (line, column)


def test_unknown_columns_warning_lists_twenty_names_and_counts_the_rest():
    [warning] = _read("ten_thousand_columns").warnings
    assert warning.line == 1
    assert "extra_0000, extra_0001" in warning.message
    assert "extra_0020" not in warning.message
    assert warning.message.endswith(" en nog 9970.")


def test_corpus_has_every_required_kind_of_case():
    assert len(CASES) >= 50
    assert {f"missing_column_{column}" for column in hostile.REQUIRED} <= set(CASES)
    assert CASES["two_million_and_one_rows"].data.count(b"\n") == 2_000_002
    assert len(CASES["ten_thousand_columns"].data.split(b"\n", 1)[0].split(b";")) == 10_000


def test_corpus_is_built_the_same_every_time(tmp_path):
    first = hostile.build(tmp_path / "a", large=False)
    second = hostile.build(tmp_path / "b", large=False)
    assert [(c.name, c.data) for c in first] == [(c.name, c.data) for c in second]
    for case in first:
        assert hostile.path_of(tmp_path / "a", case).read_bytes() == case.data


SMALL = [case.name for case in hostile.cases(large=False)]


@pytest.mark.parametrize("name", SMALL)
def test_reading_in_small_batches_gives_the_same_report_and_rows(name):
    """Batches end at record boundaries and carry what spans them (the peildatum, the klantnummers
    seen, counts, findings): a file read 300 bytes at a time reads as one read whole."""
    expect = CASES[name].expect
    supplier = Leverancier(
        id="hostile", naam="hostile", signaaltype=expect.signaaltype, max_fout_percentage=expect.max_fout_percentage
    )
    small = read_delivery(
        CASES[name].data, supplier, upload_date=hostile.UPLOAD_DATE, today=hostile.TODAY, limits=Limits(batch_bytes=300)
    )
    whole = _read(name)
    assert (small.status, small.rejection) == (whole.status, whole.rejection)
    if whole.rejection is None or whole.rejection.code == "too_many_errors":
        assert small.counts == whole.counts  # a file refused on the way counts the rows read until then
    assert small.errors == whole.errors
    assert small.warnings == whole.warnings
    if whole.rows is not None:
        assert small.rows.to_pylist() == whole.rows.to_pylist()


def test_a_klantnummer_repeated_in_a_later_batch_is_a_duplicate_there():
    rows = "".join(f"K{i % 700:05d};6811AB;{i + 1};10;2026-10-01;2026-11-01\n" for i in range(1000))
    data = ("klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum\n" + rows).encode()
    supplier = Leverancier(id="hostile", naam="hostile", signaaltype="Huur", max_fout_percentage=100)
    result = read_delivery(
        data, supplier, upload_date=hostile.UPLOAD_DATE, today=hostile.TODAY, limits=Limits(batch_bytes=4096)
    )
    assert [(e.line, e.code) for e in result.errors] == [(i + 2, "klantnummer_duplicate") for i in range(700, 1000)]
    assert result.counts.accepted == 700


# The ingest function's memory: a hostile file must be ingested within it.
INGEST_MEMORY_MB = int(function_properties(template(), "IngestFunction")["MemorySize"])


@cache
def _heavy() -> dict[str, hostile.Heavy]:
    return {case.name: case for case in hostile.heavy()}


@pytest.mark.parametrize("name", hostile.HEAVY)
def test_a_heavy_delivery_gets_its_bounded_report_within_the_functions_memory(name, tmp_path):
    """Each runs through the ingest service in a fresh interpreter, whose peak RSS is its own."""
    case = _heavy()[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(case.data)
    command = [sys.executable, "-m", "tests.corpus.peak", "service", str(path), "Huur", "10"]
    output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=hostile.ROOT).stdout
    measured = json.loads(output.strip().splitlines()[-1])
    hostile.check_heavy_report(case, Report.model_validate(measured["report"]))
    stored = [key.split("/")[0] for key in measured["stored"]]
    assert stored == ([] if case.status is Status.REJECTED else ["signals", "vault"])
    assert measured["peak_rss_mb"] < INGEST_MEMORY_MB, measured["peak_rss_mb"]
