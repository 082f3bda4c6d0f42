"""Reading a delivery's bytes: encodings, delimiters, and the physical line of every record."""

import numpy as np
import pytest

from chalicelib.domain.csvfile import FileError, decode, read_header, read_records, record_lines


def _read(text: bytes, wanted=None):
    decoded = decode(text)
    header = read_header(decoded.text)
    wanted = wanted or {name: i for i, name in enumerate(header.names)}
    return read_records(decoded.text, header, wanted)


def test_utf8_bom_is_stripped_and_not_flagged():
    decoded = decode("\ufeffa;b\n1;2\n".encode())
    assert decoded.text == b"a;b\n1;2\n"
    assert not decoded.windows_1252


def test_windows_1252_is_converted_and_flagged():
    decoded = decode("naam\nJos\xe9\n".encode("cp1252"))
    assert decoded.windows_1252
    assert decoded.text.decode("utf-8") == "naam\nJosé\n"


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
        decode(data)
    assert raised.value.code == code


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


def test_a_line_longer_than_a_block_is_read():
    long = b"x" * (20 * 1024 * 1024)
    records = _read(b"a;b\n1;" + long + b"\n")
    assert len(records.columns["b"][0].as_py()) == len(long)
    assert np.array_equal(records.lines, [2])
