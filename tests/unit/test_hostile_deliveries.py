"""Every hostile or malformed delivery of the corpus gets a report; nothing crashes or is half-used."""

from functools import cache

import pytest

from chalicelib.domain import parsing
from chalicelib.domain.delivery import KNOWN, ReadResult, read_delivery
from chalicelib.domain.registry import Leverancier
from chalicelib.domain.report import FILE_MESSAGES, Finding, Status
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
