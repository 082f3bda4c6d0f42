import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.reference import SCHEMA, AddressReferenceError, lookup, parse_reference_csv

HEADER = "postcode,huisnummer,gemeentecode,wijkcode,wijknaam,buurtcode,buurtnaam"
ROWS = [
    "6811AB,12,GM0202,WK020201,Centrum,BU02020101,Binnenstad",
    "6811AB,,GM0202,WK020201,Centrum,BU02020102,Sint Marten",
    "6511CD,3,GM0268,WK026801,Centrum,BU02680101,Stadscentrum",
]


def csv_bytes(*rows: str, header: str = HEADER, newline: str = "\n") -> bytes:
    return newline.join([header, *rows, ""]).encode("utf-8")


def area(row: dict | None) -> str | None:
    return None if row is None else row["buurt"]


def test_reference_is_normalised_typed_and_sorted():
    data = (
        "\ufeffPostcode ; HUISNUMMER;GemeenteCode;wijkcode;wijknaam;buurtcode;buurtnaam;oppervlakte\r\n"
        "6811 ab;12;GM0202;WK020201;Centrum;BU02020101;Binnenstad;12\r\n"
        "6511CD;  3 ;gm0268;WK026801;Centrum;BU02680101;Stadscentrum;9\r\n"
        "6811AB;;GM0202;WK020201;Centrum;BU02020102;Sint Marten;4\r\n"
    ).encode("utf-8")

    table = parse_reference_csv(data)

    assert table.schema == SCHEMA
    assert table.to_pylist() == [
        {
            "postcode": "6511CD",
            "huisnummer": 3,
            "gemeente": "GM0268",
            "wijk": "WK026801",
            "wijknaam": "Centrum",
            "buurt": "BU02680101",
            "buurtnaam": "Stadscentrum",
        },
        {
            "postcode": "6811AB",
            "huisnummer": None,
            "gemeente": "GM0202",
            "wijk": "WK020201",
            "wijknaam": "Centrum",
            "buurt": "BU02020102",
            "buurtnaam": "Sint Marten",
        },
        {
            "postcode": "6811AB",
            "huisnummer": 12,
            "gemeente": "GM0202",
            "wijk": "WK020201",
            "wijknaam": "Centrum",
            "buurt": "BU02020101",
            "buurtnaam": "Binnenstad",
        },
    ]


def test_comma_file_with_quotes_parses():
    data = csv_bytes('"6811AB","12","GM0202","WK020201","Centrum, oost","BU02020101","Binnenstad"')

    assert parse_reference_csv(data)["wijknaam"].to_pylist() == ["Centrum, oost"]


BAD = [
    (csv_bytes(ROWS[0], "0811AB,1,GM0202,WK020201,Centrum,BU02020101,Binnenstad"), "invalid_postcode", 3),
    (csv_bytes(ROWS[0], "6811A,1,GM0202,WK020201,Centrum,BU02020101,Binnenstad"), "invalid_postcode", 3),
    (csv_bytes(ROWS[0], "6811AB,0,GM0202,WK020201,Centrum,BU02020101,Binnenstad"), "invalid_huisnummer", 3),
    (csv_bytes(ROWS[0], "6811AB,100000,GM0202,WK020201,Centrum,BU02020101,Binnenstad"), "invalid_huisnummer", 3),
    (csv_bytes(ROWS[0], "6811AB,12a,GM0202,WK020201,Centrum,BU02020101,Binnenstad"), "invalid_huisnummer", 3),
    (csv_bytes(ROWS[0], "6811AB,1,GM202,WK020201,Centrum,BU02020101,Binnenstad"), "invalid_gemeentecode", 3),
    (csv_bytes(ROWS[0], "6811AB,1,GM0202,WK02021,Centrum,BU02020101,Binnenstad"), "invalid_wijkcode", 3),
    (csv_bytes(ROWS[0], "6811AB,1,GM0202,WK020201,Centrum,BU0202010,Binnenstad"), "invalid_buurtcode", 3),
    (csv_bytes(ROWS[0], "6811AB,1,GM0202,WK026801,Centrum,BU02680101,Binnenstad"), "inconsistent_codes", 3),
    (csv_bytes(ROWS[0], "6811AB,1,GM0202,WK020201,Centrum,BU02020201,Binnenstad"), "inconsistent_codes", 3),
    (csv_bytes(ROWS[0], "6811AB,1,GM0202,WK020201,Centrum,BU02020101,Elders"), "inconsistent_names", 3),
    (csv_bytes(ROWS[0], "6811AB,1,GM0202,WK020201,Midden,BU02020101,Binnenstad"), "inconsistent_names", 3),
    (csv_bytes(*ROWS, "6811 ab,12,GM0202,WK020201,Centrum,BU02020101,Binnenstad"), "duplicate_address", 5),
    (csv_bytes(*ROWS, "6811AB,,GM0202,WK020201,Centrum,BU02020102,Sint Marten"), "duplicate_address", 5),
    (csv_bytes(ROWS[0], "6811AB,1,GM0202,WK020201,Centrum,BU02020101"), "invalid_row", 3),
    (csv_bytes(*ROWS, header=HEADER.replace(",buurtnaam", "")), "missing_column", 1),
    (csv_bytes(*ROWS, header=HEADER + ",Postcode"), "duplicate_column", 1),
    (csv_bytes(ROWS[0]).replace(b"Centrum", b"Centr\xe9"), "invalid_encoding", 2),
    (csv_bytes(), "empty_reference", None),
    (b"", "empty_file", 1),
]


@pytest.mark.parametrize(("data", "code", "line"), BAD)
def test_invalid_reference_is_refused_with_code_and_line(data, code, line):
    with pytest.raises(AddressReferenceError) as raised:
        parse_reference_csv(data)

    assert raised.value.code == code
    assert raised.value.line == line
    if line is not None:
        assert raised.value.message.startswith(f"regel {line}:")


def test_error_lines_count_empty_lines_and_crlf():
    data = csv_bytes(ROWS[0], "", "", "6811AB,x,GM0202,WK020201,Centrum,BU02020101,Binnenstad", newline="\r\n")

    with pytest.raises(AddressReferenceError) as raised:
        parse_reference_csv(data)
    assert (raised.value.code, raised.value.line) == ("invalid_huisnummer", 5)


def test_the_first_problem_by_line_is_reported():
    data = csv_bytes(
        ROWS[0],
        "6811AB,1,GM0202,WK020201,Centrum,BU0202010,Binnenstad",
        "6811A,2,GM0202,WK020201,Centrum,BU02020101,Binnenstad",
    )

    with pytest.raises(AddressReferenceError) as raised:
        parse_reference_csv(data)
    assert (raised.value.code, raised.value.line) == ("invalid_buurtcode", 3)


def test_duplicate_message_names_both_lines():
    data = csv_bytes(*ROWS, "6811AB,12,GM0202,WK020201,Centrum,BU02020101,Binnenstad")

    with pytest.raises(AddressReferenceError) as raised:
        parse_reference_csv(data)
    assert raised.value.message == "regel 5: adres 6811AB 12 staat ook op regel 2"


@pytest.fixture
def reference() -> pa.Table:
    return parse_reference_csv(csv_bytes(*ROWS))


def test_exact_row_wins_over_the_postcode_row(reference):
    found = lookup(reference, pa.array(["6811AB"]), pa.array([12], pa.int32()))

    assert found.to_pylist()[0]["buurt"] == "BU02020101"


def test_unknown_huisnummer_falls_back_to_the_postcode_row(reference):
    found = lookup(reference, pa.array(["6811AB", "6811AB"]), pa.array([13, None], pa.int32()))

    assert found["buurt"].to_pylist() == ["BU02020102", "BU02020102"]
    assert found["buurtnaam"].to_pylist() == ["Sint Marten", "Sint Marten"]


def test_addresses_not_in_the_reference_get_nulls(reference):
    found = lookup(reference, pa.array(["6511CD", "9999ZZ", None]), pa.array([4, 1, 3], pa.int32()))

    assert found.num_rows == 3
    assert all(value is None for row in found.to_pylist() for value in row.values())


def test_lookup_keeps_input_order_and_returns_the_area_columns(reference):
    postcodes = pa.chunked_array([["6511CD", "6811AB"], ["9999ZZ", "6811AB"]])
    numbers = pa.chunked_array([pa.array([3, 12], pa.int64()), pa.array([1, 1], pa.int64())])

    found = lookup(reference, postcodes, numbers)

    assert found.column_names == ["gemeente", "wijk", "wijknaam", "buurt", "buurtnaam"]
    assert found["buurt"].to_pylist() == ["BU02680101", "BU02020101", None, "BU02020102"]
    assert found["gemeente"].to_pylist() == ["GM0268", "GM0202", None, "GM0202"]


def test_lookup_on_an_empty_reference_finds_nothing():
    empty = SCHEMA.empty_table()

    found = lookup(empty, pa.array(["6811AB"]), pa.array([1], pa.int32()))

    assert found.to_pylist() == [dict.fromkeys(["gemeente", "wijk", "wijknaam", "buurt", "buurtnaam"])]


postcodes = st.sampled_from(["6811AB", "6811AC", "6511CD", "5211EE", "9999ZZ"])
numbers = st.none() | st.integers(min_value=1, max_value=6)
# never in a reference; among well-formed ones they take the slower way through the lookup
malformed = st.none() | st.sampled_from(["6811ab", "6811 AB", "681AB", "68111AB", "", "ÄÄ11AB"])


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.tuples(postcodes, numbers), st.integers(min_value=0, max_value=99), max_size=25),
    st.lists(st.tuples(postcodes | malformed, numbers), max_size=40),
)
def test_lookup_agrees_with_a_plain_dictionary(rows, queries):
    buurt = {key: f"BU020201{value:02d}" for key, value in rows.items()}
    lines = [f"{p},{'' if n is None else n},GM0202,WK020201,Wijk,{b},Buurt {b}" for (p, n), b in buurt.items()]
    reference = parse_reference_csv(csv_bytes(*lines)) if lines else SCHEMA.empty_table()

    found = lookup(
        reference, pa.array([p for p, _ in queries], pa.string()), pa.array([n for _, n in queries], pa.int32())
    )

    expected = [buurt.get((p, n), buurt.get((p, None))) for p, n in queries]
    assert found["buurt"].to_pylist() == expected
    assert found["buurtnaam"].to_pylist() == [None if b is None else f"Buurt {b}" for b in expected]


def test_malformed_row_after_empty_lines_reports_its_physical_line():
    data = csv_bytes(ROWS[0], "", ROWS[2], "", "6811AB,1,GM0202")

    with pytest.raises(AddressReferenceError) as raised:
        parse_reference_csv(data)
    assert (raised.value.code, raised.value.line) == ("invalid_row", 6)


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, Bucket, Key, Body):
        self.objects[(Bucket, Key)] = bytes(Body)

    def get_object(self, Bucket, Key):
        if (Bucket, Key) not in self.objects:
            raise ClientError({"Error": {"Code": "NoSuchKey", "Message": Key}}, "GetObject")
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}


def test_imported_reference_is_stored_as_zstd_parquet_and_loads_back():
    from chalicelib.adapters.aws.reference import import_reference, load_reference

    s3 = FakeS3()

    assert import_reference(csv_bytes(*ROWS), s3, "lake") == 3

    stored = s3.objects[("lake", "reference/adressen.parquet")]
    assert pq.ParquetFile(io.BytesIO(stored)).metadata.row_group(0).column(0).compression == "ZSTD"
    assert load_reference(s3, "lake").equals(parse_reference_csv(csv_bytes(*ROWS)))


def test_loading_a_reference_never_imported_is_a_clear_error():
    from chalicelib.adapters.aws.reference import load_reference

    with pytest.raises(AddressReferenceError) as raised:
        load_reference(FakeS3(), "lake")
    assert raised.value.code == "missing_reference"


def test_invalid_reference_import_writes_nothing():
    from chalicelib.adapters.aws.reference import import_reference

    s3 = FakeS3()
    with pytest.raises(AddressReferenceError):
        import_reference(csv_bytes("6811AB,1,GM0202"), s3, "lake")
    assert s3.objects == {}


def test_out_of_range_huisnummer_never_reaches_another_postcodes_row():
    reference = parse_reference_csv(
        csv_bytes(
            "6811AA,5,GM0202,WK020201,Centrum,BU02020101,Binnenstad",
            "6811AB,,GM0202,WK020201,Centrum,BU02020102,Sint Marten",
        )
    )

    found = lookup(reference, pa.array(["6811AA", "6811AA", "6811AB"]), pa.array([100_000, 0, 0], pa.int64()))

    assert found["buurt"].to_pylist() == [None, None, "BU02020102"]
