"""Reading a delivery's bytes: encodings, delimiters, and the physical line of every record."""

import numpy as np
import pyarrow as pa
import pytest

from chalicelib.domain.csvbatch import FileError, Records, record_lines
from chalicelib.domain.csvfile import (
    MAX_COLUMNS,
    MAX_HEADER_BYTES,
    MAX_LINE_BYTES,
    RecordStream,
    Reread,
    read_header,
)


def _stream(data: bytes, *, chunk: int = 1 << 20, batch_bytes: int = 8 << 20, encoding=None) -> RecordStream:
    pieces = (data[i : i + chunk] for i in range(0, len(data), chunk))
    return RecordStream(pieces, batch_bytes=batch_bytes, encoding=encoding)


def _read(text: bytes, wanted=None, **options) -> Records:
    """Every record of `text` in one Records (batches joined)."""
    stream = _stream(text, **options)
    header = stream.header()
    wanted = wanted or {name: i for i, name in enumerate(header.names)}
    batches = list(stream.batches(wanted))
    return Records(
        {name: pa.concat_arrays([b.columns[name] for b in batches]) for name in wanted} if batches else {},
        np.concatenate([b.lines for b in batches]) if batches else np.zeros(0, np.int64),
        [line for b in batches for line in b.bad_lines],
        sum(b.rows for b in batches),
        header and len(header.names),
        [item for b in batches for item in b.multi_line],
    )


def test_utf8_bom_is_stripped_and_not_flagged():
    stream = _stream("\ufeffa;b\n1;2\n".encode())
    assert stream.header().names == ["a", "b"]
    assert not stream.windows_1252


def test_windows_1252_is_converted_and_flagged():
    records = _read("naam\nJos\xe9\n".encode("cp1252"))
    assert records.columns["naam"].to_pylist() == ["José"]


def test_windows_1252_after_utf8_text_asks_for_a_second_reading():
    data = "naam\nJosé\n".encode() + b"x\n" * 100 + "Ren\xe9\n".encode("cp1252")
    with pytest.raises(Reread):
        _read(data, chunk=16, batch_bytes=64)
    assert _read(data, encoding="cp1252").columns["naam"].to_pylist()[0] == "JosÃ©"


def test_windows_1252_after_plain_ascii_is_read_on_without_a_second_reading():
    data = b"naam\n" + b"x\n" * 100 + "Ren\xe9\n".encode("cp1252")
    stream = _stream(data, chunk=16, batch_bytes=64)
    stream.header()
    values = [v for b in stream.batches({"naam": 0}) for v in b.columns["naam"].to_pylist()]
    assert values[-1] == "René" and stream.windows_1252


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x1f\x8b\x08\x00rest", "file_compressed"),
        (b"PK\x03\x04rest", "file_compressed"),
        ("a;b\n1;2\n".encode("utf-16"), "file_binary"),
        (b"a;b\n\x00\x01\x02\n", "file_binary"),
        (b"a;b\n\x81\x8d\x8f\x90\x9d\n", "file_encoding"),
    ],
)
def test_unreadable_bytes_are_refused_with_a_code(data, code):
    with pytest.raises(FileError) as raised:
        _read(data)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (b";" * (MAX_HEADER_BYTES + 1) + b"\na\n", "header_too_long", 1),
        (b";" * (6 * 1024 * 1024), "header_too_long", 1),
        (b";" * MAX_COLUMNS + b"\n1\n", "too_many_columns", 1),
        (b"a;b\n1;2\n3;" + b"x" * (MAX_LINE_BYTES + 1) + b"\n5;6\n", "line_too_long", 3),
        (b"a;b\n1;2\n" + b"x" * (32 * 1024 * 1024), "line_too_long", 3),
        (b"a;b\r1;2\r" * (MAX_HEADER_BYTES // 4), "file_line_endings", None),
    ],
)
def test_header_width_line_length_and_column_count_are_capped_before_parsing(data, code, line):
    with pytest.raises(FileError) as raised:
        _read(data, chunk=64 * 1024)
    assert (raised.value.code, raised.value.line) == (code, line)


def test_a_header_and_lines_just_under_their_caps_are_read():
    header = b"a;" + b"b" * (MAX_HEADER_BYTES - 3)
    records = _read(header + b"\n1;" + b"y" * (MAX_LINE_BYTES - 2) + b"\n", chunk=4096)
    assert records.lines.tolist() == [2]


@pytest.mark.parametrize(
    ("line", "delimiter"), [(b"a;b;c", ";"), (b"a,b,c", ","), (b"a;b,c;d", ";"), (b"a,b;c,d", ",")]
)
def test_delimiter_comes_from_the_header(line, delimiter):
    assert read_header(line + b"\n1\n").delimiter == delimiter


def test_header_names_keep_their_spelling():
    assert read_header(b' Postcode ;"Huis;nummer"\n').names == [" Postcode ", "Huis;nummer"]


def test_record_lines_count_empty_lines_and_start_quoted_breaks_on_their_first_line():
    text = b'h1;h2\n\n1;2\n"a\nb";3\r\n\r\n4;"x""\ny"\n5;6'
    assert record_lines(text).tolist() == [1, 3, 4, 7, 9]


def test_records_carry_physical_lines_and_bad_field_counts():
    text = b'a;b;c\n1;2;3\n\n4;5\n"x\ny";7;8\n9;10;11;12\n13;14;15\n'
    records = _read(text)
    assert records.columns["a"].to_pylist() == ["1", "x\ny", "13"]
    assert records.lines.tolist() == [2, 5, 8]
    assert records.bad_lines == [(4, 2), (7, 4)]
    assert records.rows == 5


def test_only_wanted_columns_are_read():
    records = _read(b"a,b,c\n1,2,3\n", wanted={"c": 2})
    assert list(records.columns) == ["c"]
    assert records.columns["c"].to_pylist() == ["3"]


def test_stray_quote_inside_a_field_falls_back_to_exact_python_reading():
    text = b'a;b\n1;O"Brien\n2;x\n3;"q\nr"\n'
    records = _read(text)
    assert records.columns["a"].to_pylist() == ["1", "2", "3"]
    assert records.lines.tolist() == [2, 3, 4]


def test_empty_cells_are_empty_strings_not_nulls():
    records = _read(b'a;b\n;""\n')
    assert records.columns["a"].to_pylist() == [""]
    assert records.columns["b"].to_pylist() == [""]


def test_crlf_values_have_no_carriage_return():
    records = _read(b"a;b\r\n1;2\r\n")
    assert records.columns["b"].to_pylist() == ["2"]
    assert records.lines.tolist() == [2]


def test_a_record_longer_than_an_arrow_block_is_read():
    long = b"x" * (MAX_LINE_BYTES - 10)
    records = _read(b"a;b\n" + b"1;" + long + b"\n", batch_bytes=64)
    assert len(records.columns["b"][0].as_py()) == len(long)
    assert np.array_equal(records.lines, [2])


TRICKY = (
    b'a;b;c\n1;2;3\n\n4;5\n"x\ny";7;8\n9;10;11;12\n13;14;15\r\n\r\n16;O"Brien;x\n17;"q\n\nr";18\n'
    b'19;"a"";b";20\n21;22;23\n;;\n24;25;"z\n'
)


@pytest.mark.parametrize("batch_bytes", [1, 7, 13, 29, 64, 1 << 20])
@pytest.mark.parametrize("chunk", [1, 5, 1 << 20])
def test_batches_of_any_size_read_the_same_records_as_one_batch(batch_bytes, chunk):
    whole = _read(TRICKY)
    batched = _read(TRICKY, chunk=chunk, batch_bytes=batch_bytes)
    assert batched.lines.tolist() == whole.lines.tolist() == [2, 5, 8, 10, 11, 14, 15, 16, 17]
    for name in ("a", "b", "c"):
        assert batched.columns[name].to_pylist() == whole.columns[name].to_pylist()
    assert batched.bad_lines == whole.bad_lines == [(4, 2), (7, 4)]
    assert batched.multi_line == whole.multi_line == [(5, 2), (11, 2)]
    assert batched.rows == whole.rows == 11
