from datetime import date

import pyarrow as pa
import pytest

from chalicelib.domain.parsing import (
    MESSAGES,
    check_not_after,
    check_range,
    first_error,
    parse_adres,
    parse_bedrag,
    parse_bsn,
    parse_crisis,
    parse_datum,
    parse_email,
    parse_klantnummer,
    parse_postcode,
    parse_signaaltype,
)


def column(*values: str) -> pa.StringArray:
    return pa.array(values, pa.string())


def one(parser, value, **kwargs):
    """The (value, error) of one cell through a parser that returns values and errors."""
    values, errors = parser(column(value), **kwargs)
    return values[0].as_py(), errors[0].as_py()


def one_adres(huisnummer, huisletter=None, toevoeging=None):
    adres = parse_adres(
        column(huisnummer),
        None if huisletter is None else column(huisletter),
        None if toevoeging is None else column(toevoeging),
    )
    values = (adres.huisnummer[0].as_py(), adres.huisletter[0].as_py(), adres.toevoeging[0].as_py())
    errors = {name: error[0].as_py() for name, error in adres.errors.items()}
    return values, {name: code for name, code in errors.items() if code is not None}


# --- messages -------------------------------------------------------------------------------

ALL_CODES = {
    "missing", "postcode_invalid", "huisnummer_invalid", "huisletter_invalid",
    "toevoeging_invalid", "toevoeging_too_long", "bedrag_invalid", "bedrag_out_of_range",
    "datum_invalid", "datum_after_peildatum", "datum_out_of_range", "crisissignaal_invalid",
    "email_invalid", "bsn_invalid", "klantnummer_invalid", "klantnummer_duplicate",
    "signaaltype_unknown",
}  # fmt: skip


def test_every_error_code_has_a_dutch_message():
    assert set(MESSAGES) == ALL_CODES
    assert all(message.endswith(".") and len(message) > 15 for message in MESSAGES.values())


# --- common input handling ------------------------------------------------------------------


def test_chunked_input_gives_plain_arrays_of_the_same_length():
    chunked = pa.chunked_array([column("1234AB", "9999 zz"), column("", "0123AB")])
    values, errors = parse_postcode(chunked)
    assert isinstance(values, pa.StringArray) and isinstance(errors, pa.StringArray)
    assert values.to_pylist() == ["1234AB", "9999ZZ", None, None]
    assert errors.to_pylist() == [None, None, "missing", "postcode_invalid"]


def test_empty_column_gives_empty_results():
    assert len(parse_klantnummer(column())) == 0
    assert len(parse_adres(column(), None, None).huisnummer) == 0
    assert parse_bedrag(column())[0].to_pylist() == []


def test_surrounding_unicode_whitespace_is_trimmed():
    assert one(parse_bedrag, "\u00a0 12,50\t") == (1250, None)


def test_first_error_takes_the_first_code_per_row():
    a = pa.array([None, "missing", None], pa.string())
    b = pa.array(["bedrag_invalid", "bedrag_invalid", None], pa.string())
    assert first_error(a, b).to_pylist() == ["bedrag_invalid", "missing", None]


# --- postcode -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234AB", "1234AB"),
        ("1234 AB", "1234AB"),
        ("1234ab", "1234AB"),
        ("1234 aB", "1234AB"),
        ("  9999ZZ ", "9999ZZ"),
        ("1234SB", "1234SB"),
        ("1234AS", "1234AS"),
    ],
)
def test_postcode_in_accepted_form_is_normalised(raw, expected):
    assert one(parse_postcode, raw) == (expected, None)


@pytest.mark.parametrize(
    "raw",
    ["0123AB", "1234SA", "1234sd", "1234 SS", "1234  AB", "1234-AB", "123AB", "12345AB",
     "1234A", "1234ABC", "ABCD12", "1234ÅB", "１２３４AB", "1234\u017fA"],
)  # fmt: skip
def test_postcode_not_in_accepted_form_is_invalid(raw):
    assert one(parse_postcode, raw) == (None, "postcode_invalid")


def test_empty_postcode_is_missing():
    assert one(parse_postcode, "  ") == (None, "missing")


# --- adres ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("huisnummer", "expected"),
    [
        ("12", (12, "", "")),
        ("00012", (12, "", "")),
        ("99999", (99999, "", "")),
        ("12A", (12, "A", "")),
        ("12 a", (12, "A", "")),
        ("12-A", (12, "A", "")),
        ("12A-2", (12, "A", "2")),
        ("12 A 2", (12, "A", "2")),
        ("12A2", (12, "A", "2")),
        ("12-2", (12, "", "2")),
        ("12/2", (12, "", "2")),
        ("12 bis", (12, "", "BIS")),
        ("12-hs", (12, "", "HS")),
        ("12 III", (12, "", "III")),
        ("12AB", (12, "", "AB")),
        ("12 a b", (12, "A", "B")),
        ("12-", (12, "", "")),
        ("12 A 1234", (12, "A", "1234")),
    ],
)
def test_huisnummer_with_letter_and_addition_is_split(huisnummer, expected):
    assert one_adres(huisnummer) == (expected, {})


@pytest.mark.parametrize(
    "huisnummer",
    ["A12", "x", "0", "000", "100000", "12.5", "12_A", "12 é", "12+1", "-12", "12,A", "１２"],
)
def test_huisnummer_without_a_proper_leading_number_or_with_other_characters_is_invalid(
    huisnummer,
):
    assert one_adres(huisnummer) == ((None, None, None), {"huisnummer": "huisnummer_invalid"})


def test_addition_longer_than_four_from_the_huisnummer_is_reported_on_huisnummer():
    assert one_adres("12 A 12345") == ((None, None, None), {"huisnummer": "toevoeging_too_long"})
    assert one_adres("12-bisabc") == ((None, None, None), {"huisnummer": "toevoeging_too_long"})


def test_empty_huisnummer_is_missing():
    assert one_adres("", "", "") == ((None, None, None), {"huisnummer": "missing"})


@pytest.mark.parametrize(
    ("huisnummer", "huisletter", "toevoeging", "expected"),
    [
        ("12", "a", "", (12, "A", "")),
        ("12", "", "2", (12, "", "2")),
        ("12", "", "2 - a", (12, "", "2A")),
        ("0012", " B ", " 2 / a ", (12, "B", "2A")),
        ("12", "", "h s", (12, "", "HS")),
        ("7", "z", "abcd", (7, "Z", "ABCD")),
    ],
)
def test_letter_and_addition_in_their_own_columns_are_normalised(huisnummer, huisletter, toevoeging, expected):
    assert one_adres(huisnummer, huisletter, toevoeging) == (expected, {})


def test_huisnummer_must_be_digits_only_when_a_letter_column_is_filled():
    assert one_adres("12A", "A", "") == ((None, None, None), {"huisnummer": "huisnummer_invalid"})


def test_huisnummer_must_be_digits_only_when_an_addition_column_is_filled():
    assert one_adres("12-2", None, "2") == (
        (None, None, None),
        {"huisnummer": "huisnummer_invalid"},
    )


def test_empty_letter_and_addition_columns_let_the_huisnummer_carry_them():
    assert one_adres("12A-2", "", "") == ((12, "A", "2"), {})


@pytest.mark.parametrize("huisletter", ["AB", "1", "é", "-", "A B"])
def test_huisletter_that_is_not_one_letter_is_invalid(huisletter):
    assert one_adres("12", huisletter, "") == (
        (None, None, None),
        {"huisletter": "huisletter_invalid"},
    )


@pytest.mark.parametrize("toevoeging", ["2.a", "a_b", "é", "-", "#1"])
def test_addition_with_other_characters_is_invalid(toevoeging):
    assert one_adres("12", "", toevoeging) == (
        (None, None, None),
        {"huisnummertoevoeging": "toevoeging_invalid"},
    )


def test_addition_longer_than_four_in_its_own_column_is_too_long():
    assert one_adres("12", "", "1-hoog") == (
        (None, None, None),
        {"huisnummertoevoeging": "toevoeging_too_long"},
    )


def test_adres_reports_on_each_column_separately():
    adres = parse_adres(column("", "12"), column("xy", "a"), column("", "toolong"))
    assert adres.errors["huisnummer"].to_pylist() == ["missing", None]
    assert adres.errors["huisletter"].to_pylist() == ["huisletter_invalid", None]
    assert adres.errors["huisnummertoevoeging"].to_pylist() == [None, "toevoeging_too_long"]


def test_adres_without_optional_columns_has_all_three_error_arrays():
    adres = parse_adres(column("12", "14b"))
    assert set(adres.errors) == {"huisnummer", "huisletter", "huisnummertoevoeging"}
    assert adres.errors["huisletter"].to_pylist() == [None, None]
    assert adres.huisnummer.type == pa.int32()
    assert adres.huisletter.to_pylist() == ["", "B"]
    assert adres.toevoeging.to_pylist() == ["", ""]


def test_adres_mixes_rows_of_every_kind_in_one_column():
    adres = parse_adres(
        column("12", "12A-2", "", "14", "x", "3 bis"),
        column("", "", "", "c", "", ""),
        column("", "", "", "", "", ""),
    )
    assert adres.huisnummer.to_pylist() == [12, 12, None, 14, None, 3]
    assert adres.huisletter.to_pylist() == ["", "A", None, "C", None, ""]
    assert adres.toevoeging.to_pylist() == ["", "2", None, "", None, "BIS"]
    assert adres.errors["huisnummer"].to_pylist() == [
        None, None, "missing", None, "huisnummer_invalid", None,
    ]  # fmt: skip


# --- bedrag ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cents"),
    [
        ("123", 12300),
        ("123.45", 12345),
        ("123,45", 12345),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("€ 1.234,56", 123456),
        ("€1234", 123400),
        ("€\u00a012,50", 1250),
        ("1.234", 123400),
        ("1,234", 123400),
        ("12.345,6", 1234560),
        ("0,5", 50),
        ("0.05", 5),
        ("0,01", 1),
        ("007", 700),
        ("123.4", 12340),
        ("999999,99", 99999999),
        ("999.999,99", 99999999),
    ],
)
def test_bedrag_in_accepted_form_is_exact_cents(raw, cents):
    assert one(parse_bedrag, raw) == (cents, None)


@pytest.mark.parametrize(
    "raw",
    ["1.234.56", "1,234,56", "1.23,45", "12.3456", "123,456.7,8", "0.234", "1234.567",
       "1.2345", "12,3.45", "-5", "+5", "5-", "€ -5", "EUR 5", "$5", "5 €", "12,-", "1 234",
     "abc", ",50", "5.", "5,", "1.234,567", "١٢٣", "1e3", "€€5", "12.34.56"],
)  # fmt: skip
def test_bedrag_not_in_accepted_form_is_invalid(raw):
    assert one(parse_bedrag, raw) == (None, "bedrag_invalid")


def test_single_separator_before_three_digits_is_a_thousands_separator():
    assert one(parse_bedrag, "12,345") == (1234500, None)
    assert one(parse_bedrag, "12.345") == (1234500, None)


@pytest.mark.parametrize(
    "raw",
    ["0", "0,00", "€ 0", "1.000.000", "1000000", "1000000,00", "1,000,000.01",
     "123456789012345678901234567890", "0000000000000000000000"],
)  # fmt: skip
def test_bedrag_outside_zero_and_a_million_is_out_of_range(raw):
    assert one(parse_bedrag, raw) == (None, "bedrag_out_of_range")


def test_empty_bedrag_is_missing():
    assert one(parse_bedrag, "") == (None, "missing")


# --- datum ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-02-28", date(2026, 2, 28)),
        ("2024-02-29", date(2024, 2, 29)),
        ("28-02-2026", date(2026, 2, 28)),
        ("29-02-2024", date(2024, 2, 29)),
        ("1-2-2026", date(2026, 2, 1)),
        ("01-2-2026", date(2026, 2, 1)),
        ("31-12-1999", date(1999, 12, 31)),
        ("0001-01-01", date(1, 1, 1)),
        ("9999-12-31", date(9999, 12, 31)),
    ],
)
def test_datum_in_accepted_form_is_parsed(raw, expected):
    assert one(parse_datum, raw, required=True) == (expected, None)


@pytest.mark.parametrize(
    "raw",
    ["2026-02-30", "2023-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",
     "2026-01-32", "30-02-2026", "31-4-2026", "29-2-2023", "0000-01-01", "2026-1-5",
     "2026/01/05", "05/01/2026", "20260105", "2026-01-05T00:00", "05-01-26", "gisteren",
     "2026-01-05 12:00", "+2026-01-05", "１-2-2026"],
)  # fmt: skip
def test_datum_not_in_accepted_form_or_not_existing_is_invalid(raw):
    assert one(parse_datum, raw, required=True) == (None, "datum_invalid")


def test_datum_errors_also_when_the_rest_of_the_column_is_fine():
    dates, errors = parse_datum(column("2026-01-05", "2026-02-30", "05-01-2026"), required=True)
    assert dates.to_pylist() == [date(2026, 1, 5), None, date(2026, 1, 5)]
    assert errors.to_pylist() == [None, "datum_invalid", None]


def test_datum_like_iso_with_letters_is_invalid_among_valid_dates():
    dates, errors = parse_datum(
        column("2026-01-05", "20x6-01-05", "2026-02-30", "2026-01-29", "5-1-2026", ""),
        required=False,
    )
    assert dates.to_pylist() == [
        date(2026, 1, 5), None, None, date(2026, 1, 29), date(2026, 1, 5), None,
    ]  # fmt: skip
    assert errors.to_pylist() == [None, "datum_invalid", "datum_invalid", None, None, None]


def test_empty_required_datum_is_missing():
    assert one(parse_datum, "", required=True) == (None, "missing")


def test_empty_optional_datum_is_null_without_error():
    assert one(parse_datum, " ", required=False) == (None, None)


def test_date_after_the_limit_is_after_peildatum():
    dates = pa.array([date(2026, 1, 31), date(2026, 2, 1), None], pa.date32())
    assert check_not_after(dates, date(2026, 1, 31)).to_pylist() == [
        None, "datum_after_peildatum", None,
    ]  # fmt: skip


def test_check_not_after_reports_the_code_it_is_given():
    dates = pa.chunked_array([pa.array([date(2030, 1, 1)], pa.date32())])
    assert check_not_after(dates, date(2026, 1, 1), code="datum_out_of_range").to_pylist() == ["datum_out_of_range"]


def test_date_outside_the_range_is_out_of_range():
    dates = pa.array(
        [date(1899, 12, 31), date(1900, 1, 1), date(2026, 1, 1), date(2026, 1, 2), None],
        pa.date32(),
    )
    assert check_range(dates, date(1900, 1, 1), date(2026, 1, 1)).to_pylist() == [
        "datum_out_of_range", None, None, "datum_out_of_range", None,
    ]  # fmt: skip


# --- crisissignaal --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ja", True), ("JA", True), ("true", True), ("True", True), ("1", True),
     ("nee", False), ("Nee", False), ("false", False), ("FALSE", False), ("0", False),
     ("", False), ("  ", False)],
)  # fmt: skip
def test_crisissignaal_in_accepted_form_is_a_flag(raw, expected):
    assert one(parse_crisis, raw) == (expected, None)


@pytest.mark.parametrize("raw", ["j", "n", "yes", "no", "2", "waar", "ja!", "t"])
def test_other_crisissignaal_is_invalid(raw):
    assert one(parse_crisis, raw) == (None, "crisissignaal_invalid")


# --- email ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["", "jan@example.nl", "j.de.vries+schuld@mail.gemeente.nl", " jan@example.nl ",
     "ö@bücher.de", "a@b.c"],
)  # fmt: skip
def test_email_that_looks_like_one_or_is_empty_has_no_error(raw):
    assert parse_email(column(raw)).to_pylist() == [None]


@pytest.mark.parametrize(
    "raw",
    ["jan", "jan@", "@example.nl", "jan@example", "jan@@example.nl", "jan@ex@ample.nl",
     "jan de vries@example.nl", "jan@example..nl", "jan@.example.nl", "jan@example.nl.",
     "jan\u00a0x@example.nl", "jan\x01@example.nl", "a" * 250 + "@b.nl"],
)  # fmt: skip
def test_email_that_does_not_look_like_one_is_invalid(raw):
    assert parse_email(column(raw)).to_pylist() == ["email_invalid"]


# --- bsn ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["111222333", "123456782", " 999990019 "])
def test_bsn_passing_the_elfproef_is_kept(raw):
    assert one(parse_bsn, raw) == (raw.strip(), None)


@pytest.mark.parametrize(
    "raw",
    ["123456789", "111222334", "000000000", "12345678", "1234567820", "12345678a",
     "123 456 782", "١٢٣٤٥٦٧٨٢"],
)  # fmt: skip
def test_bsn_failing_the_elfproef_or_not_nine_digits_is_invalid(raw):
    assert one(parse_bsn, raw) == (None, "bsn_invalid")


def test_empty_bsn_is_null_without_error():
    assert one(parse_bsn, "") == (None, None)


# --- klantnummer ----------------------------------------------------------------------------


def test_klantnummer_repeated_is_duplicate_after_its_first_occurrence():
    errors = parse_klantnummer(column("K1", "K2", "K1", " K1 ", "k1", "K2", "K3"))
    assert errors.to_pylist() == [
        None, None, "klantnummer_duplicate", "klantnummer_duplicate", None,
        "klantnummer_duplicate", None,
    ]  # fmt: skip


@pytest.mark.parametrize("raw", ["1", "K-0001/a b", "é" * 64, "x" * 64, "ÄÖÜ€"])
def test_klantnummer_of_up_to_64_printable_characters_is_fine(raw):
    assert parse_klantnummer(column(raw)).to_pylist() == [None]


@pytest.mark.parametrize("raw", ["x" * 65, "é" * 65, "K\x001", "K\x1f1", "K\x7f1", "K\x851"])
def test_klantnummer_too_long_or_with_control_characters_is_invalid(raw):
    assert parse_klantnummer(column(raw)).to_pylist() == ["klantnummer_invalid"]


def test_empty_klantnummer_is_missing_not_duplicate():
    assert parse_klantnummer(column("", "")).to_pylist() == ["missing", "missing"]


def test_invalid_klantnummer_repeated_stays_invalid():
    bad = "K\x01"
    assert parse_klantnummer(column(bad, bad)).to_pylist() == ["klantnummer_invalid"] * 2


def test_duplicates_are_found_in_a_large_shuffled_column():
    values = [f"K{i % 1000}" for i in range(5000)]
    errors = parse_klantnummer(column(*values)).to_pylist()
    assert errors == [None] * 1000 + ["klantnummer_duplicate"] * 4000


# --- signaaltype ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Energie", "Energie"), ("energie", "Energie"), (" WATER ", "Water"), ("duo", "DUO"),
     ("cak zorgverzekeringen", "CAK Zorgverzekeringen"), ("gemeentebelasting", "Gemeentebelasting"),
     ("", "Huur")],
)  # fmt: skip
def test_signaaltype_is_matched_case_insensitively_and_empty_is_the_default(raw, expected):
    assert one(parse_signaaltype, raw, default="Huur") == (expected, None)


@pytest.mark.parametrize("raw", ["Gas", "CAK", "Zorg verzekeringen", "energie."])
def test_unknown_signaaltype_is_reported(raw):
    assert one(parse_signaaltype, raw, default="Huur") == (None, "signaaltype_unknown")


def test_default_signaaltype_is_given_in_ddas_spelling():
    assert one(parse_signaaltype, "", default="zorg") == ("Zorg", None)


def test_unknown_default_signaaltype_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown default signaaltype"):
        parse_signaaltype(column(""), default="Gas")
