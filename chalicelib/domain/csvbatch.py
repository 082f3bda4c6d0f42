"""Parsing one batch of whole records (no header) of a delivery: pyarrow's CSV reader, the
physical line every record starts on, and the records read over several lines.

A batch is only given to pyarrow when its quotes' parity tells where records start as the
parser reads them (`quotes_in_place`); csvfile.py reads any other batch with Python's csv module.
"""

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from numpy.typing import NDArray

MAX_VALUE_LINE_BREAKS = 2  # in one record's quoted values: an address or a name never needs more
_BLOCK_SIZE = 4 * 1024 * 1024  # larger blocks parse slower (cache)
_LF, _CR, _QUOTE = 10, 13, 34
_PIECE = 64 * 1024


class FileError(Exception):
    """The file cannot be read at all; `code` is a stable report code."""

    def __init__(self, code: str, detail: str = "", *, line: int | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.line = line  # the physical line the problem starts on, when it has one


@dataclass(frozen=True)
class Header:
    names: list[str]  # as written
    delimiter: str


@dataclass(frozen=True)
class Records:
    columns: dict[str, pa.Array]  # wanted column name -> string values, "" for empty cells
    lines: NDArray[np.int64]  # physical line of each parsed record, same order as the columns
    bad_lines: list[tuple[int, int]]  # (physical line, number of fields) of records with a wrong field count
    rows: int  # data records read, bad ones included
    width: int  # fields in the header
    multi_line: list[tuple[int, int]] = field(default_factory=list)  # (first line, lines) of records over several


def newlines(text: bytes, end: int | None = None) -> int:
    """How many line breaks `text[:end]` holds. numpy compares about three times as fast as
    `bytes.count`; in pieces of 64 KiB into one small buffer, as a whole-text comparison would
    allocate (and page in) a buffer as large as the text."""
    stop = len(text) if end is None else min(end, len(text))
    if stop <= 0:
        return 0
    view = np.frombuffer(text, dtype=np.uint8, count=stop)
    scratch = np.empty(min(len(view), _PIECE), dtype=bool)
    count = 0
    for at in range(0, len(view), _PIECE):
        piece = view[at : at + _PIECE]
        found = scratch[: len(piece)]
        np.equal(piece, _LF, out=found)
        count += int(np.count_nonzero(found))
    return count


def boundary(text: bytes, limit: int) -> int | None:
    """The end of the last line within `limit` bytes that no quote keeps open (by the quotes'
    parity); None when every line break there lies inside quotes."""
    if text.find(b'"', 0, limit) < 0:
        end = text.rfind(b"\n", 0, limit)
        return None if end < 0 else end + 1
    buf = np.frombuffer(text, dtype=np.uint8, count=min(limit, len(text)))
    newline_at = np.flatnonzero(buf == _LF)
    outside = newline_at[np.searchsorted(np.flatnonzero(buf == _QUOTE), newline_at) % 2 == 0]
    return int(outside[-1]) + 1 if len(outside) else None


def quotes_in_place(text: bytes, end: int, delimiter: str) -> bool:
    """Every quote opens a value at its start, closes one before a delimiter or line end, or is
    doubled: then the quotes' parity says which line breaks lie inside values, as the parser reads
    them. A stray quote (`O"Brien`) is read as text by the parser but would flip the parity."""
    if text.find(b'"', 0, end) < 0:
        return True
    buf = np.frombuffer(text, dtype=np.uint8, count=end)
    quotes = np.flatnonzero(buf == _QUOTE)
    before = np.where(quotes > 0, buf[np.maximum(quotes - 1, 0)], _LF)
    after = np.where(quotes + 1 < end, buf[np.minimum(quotes + 1, end - 1)], _LF)
    sep = ord(delimiter)
    opens = (before == sep) | (before == _LF) | (before == _QUOTE)
    closes = (after == sep) | (after == _LF) | (after == _CR) | (after == _QUOTE)
    opening = np.arange(len(quotes)) % 2 == 0
    return bool(np.all(np.where(opening, opens, closes)))


def record_lines(text: bytes) -> NDArray[np.int64]:
    """Physical line (1-based) where each non-empty record of `text` starts.

    A newline ends a record unless it lies inside quotes; RFC 4180's doubled quotes keep
    the quote count's parity, so parity is enough.
    """
    buf = np.frombuffer(text, dtype=np.uint8)
    newline_at = np.flatnonzero(buf == _LF)
    begins_record = np.ones(len(newline_at) + 1, dtype=bool)
    if text.find(b'"') >= 0:
        inside = np.searchsorted(np.flatnonzero(buf == _QUOTE), newline_at) % 2 == 1
        begins_record[1:] = ~inside
    return np.flatnonzero(begins_record & ~_empty_lines(buf, newline_at)).astype(np.int64) + 1


def with_multi_line(text: bytes, records: Records, base: int, *, last: bool) -> Records:
    """`records` with each data record the parser read over more than one line: quoted line
    breaks, which plain reading would count as records of their own.

    Raises FileError when one spans more than MAX_VALUE_LINE_BREAKS breaks: `quote_unclosed`
    when it runs to the end of the file (a quote that never closes), else `quote_spans_lines`;
    either at the line where the record, and so its opening quote, starts.
    """
    if text.find(b'"') < 0 or records.rows == 0:
        return records
    buf = np.frombuffer(text, dtype=np.uint8)
    nonempty = np.flatnonzero(~_empty_lines(buf, np.flatnonzero(buf == _LF))).astype(np.int64) + base
    starts = np.sort(np.concatenate((records.lines, np.array([line for line, _ in records.bad_lines], np.int64))))
    if len(starts) == len(nonempty):
        return records  # one non-empty line a record
    first = np.searchsorted(nonempty, starts)
    spans = np.append(first[1:], len(nonempty)) - first
    too_long = np.flatnonzero(spans > MAX_VALUE_LINE_BREAKS + 1)
    if too_long.size:
        at = int(too_long[0])
        code = "quote_unclosed" if last and at == len(starts) - 1 else "quote_spans_lines"
        raise FileError(code, line=int(starts[at]))
    several = np.flatnonzero(spans > 1)
    multi = [(int(starts[i]), int(spans[i])) for i in several]
    return Records(records.columns, records.lines, records.bad_lines, records.rows, records.width, multi)


def _empty_lines(buf: NDArray[np.uint8], newline_at: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Per physical line, whether it is empty or a lone CR (a CRLF file's empty line)."""
    starts = np.concatenate(([0], newline_at + 1))
    length = np.concatenate((newline_at, [len(buf)])) - starts
    lone_cr = np.zeros(len(starts), dtype=bool)
    ones = length == 1
    lone_cr[ones] = buf[starts[ones]] == _CR
    empty: NDArray[np.bool_] = (length == 0) | lone_cr
    return empty


def read_arrow(text: bytes, header: Header, wanted: dict[str, int], base: int, breaks: int) -> Records | None:
    """The records of `text` (whole records, no header) by pyarrow; None when its reading and the
    quotes' parity disagree on where records start. `breaks` is `newlines(text)`, which the
    caller knows from its segments."""
    for block_size in (_BLOCK_SIZE, max(len(text) + 1, _BLOCK_SIZE)):
        try:
            return _parse_arrow(text, header, wanted, base, block_size, breaks)
        except pa.ArrowInvalid:
            continue  # e.g. a record longer than a block: one block for the whole batch reads it
    return None


def _parse_arrow(
    text: bytes, header: Header, wanted: dict[str, int], base: int, block_size: int, breaks: int
) -> Records | None:
    width = len(header.names)
    names = [f"c{i}" for i in range(width)]
    bad: list[tuple[int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.actual_columns))
        return "skip"

    include = [f"c{i}" for i in wanted.values()]
    table = pacsv.read_csv(
        pa.BufferReader(text),
        read_options=pacsv.ReadOptions(use_threads=False, column_names=names, block_size=block_size),
        parse_options=pacsv.ParseOptions(
            delimiter=header.delimiter,
            newlines_in_values=text.find(b'"') >= 0,
            invalid_row_handler=on_invalid,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in include},
            include_columns=include,
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    records = table.num_rows + len(bad)
    physical = breaks + (0 if text.endswith(b"\n") else 1)
    if physical == records and text.find(b'"') < 0:
        starts: NDArray[np.int64] = np.arange(
            base, base + physical, dtype=np.int64
        )  # no quotes, no empty lines: a record a line
    else:
        starts = record_lines(text) + (base - 1)
    if len(starts) != records:
        return None
    if bad:
        bad_records = np.array([number - 1 for number, _ in bad], dtype=np.int64)
        keep = np.ones(len(starts), dtype=bool)
        keep[bad_records] = False
        bad_lines = [(int(starts[i]), fields) for i, (_, fields) in zip(bad_records, bad, strict=True)]
        lines = starts[keep]
    else:
        bad_lines, lines = [], starts
    columns = {name: table.column(f"c{index}").combine_chunks() for name, index in wanted.items()}
    return Records(columns, lines, bad_lines, rows=len(starts), width=width)
