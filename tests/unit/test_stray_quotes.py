"""Nothing swallowed: a quote that never closes, or a quoted value over too many lines, refuses
the file at the line where the quote opened; whatever is read over several lines is said so."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.csvbatch import MAX_VALUE_LINE_BREAKS
from chalicelib.domain.delivery import read_delivery
from chalicelib.domain.registry import Leverancier
from chalicelib.domain.report import Status

PEIL = date(2026, 10, 1)
LEVERANCIER = Leverancier(id="vivare", naam="Vivare", signaaltype="Huur", max_fout_percentage=100)
HEADER = "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum;straat\n"


def _row(n: int, straat: str = "Dorpsstraat") -> str:
    return f"K{n};6811AB;{n};{100 + n};2026-08-01;{PEIL.isoformat()};{straat}\n"


def _read(text: str):
    return read_delivery(text.encode(), LEVERANCIER, upload_date=PEIL, today=date(2026, 11, 1))


def test_a_quote_in_the_first_row_that_never_closes_refuses_the_file_naming_its_line():
    text = HEADER + _row(1, '"Dorpsstraat') + "".join(_row(n) for n in range(2, 30))
    result = _read(text)
    assert result.status is Status.REJECTED
    assert (result.rejection.code, result.rejection.line) == ("quote_unclosed", 2)
    assert "regel 2 " in result.rejection.message


def test_a_quoted_value_over_too_many_lines_refuses_the_file_where_it_opens():
    swallowed = _row(5, '"Dorp') + "".join(_row(n) for n in range(6, 9)) + _row(9, 'straat"')
    text = HEADER + "".join(_row(n) for n in range(1, 5)) + swallowed + "".join(_row(n) for n in range(10, 20))
    result = _read(text)
    assert (result.status, result.rejection.code, result.rejection.line) == (Status.REJECTED, "quote_spans_lines", 6)


def test_a_value_over_two_lines_is_read_as_one_row_and_said_so():
    text = HEADER + _row(1) + _row(2, '"Kerkstraat\nachterom"') + _row(3)
    result = _read(text)
    assert result.status is Status.ACCEPTED and result.counts.read == 3
    assert [(w.code, w.line) for w in result.warnings] == [("quoted_line_breaks", 3)]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.integers(1, 30),
    quotes=st.lists(st.tuples(st.integers(0, 29), st.integers(0, 12)), min_size=1, max_size=4),
)
def test_stray_quotes_never_make_rows_vanish_without_a_word(rows, quotes):
    """Plain reading has one record a line; a reading with fewer rows must refuse the file or name
    each record it read over several lines, none over more than the allowed breaks."""
    lines = [_row(n) for n in range(1, rows + 1)]
    for row, at in quotes:
        line = lines[row % rows]
        lines[row % rows] = line[: at % len(line)] + '"' + line[at % len(line) :]
    result = _read(HEADER + "".join(lines))
    if result.status is Status.REJECTED and result.rejection.code in ("quote_unclosed", "quote_spans_lines"):
        assert result.rejection.line is not None and 2 <= result.rejection.line <= rows + 1
        return
    merged = [w for w in result.warnings if w.code == "quoted_line_breaks"]
    missing = rows - result.counts.read
    assert missing >= 0
    assert missing <= MAX_VALUE_LINE_BREAKS * len(merged)
    assert (missing == 0) == (not merged)
