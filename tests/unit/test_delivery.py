"""Reading one delivery: what is accepted, what is rejected, and what the report says."""

from datetime import date

import pytest

from chalicelib.domain.delivery import read_delivery
from chalicelib.domain.registry import Leverancier
from chalicelib.domain.report import Status

UPLOAD = date(2026, 11, 3)
TODAY = date(2026, 11, 3)
ENERGIE = Leverancier(id="eneco", naam="Eneco", signaaltype="Energie")
ZORG = Leverancier(id="cz", naam="CZ", signaaltype="Zorg")
HEADER = "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum"


def _read(text: str, supplier: Leverancier = ENERGIE, encoding: str = "utf-8"):
    return read_delivery(text.encode(encoding), supplier, upload_date=UPLOAD, today=TODAY)


def _rows(n: int, start: int = 1) -> str:
    return "".join(f"K{i};6811AB;{i};12,50;2026-10-01;2026-11-01\n" for i in range(start, start + n))


def test_clean_delivery_is_accepted_with_normalised_rows():
    result = _read(HEADER + "\nK1;6811 ab;12a;€ 1.234,56;01-10-2026;2026-11-01\n")
    assert result.status is Status.ACCEPTED
    assert result.peildatum == date(2026, 11, 1)
    row = result.rows.to_pylist()[0]
    assert (row["postcode"], row["huisnummer"], row["huisletter"], row["toevoeging"]) == ("6811AB", 12, "A", "")
    assert row["bedrag_cent"] == 123456
    assert row["achterstand_sinds"] == date(2026, 10, 1)
    assert row["signaaltype"] == "Energie"
    assert row["regel"] == 2
    assert result.counts.model_dump() == {"read": 1, "accepted": 1, "rejected": 0, "warnings": 0}


def test_delivery_with_missing_bedrag_column_is_rejected():
    result = _read("klantnummer;postcode;huisnummer;achterstand_sinds\nK1;6811AB;1;2026-10-01\n")
    assert result.status is Status.REJECTED
    assert result.rows is None
    assert (result.rejection.code, result.rejection.line, result.rejection.column) == ("column_missing", 1, "bedrag")


def test_header_names_match_case_insensitively_and_unknown_columns_warn():
    result = _read(" KlantNummer ,POSTCODE,Huisnummer,Bedrag,Achterstand_Sinds,contract\nK1,6811AB,1,10,2026-10-01,x\n")
    assert result.status is Status.ACCEPTED
    assert [w.code for w in result.warnings] == ["column_unknown"]
    assert "contract" in result.warnings[0].message
    assert result.peildatum == UPLOAD


def test_peildatum_that_differs_between_rows_rejects_the_file():
    result = _read(HEADER + "\nK1;6811AB;1;10;2026-10-01;2026-11-01\nK2;6811AB;2;10;2026-10-01;2026-11-02\n")
    assert result.status is Status.REJECTED
    assert (result.rejection.code, result.rejection.line) == ("peildatum_mismatch", 3)


def test_file_with_only_a_header_and_empty_lines_is_rejected():
    result = _read(HEADER + "\n\n\r\n")
    assert result.status is Status.REJECTED
    assert result.rejection.code == "no_data_rows"


def test_row_errors_carry_physical_line_column_code_and_dutch_message():
    text = (
        HEADER
        + "\n"
        + _rows(5)
        + "\n"
        + 'K9;"6811\nAB";1;10;2026-10-01;2026-11-01\n'
        + _rows(20, 20)
        + "K99;0811AB;1;0;2026-10-01;2026-11-01\n"
    )
    result = _read(text)
    assert result.status is Status.ACCEPTED_WITH_ERRORS
    found = [(e.line, e.column, e.code) for e in result.errors]
    assert found == [
        (8, "postcode", "postcode_invalid"),
        (30, "postcode", "postcode_invalid"),
        (30, "bedrag", "bedrag_out_of_range"),
    ]
    assert all(e.message and e.message != e.code for e in result.errors)
    assert result.counts.rejected == 2
    assert result.counts.accepted == 25


def test_more_than_ten_percent_invalid_rows_rejects_the_file_whole():
    bad = "".join(f"B{i};XXXX;1;10;2026-10-01;2026-11-01\n" for i in range(2))
    result = _read(HEADER + "\n" + _rows(9) + bad)
    assert result.status is Status.REJECTED
    assert result.rejection.code == "too_many_errors"
    assert result.rows is None
    assert len(result.errors) == 2


def test_exactly_ten_percent_invalid_rows_is_accepted_with_errors():
    result = _read(HEADER + "\n" + _rows(9) + "B1;XXXX;1;10;2026-10-01;2026-11-01\n")
    assert result.status is Status.ACCEPTED_WITH_ERRORS
    assert result.rows.num_rows == 9


def test_threshold_is_the_suppliers_own_setting():
    strict = Leverancier(id="eneco", naam="Eneco", signaaltype="Energie", max_fout_percentage=0.0)
    result = _read(HEADER + "\n" + _rows(99) + "B1;XXXX;1;10;2026-10-01;2026-11-01\n", strict)
    assert result.status is Status.REJECTED


def test_second_occurrence_of_a_klantnummer_is_a_row_error():
    result = _read(
        HEADER + "\nK1;6811AB;1;10;2026-10-01;2026-11-01\nK1;6811AB;2;10;2026-10-01;2026-11-01\n" + _rows(20, 2)
    )
    assert [(e.line, e.code) for e in result.errors] == [(3, "klantnummer_duplicate")]


def test_achterstand_after_peildatum_is_a_row_error():
    result = _read(HEADER + "\nK1;6811AB;1;10;2026-11-02;2026-11-01\n" + _rows(20, 2))
    assert [(e.line, e.column, e.code) for e in result.errors] == [(2, "achterstand_sinds", "datum_after_peildatum")]


def test_row_with_wrong_number_of_fields_is_a_row_error():
    result = _read(HEADER + "\nK1;6811AB;1\n" + _rows(20, 2))
    assert [(e.line, e.code) for e in result.errors] == [(2, "column_count")]
    assert result.counts.read == 21


def test_bsn_from_a_non_zorg_supplier_is_ignored_with_one_warning():
    header = HEADER + ";bsn"
    result = _read(
        header + "\nK1;6811AB;1;10;2026-10-01;2026-11-01;111222333\nK2;6811AB;2;10;2026-10-01;2026-11-01;123\n"
    )
    assert result.status is Status.ACCEPTED
    assert [w.code for w in result.warnings] == ["bsn_ignored"]
    assert result.rows["bsn"].to_pylist() == [None, None]


def test_bsn_from_zorg_must_pass_the_elfproef():
    header = HEADER + ";bsn"
    rows = "K1;6811AB;1;10;2026-10-01;2026-11-01;111222333\nK2;6811AB;2;10;2026-10-01;2026-11-01;111222334\n"
    result = _read(header + "\n" + rows + _rows(20, 3).replace("\n", ";\n"), ZORG)
    assert [(e.line, e.column, e.code) for e in result.errors] == [(3, "bsn", "bsn_invalid")]
    assert result.rows["bsn"].to_pylist()[0] == "111222333"


def test_row_signaaltype_zorg_does_not_make_another_supplier_a_bsn_source():
    header = HEADER + ";signaaltype;bsn"
    result = _read(header + "\nK1;6811AB;1;10;2026-10-01;2026-11-01;zorg;111222333\n")
    assert result.rows["signaaltype"].to_pylist() == ["Zorg"]
    assert result.rows["bsn"].to_pylist() == [None]
    assert [w.code for w in result.warnings] == ["bsn_ignored"]


def test_zorg_supplier_row_of_another_type_drops_its_bsn():
    header = HEADER + ";signaaltype;bsn"
    result = _read(header + "\nK1;6811AB;1;10;2026-10-01;2026-11-01;Energie;111222333\n", ZORG)
    assert result.rows["bsn"].to_pylist() == [None]
    assert [w.code for w in result.warnings] == ["bsn_ignored"]


def test_windows_1252_file_is_accepted_with_a_warning():
    result = _read(HEADER + ";achternaam\nK1;6811AB;1;10;2026-10-01;2026-11-01;Hélène\n", encoding="cp1252")
    assert result.status is Status.ACCEPTED
    assert [w.code for w in result.warnings] == ["encoding_windows_1252"]
    assert result.rows["achternaam"].to_pylist() == ["Hélène"]


def test_file_without_peildatum_column_takes_the_upload_date():
    result = _read("klantnummer;postcode;huisnummer;bedrag;achterstand_sinds\nK1;6811AB;1;10;2026-11-03\n")
    assert result.peildatum == UPLOAD
    assert result.status is Status.ACCEPTED


@pytest.mark.parametrize("data", [b"", b"\x1f\x8b\x08\x00", b"\x00\x00\x00"])
def test_unreadable_files_are_rejected_not_raised(data):
    result = read_delivery(data, ENERGIE, upload_date=UPLOAD, today=TODAY)
    assert result.status is Status.REJECTED
    assert result.rejection.code in {"column_missing", "file_compressed", "file_binary"}


def test_geboortedatum_in_the_future_is_a_row_error():
    header = HEADER + ";geboortedatum"
    result = _read(header + "\nK1;6811AB;1;10;2026-10-01;2026-11-01;2030-01-01\n" + _rows(20, 2).replace("\n", ";\n"))
    assert [(e.line, e.column, e.code) for e in result.errors] == [(2, "geboortedatum", "datum_out_of_range")]


def test_formula_and_html_in_free_text_are_kept_verbatim_for_the_vault():
    header = HEADER + ";achternaam"
    result = _read(header + '\nK1;6811AB;1;10;2026-10-01;2026-11-01;"=HYPERLINK(""x"")<script>"\n')
    assert result.rows["achternaam"].to_pylist() == ['=HYPERLINK("x")<script>']


def test_rows_of_only_delimiters_are_skipped_like_empty_lines():
    result = _read(
        HEADER + "\nK1;6811AB;1;10;2026-10-01;2026-11-01\n;;;;;\n ; ;;;;\nK2;6811AB;2;10;2026-10-01;2026-11-01\n"
    )
    assert result.status is Status.ACCEPTED
    assert result.counts.read == 2
    assert result.rows["regel"].to_pylist() == [2, 5]


def test_file_of_only_blank_rows_has_no_data_rows():
    result = _read(HEADER + "\n;;;;;\n;;;;;\n")
    assert result.status is Status.REJECTED
    assert result.rejection.code == "no_data_rows"


def test_peildatum_written_in_both_forms_is_one_date():
    result = _read(HEADER + "\nK1;6811AB;1;10;2026-10-01;2026-11-01\nK2;6811AB;2;10;2026-10-01;01-11-2026\n")
    assert result.status is Status.ACCEPTED
    assert result.peildatum == date(2026, 11, 1)


def test_peildatum_empty_on_one_row_only_is_a_mismatch():
    result = _read(HEADER + "\nK1;6811AB;1;10;2026-10-01;2026-11-01\nK2;6811AB;2;10;2026-10-01;\n")
    assert (result.rejection.code, result.rejection.line) == ("peildatum_mismatch", 3)


def test_lone_carriage_return_inside_a_value_keeps_line_numbers():
    text = (
        HEADER
        + ";straat\n"
        + "K1;6811AB;1;10;2026-10-01;2026-11-01;Dorp\rstraat\r\n"
        + "K2;0000AA;2;10;2026-10-01;2026-11-01;x\r\n"
    )
    result = _read(text + "".join(f"K{i};6811AB;{i};10;2026-10-01;2026-11-01;x\r\n" for i in range(3, 20)))
    assert [(e.line, e.code) for e in result.errors] == [(3, "postcode_invalid")]
    assert result.rows["straat"].to_pylist()[0] == "Dorp straat"


def test_cr_only_file_is_refused_with_its_reason():
    result = _read(HEADER.replace("\n", "") + "\rK1;6811AB;1;10;2026-10-01;2026-11-01\r")
    assert result.rejection.code == "file_line_endings"


def test_trailing_delimiter_adds_no_unknown_column_warning():
    result = _read(HEADER + ";\nK1;6811AB;1;10;2026-10-01;2026-11-01;\n")
    assert result.status is Status.ACCEPTED
    assert result.warnings == []
