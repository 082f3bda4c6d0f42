"""A corpus of hostile and malformed deliveries, each with the report delivery-format.md implies.

`build(folder)` writes every case to `folder/<name>.csv` and returns the cases. Everything is
generated, deterministically: the random bytes come from a fixed seed, the archives carry fixed
timestamps. `large=False` leaves out the multi-megabyte cases (the 2,000,001-row files, the 5 MiB
fields). `heavy()` are the cases that once took ingest past its memory: each is measured in a
fresh interpreter (tests/corpus/peak.py), not read in the test's own. The expectations assume
`read_delivery(..., upload_date=UPLOAD_DATE, today=TODAY)`; the files carry their own
peildatum, so they hold when ingested on any later day as well.
"""

import csv
import gzip
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from chalicelib.domain.report import MAX_FINDINGS, MAX_FINDINGS_PER_CODE, Report, Status

ROOT = Path(__file__).resolve().parents[2]
UPLOAD_DATE = TODAY = date(2026, 11, 3)
MAX_REPORT_BYTES = 1_000_000  # a report stays under it, whatever the file
PEILDATUM = "2026-11-01"
COLUMNS = ("klantnummer", "postcode", "huisnummer", "bedrag", "achterstand_sinds", "peildatum")
REQUIRED = ("klantnummer", "postcode", "huisnummer", "bedrag", "achterstand_sinds")
MIB = 1024 * 1024

RowError = tuple[int, str | None, str]  # (physical line, column, code) of one rejected row


@dataclass(frozen=True)
class Expectation:
    """What the report must say. Fields left at their default are not checked."""

    status: Status
    rejection: frozenset[str] = frozenset()  # acceptable file-level codes, when rejected at file level
    rejection_at: tuple[int | None, str | None] | None = None  # (line, column) of the rejection
    errors: tuple[RowError, ...] | None = None  # every row error, in report order
    warnings: tuple[str, ...] | None = None  # the warning codes, in report order
    stored: tuple[tuple[int, str, object], ...] = ()  # (line, column of rows, value) kept verbatim
    signaaltype: str = "Huur"  # the supplier's registered type
    max_fout_percentage: float = 10.0


class Case(NamedTuple):
    name: str
    data: bytes
    expect: Expectation


def cases(*, large: bool = True) -> list[Case]:
    """Every case, in a fixed order, generated in memory."""
    return _cases() + (_huge() if large else [])


def build(folder: Path, *, large: bool = True) -> list[Case]:
    """Write every case to `folder/<name>.csv` and return them."""
    folder.mkdir(parents=True, exist_ok=True)
    built = cases(large=large)
    for case in built:
        path_of(folder, case).write_bytes(case.data)
    return built


def path_of(folder: Path, case: Case) -> Path:
    return folder / f"{case.name}.csv"


# --- building blocks ------------------------------------------------------------------------


def _row(i: int, **values: str) -> dict[str, str]:
    row = {
        "klantnummer": f"K{i:05d}",
        "postcode": "6811AB",
        "huisnummer": str(i),
        "bedrag": "12,50",
        "achterstand_sinds": "2026-10-01",
        "peildatum": PEILDATUM,
    }
    row.update(values)
    return row


def _text(columns, rows, *, delimiter: str = ";") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return buffer.getvalue()


def _csv(columns=COLUMNS, rows=None, *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    rows = [_row(i) for i in range(1, 21)] if rows is None else rows
    return _text(columns, rows, delimiter=delimiter).encode(encoding)


def _valid_bsns(count: int) -> list[str]:
    found, number = [], 100_000_000
    while len(found) < count:
        number += 1
        digits = f"{number:09d}"
        total = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2, -1), digits, strict=False))
        if total % 11 == 0:
            found.append(digits)
    return found


class Row(NamedTuple):
    """A row among valid filler: its values, and the error it must get (None: it is valid).

    A valid row's `stored` values (column of `rows` -> value) must come out of read_delivery.
    """

    values: dict[str, str]
    column: str | None = None
    code: str | None = None
    stored: dict[str, object] | None = None


def _with_rows(
    name: str,
    special: list[Row],
    *,
    columns=COLUMNS,
    filler: int | None = None,
    stored_columns: tuple[str, ...] = (),
    **expect,
) -> Case:
    """Valid filler rows, then the `special` rows; the file is accepted (with errors).

    Filler keeps the invalid rows at 10% or fewer; the expected report lists each special row's
    error at its physical line. A valid special row must keep its `stored_columns` verbatim.
    """
    invalid = sum(row.code is not None for row in special)
    filler = max(20, 9 * invalid) if filler is None else filler
    rows = [_row(i) for i in range(1, filler + 1)]
    errors: list[RowError] = []
    stored: list[tuple[int, str, object]] = []
    for offset, row in enumerate(special):
        line = filler + 2 + offset
        rows.append(_row(filler + 1 + offset, **row.values))
        if row.code is not None:
            errors.append((line, row.column, row.code))
            continue
        kept = row.stored if row.stored is not None else {c: row.values[c] for c in stored_columns if c in row.values}
        stored += [(line, column, value) for column, value in kept.items()]
    status = Status.ACCEPTED_WITH_ERRORS if errors else Status.ACCEPTED
    expect.setdefault("warnings", ())
    return Case(name, _csv(columns, rows), Expectation(status, errors=tuple(errors), stored=tuple(stored), **expect))


def _rejected(name: str, data: bytes, codes, at=None, **expect) -> Case:
    codes = frozenset([codes] if isinstance(codes, str) else codes)
    return Case(name, data, Expectation(Status.REJECTED, rejection=codes, rejection_at=at, **expect))


# --- the cases --------------------------------------------------------------------------------


def _cases() -> list[Case]:
    return [
        *_unreadable_files(),
        *_header_problems(),
        *_peildatum_problems(),
        *_shape_problems(),
        *_encodings(),
        *_injection(),
        *_field_values(),
        *_error_rates(),
    ]


def _unreadable_files() -> list[Case]:
    valid = _csv()
    noise = random.Random(2026).randbytes(64 * 1024)
    xlsx = io.BytesIO()
    with zipfile.ZipFile(xlsx, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry in ("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"):
            archive.writestr(zipfile.ZipInfo(entry, date_time=(2026, 11, 1, 0, 0, 0)), "<x/>")
    nul_inside = valid.replace(b"K00007;6811AB", b"K00007;6811\x00AB")
    both_invalid = valid + b"K\x81\x8d\x8f\x90\x9d;6811AB;1;10;2026-10-01;" + PEILDATUM.encode() + b"\n"
    utf16 = "\ufeff" + valid.decode()
    # An empty file has neither header nor data: either reason tells the supplier what is wrong.
    empty = {"no_data_rows", "column_missing"}
    # UTF-16 is recognisable by its NUL bytes; either code tells the supplier to send UTF-8.
    not_utf8 = {"file_binary", "file_encoding"}
    return [
        _rejected("zero_bytes", b"", empty),
        _rejected("only_a_utf8_bom", b"\xef\xbb\xbf", empty),
        _rejected("random_binary", noise, "file_binary"),  # 64 KiB of noise holds NUL bytes
        _rejected("random_binary_without_nul_bytes", noise.replace(b"\x00", b""), "file_encoding"),
        _rejected("gzip_of_a_valid_csv", gzip.compress(valid, mtime=0), "file_compressed"),
        _rejected("zip_like_an_xlsx", xlsx.getvalue(), "file_compressed"),
        _rejected("utf16_le_with_bom", utf16.encode("utf-16-le"), not_utf8),
        _rejected("utf16_be_with_bom", utf16.encode("utf-16-be"), not_utf8),
        _rejected("nul_byte_inside_a_valid_file", nul_inside, "file_binary"),
        _rejected("invalid_in_utf8_and_windows_1252", both_invalid, "file_encoding"),
        # Only LF and CRLF end a line: an old-Mac file is one line, and not a CSV header.
        _rejected("cr_only_line_endings", valid.replace(b"\n", b"\r"), "file_line_endings"),
    ]


def _header_problems() -> list[Case]:
    missing = []
    for column in REQUIRED:
        columns = tuple(c for c in COLUMNS if c != column)
        missing.append(_rejected(f"missing_column_{column}", _csv(columns), "column_missing", at=(1, column)))
    twice = _csv((*COLUMNS, " POSTCODE "), [dict(_row(i), **{" POSTCODE ": "6811AB"}) for i in range(1, 21)])
    return [
        _rejected("only_a_header", _csv(rows=[]), "no_data_rows"),
        _rejected("header_and_empty_lines", _csv(rows=[]) + b"\n\r\n\n\n", "no_data_rows"),
        _rejected("known_column_twice_in_header", twice, "column_duplicate", at=(1, "postcode")),
        *missing,
    ]


def _peildatum_problems() -> list[Case]:
    differs = [_row(i, peildatum="2026-11-02" if i == 15 else PEILDATUM) for i in range(1, 21)]
    unparseable = [_row(i, peildatum="1 november 2026") for i in range(1, 21)]
    nonexistent = [_row(i, peildatum="2026-11-31") for i in range(1, 21)]
    # Two exports pasted together: the second header is a row whose peildatum reads "peildatum".
    concatenated = _csv() + _csv()
    return [
        _rejected("peildatum_differs_between_rows", _csv(rows=differs), "peildatum_mismatch", at=(16, "peildatum")),
        _rejected("peildatum_unparseable", _csv(rows=unparseable), "peildatum_invalid", at=(2, "peildatum")),
        _rejected("peildatum_does_not_exist", _csv(rows=nonexistent), "peildatum_invalid", at=(2, "peildatum")),
        _rejected("two_files_concatenated", concatenated, "peildatum_mismatch", at=(22, "peildatum")),
    ]


def _shape_problems() -> list[Case]:
    valid = _csv()
    peil = PEILDATUM.encode()
    unterminated = valid + b'K99999;"6811AB;1;10;2026-10-01;' + peil
    width = valid + b"K90001;6811AB;1\n" + b"K90002;6811AB;2;10;2026-10-01;" + peil + b";x;y\n"
    every_row_wrong = _csv(rows=[]) + b"K1;6811AB;1;10\n" * 20
    wide_known = (
        "klantnummer",
        "postcode",
        "huisnummer",
        "bedrag",
        "achterstand_sinds",
        "peildatum",
        "achternaam",
        "straat",
        "woonplaats",
        "email",
    )
    wide_header = ";".join(wide_known + tuple(f"extra_{i:04d}" for i in range(9_990))).encode()
    wide_rows = b"".join(
        f"K{i:05d};6811AB;{i};12,50;2026-10-01;{PEILDATUM};Jansen;Dorpsstraat;Arnhem;j{i}@example.nl".encode()
        + b";" * 9_990
        + b"\n"
        for i in range(1, 21)
    )
    # An odd number of stray quotes inside unquoted fields: as RFC 4180 readers do, kept as text.
    stray_columns = (*COLUMNS, "achternaam")
    stray = _text(stray_columns, [_row(i) for i in range(1, 22)]).replace(";\n", ';O"Brien\n')
    stray += f'K90001;6811AB;1;0;2026-10-01;{PEILDATUM};O"Brien\n'
    # Empty lines (LF and CRLF) and quoted line breaks: every record keeps the line it starts on.
    quoted = _text((*COLUMNS, "straat"), [_row(i) for i in range(1, 21)])
    quoted += "\n"  # line 22
    quoted += f'K90001;6811AB;1;10;2026-10-01;{PEILDATUM};"Kerkstraat\nachterom"\n'  # lines 23-24
    quoted += "\r\n"  # line 25
    quoted += f"K90002;0000AA;1;10;2026-10-01;{PEILDATUM};Markt\n"  # line 26
    quoted += f'K90003;6811AB;1;0;2026-10-01;{PEILDATUM};"a\n\nb"\n'  # lines 27-29
    quoted += f"K90004;6811AB;1;10;2026-10-01;{PEILDATUM};Plein\n"  # line 30
    # Only LF and CRLF end a line, so a lone CR inside a field is content, not a record break.
    lone_cr = _text((*COLUMNS, "straat"), [_row(i) for i in range(1, 21)])
    lone_cr += f"K90001;6811AB;1;10;2026-10-01;{PEILDATUM};Dorp\rstraat\n"  # line 22
    lone_cr += f"K90002;6811AB;2;0;2026-10-01;{PEILDATUM};Markt\n"  # line 23
    # Spreadsheets write a blank row as delimiters only: an empty line, neither read nor rejected.
    blank_rows = valid + b";;;;;\n" * 3 + b" ; ;;;;\n" + f"K90001;6811AB;1;0;2026-10-01;{PEILDATUM}\n".encode()
    return [
        Case(
            "lone_cr_inside_a_field",
            lone_cr.encode(),
            Expectation(
                Status.ACCEPTED_WITH_ERRORS,
                errors=((23, "bedrag", "bedrag_out_of_range"),),
                stored=((22, "straat", "Dorp straat"),),
            ),
        ),
        Case(
            "rows_of_only_delimiters",
            blank_rows,
            Expectation(Status.ACCEPTED_WITH_ERRORS, errors=((26, "bedrag", "bedrag_out_of_range"),)),
        ),
        Case(
            "unterminated_quote_at_the_end",
            unterminated,
            Expectation(Status.ACCEPTED_WITH_ERRORS, errors=((22, None, "column_count"),)),
        ),
        Case(
            "trailing_delimiter_on_every_line",
            valid.replace(b"\n", b";\n"),
            Expectation(Status.ACCEPTED, errors=(), warnings=()),
        ),
        Case(
            "rows_with_too_few_and_too_many_fields",
            width,
            Expectation(Status.ACCEPTED_WITH_ERRORS, errors=((22, None, "column_count"), (23, None, "column_count"))),
        ),
        _rejected(
            "every_row_has_too_few_fields",
            every_row_wrong,
            "too_many_errors",
            errors=tuple((line, None, "column_count") for line in range(2, 22)),
        ),
        Case(
            "ten_thousand_columns",
            wide_header + b"\n" + wide_rows,
            Expectation(
                Status.ACCEPTED,
                errors=(),
                warnings=("column_unknown",),
                stored=((2, "achternaam", "Jansen"), (21, "email", "j20@example.nl")),
            ),
        ),
        Case(
            "stray_quotes_inside_unquoted_fields",
            stray.encode(),
            Expectation(
                Status.ACCEPTED_WITH_ERRORS,
                errors=((23, "bedrag", "bedrag_out_of_range"),),
                stored=((2, "achternaam", 'O"Brien'), (22, "achternaam", 'O"Brien')),
            ),
        ),
        Case(
            "quoted_line_breaks_and_empty_lines",
            quoted.encode(),
            Expectation(
                Status.ACCEPTED_WITH_ERRORS,
                errors=((26, "postcode", "postcode_invalid"), (27, "bedrag", "bedrag_out_of_range")),
                stored=((23, "straat", "Kerkstraat\nachterom"), (30, "straat", "Plein")),
            ),
        ),
        Case(
            "comma_delimiter_with_quoted_amounts",
            _csv(rows=[_row(1, bedrag="1.234,56"), _row(2, bedrag="€ 1,234.56"), _row(3, bedrag="1,5")], delimiter=","),
            Expectation(
                Status.ACCEPTED,
                errors=(),
                stored=((2, "bedrag_cent", 123456), (3, "bedrag_cent", 123456), (4, "bedrag_cent", 150)),
            ),
        ),
    ]


def _encodings() -> list[Case]:
    columns = (*COLUMNS, "achternaam", "straat")
    names = [("\u201cHélène\u201d d\u2019Ancona", "Rue de l\u2019Église"), ("Müller", "Café «Oud»")]
    rows = [_row(i, achternaam=names[i % 2][0], straat=names[i % 2][1]) for i in range(1, 21)]
    return [
        Case(
            "windows_1252_with_smart_quotes_and_accents",
            _csv(columns, rows, encoding="cp1252"),
            Expectation(
                Status.ACCEPTED,
                errors=(),
                warnings=("encoding_windows_1252",),
                stored=((2, "achternaam", names[1][0]), (3, "achternaam", names[0][0]), (3, "straat", names[0][1])),
            ),
        ),
        Case(
            "utf8_with_bom_and_crlf",
            b"\xef\xbb\xbf" + _csv().replace(b"\n", b"\r\n"),
            Expectation(Status.ACCEPTED, errors=(), warnings=(), stored=((2, "klantnummer", "K00001"),)),
        ),
    ]


INJECTIONS = ("=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1)", "\t=1+2", "<script>alert(1)</script>")


def _injection() -> list[Case]:
    """Spreadsheet formulas and HTML are valid values: kept verbatim for the vault, never run."""
    columns = (*COLUMNS, "voorletters", "achternaam", "straat", "woonplaats")
    special = [
        Row(
            {
                "klantnummer": value,
                "voorletters": value,
                "achternaam": value,
                "straat": value,
                "woonplaats": INJECTIONS[-1 - k],
            }
        )
        for k, value in enumerate(INJECTIONS)
    ]
    return [
        _with_rows(
            "formula_and_html_injection",
            special,
            columns=columns,
            stored_columns=("klantnummer", "voorletters", "achternaam", "straat", "woonplaats"),
        ),
    ]


def _field_values() -> list[Case]:
    bsns = _valid_bsns(4)
    bsn_columns = (*COLUMNS, "bsn")
    return [
        _with_rows(
            "dates_that_do_not_exist_or_are_out_of_range",
            [
                Row({"achterstand_sinds": "2026-02-30"}, "achterstand_sinds", "datum_invalid"),
                Row({"achterstand_sinds": "31-04-2026"}, "achterstand_sinds", "datum_invalid"),
                Row({"achterstand_sinds": "2026/10/01"}, "achterstand_sinds", "datum_invalid"),
                Row({"geboortedatum": "1899-12-31"}, "geboortedatum", "datum_out_of_range"),
                Row({"achterstand_sinds": "2026-11-02"}, "achterstand_sinds", "datum_after_peildatum"),
                Row({"geboortedatum": "2999-01-01"}, "geboortedatum", "datum_out_of_range"),
                Row(
                    {"achterstand_sinds": "29-02-2024", "geboortedatum": "1900-01-01"},
                    stored={"achterstand_sinds": date(2024, 2, 29), "geboortedatum": date(1900, 1, 1)},
                ),
            ],
            columns=(*COLUMNS, "geboortedatum"),
        ),
        _with_rows(
            "bsn_failing_the_elfproef_from_a_zorg_supplier",
            [
                Row({"bsn": bsns[0]}),
                *(
                    Row({"bsn": value}, "bsn", "bsn_invalid")
                    for value in ("123456789", "12345678", "000000000", "1234567890", "11122233A")
                ),
            ],
            columns=bsn_columns,
            signaaltype="Zorg",
            stored_columns=("bsn",),
        ),
        _with_rows(
            "bsn_from_a_huur_supplier_is_ignored",
            [
                Row({"bsn": bsns[1]}, stored={"bsn": None}),
                Row({"bsn": "123456789"}, stored={"bsn": None}),
            ],
            columns=bsn_columns,
            warnings=("bsn_ignored",),
        ),
        # The supplier is known from its upload, never from the file: rows that claim to be Zorg
        # do not make a housing corporation a BSN supplier.
        _with_rows(
            "bsn_from_a_huur_supplier_whose_rows_claim_zorg",
            [
                Row({"bsn": bsns[2], "signaaltype": "Zorg"}, stored={"bsn": None}),
                Row({"bsn": bsns[3], "signaaltype": "zorg"}, stored={"bsn": None}),
            ],
            columns=(*bsn_columns, "signaaltype"),
            warnings=("bsn_ignored",),
        ),
        _with_rows(
            "klantnummer_too_long",
            [
                Row({"klantnummer": "L" * 64}),
                Row({"klantnummer": "é" * 64}),
                Row({"klantnummer": "M" * 65}, "klantnummer", "klantnummer_invalid"),
                Row({"klantnummer": "é" * 65}, "klantnummer", "klantnummer_invalid"),
            ],
            stored_columns=("klantnummer",),
        ),
        _with_rows(
            "klantnummer_with_control_characters",
            [
                Row({"klantnummer": "K\x07BEL"}, "klantnummer", "klantnummer_invalid"),
                Row({"klantnummer": "K\x1b[2J"}, "klantnummer", "klantnummer_invalid"),
                Row({"klantnummer": "K\x7fDEL"}, "klantnummer", "klantnummer_invalid"),
                Row({"klantnummer": "K\x85NEL"}, "klantnummer", "klantnummer_invalid"),
                Row({"klantnummer": "K\x0bVT"}, "klantnummer", "klantnummer_invalid"),
            ],
        ),
        # Invisible format characters: a right-to-left override or a zero-width space makes one
        # klantnummer look like another; they are not printable (str.isprintable is False).
        _with_rows(
            "klantnummer_with_invisible_format_characters",
            [
                Row({"klantnummer": "K\u202e00012"}, "klantnummer", "klantnummer_invalid"),
                Row({"klantnummer": "K000\u200b12"}, "klantnummer", "klantnummer_invalid"),
            ],
        ),
        _with_rows(
            "klantnummer_repeated",
            [
                Row({"klantnummer": "K00003"}, "klantnummer", "klantnummer_duplicate"),
                Row({"klantnummer": " K00004 "}, "klantnummer", "klantnummer_duplicate"),
            ],
        ),
        _with_rows(
            "postcode_with_forbidden_letters_or_leading_zero",
            [
                Row({"postcode": "1234SS"}, "postcode", "postcode_invalid"),
                Row({"postcode": "1234 sa"}, "postcode", "postcode_invalid"),
                Row({"postcode": "1234sd"}, "postcode", "postcode_invalid"),
                Row({"postcode": "0123AB"}, "postcode", "postcode_invalid"),
                Row({"postcode": "1234 sb"}, stored={"postcode": "1234SB"}),
            ],
        ),
        _with_rows(
            "huisnummer_out_of_range",
            [
                Row({"huisnummer": "0"}, "huisnummer", "huisnummer_invalid"),
                Row({"huisnummer": "100000"}, "huisnummer", "huisnummer_invalid"),
                Row({"huisnummer": "99999"}, stored={"huisnummer": 99999}),
            ],
        ),
        _with_rows(
            "bedrag_out_of_range_or_malformed",
            [
                Row({"bedrag": "0"}, "bedrag", "bedrag_out_of_range"),
                Row({"bedrag": "-5"}, "bedrag", "bedrag_invalid"),
                Row({"bedrag": "1000000"}, "bedrag", "bedrag_out_of_range"),
                Row({"bedrag": "1.000.000,00"}, "bedrag", "bedrag_out_of_range"),
                Row({"bedrag": "1.234,567"}, "bedrag", "bedrag_invalid"),
                # A single separator before exactly three digits separates thousands: 12.345 = 12345 euro.
                Row({"bedrag": "12.345"}, stored={"bedrag_cent": 1_234_500}),
                Row({"bedrag": "999999,99"}, stored={"bedrag_cent": 99_999_999}),
            ],
        ),
        _with_rows(
            "other_columns_with_invalid_values",
            [
                Row({"email": "jan@"}, "email", "email_invalid"),
                Row({"crisissignaal": "misschien"}, "crisissignaal", "crisissignaal_invalid"),
                Row({"signaaltype": "Vis"}, "signaaltype", "signaaltype_unknown"),
                Row({"huisletter": "AB"}, "huisletter", "huisletter_invalid"),
            ],
            columns=(*COLUMNS, "huisletter", "signaaltype", "crisissignaal", "email"),
        ),
    ]


def _error_rates() -> list[Case]:
    def last_invalid(invalid: int) -> tuple[bytes, tuple[RowError, ...]]:
        """100 rows of which the last `invalid` have an impossible postcode."""
        rows = [_row(i, postcode="0000AA" if i > 100 - invalid else "6811AB") for i in range(1, 101)]
        return _csv(rows=rows), tuple((i + 1, "postcode", "postcode_invalid") for i in range(101 - invalid, 101))

    eleven, eleven_errors = last_invalid(11)
    ten, ten_errors = last_invalid(10)
    all_invalid = _csv(rows=[_row(i, postcode="0000AA") for i in range(1, 6)])
    return [
        _rejected("eleven_percent_invalid_rows", eleven, "too_many_errors", errors=eleven_errors),
        Case("exactly_ten_percent_invalid_rows", ten, Expectation(Status.ACCEPTED_WITH_ERRORS, errors=ten_errors)),
        # A supplier allowed 100% gets a report and an empty, not a missing, set of rows.
        Case(
            "every_row_invalid_for_a_supplier_that_allows_it",
            all_invalid,
            Expectation(
                Status.ACCEPTED_WITH_ERRORS,
                max_fout_percentage=100.0,
                errors=tuple((line, "postcode", "postcode_invalid") for line in range(2, 7)),
            ),
        ),
    ]


def _huge() -> list[Case]:
    """Multi-megabyte cases: block boundaries of the CSV reader and the row limit, in short rows."""
    valid = _csv()
    peil = PEILDATUM.encode()
    long_klantnummer = valid + b"K" * (5 * MIB) + b";6811AB;1;10;2026-10-01;" + peil + b"\n"
    straat_lines = 5 * MIB // len(b"Dorpsstraat\n")
    long_straat = (
        _csv((*COLUMNS, "straat"))
        + b"K90001;6811AB;1;10;2026-10-01;"
        + peil
        + b';"'
        + b"Dorpsstraat\n" * straat_lines
        + b'"\n'
        + b"K90002;0000AA;1;10;2026-10-01;"
        + peil
        + b";Markt\n"
    )
    # A 200 KiB quoted value with a single line break: under the line cap, still one record.
    long_value = (
        _csv((*COLUMNS, "straat"))
        + b"K90001;6811AB;1;10;2026-10-01;"
        + peil
        + b';"'
        + b"Dorpsstraat " * (200 * 1024 // 12)
        + b'\nachterom"\n'
        + b"K90002;0000AA;1;10;2026-10-01;"
        + peil
        + b";Markt\n"
    )
    rows = b"klantnummer;postcode;huisnummer;bedrag;achterstand_sinds\n" + b"K;6811AB;1;10;2026-10-01\n" * 2_000_001
    return [
        # A line over the cap refuses the file before anything parses it.
        _rejected("five_mib_klantnummer", long_klantnummer, "line_too_long", at=(22, None)),
        # Hundreds of thousands of line breaks in one value: no address has them; the file is refused
        # at the line the value opens on rather than read as one record that swallows the rest.
        _rejected("five_mib_quoted_straat_with_line_breaks", long_straat, "quote_spans_lines", at=(22, None)),
        Case(
            "long_quoted_straat_with_one_line_break",
            long_value,
            Expectation(
                Status.ACCEPTED_WITH_ERRORS,
                errors=((24, "postcode", "postcode_invalid"),),
                warnings=("quoted_line_breaks",),
            ),
        ),
        _rejected("two_million_and_one_rows", rows, "too_many_rows"),
        _rejected("two_million_and_one_rows_of_one_field", _csv(rows=[]) + b"x\n" * 2_000_001, "too_many_rows"),
    ]


@dataclass(frozen=True)
class Heavy:
    """A case measured for memory: its file, its status and rejection, and the true count of each
    row error code the report must give (beside at most MAX_FINDINGS_PER_CODE listed)."""

    name: str
    data: bytes
    status: Status
    rejection: str | None = None
    rejection_at: tuple[int | None, str | None] | None = None
    errors_per_code: tuple[tuple[str, int], ...] = ()
    rows: int | None = None  # counts.read, where the file is read to its end


HEAVY = (
    "six_mib_header_of_delimiters",
    "twenty_thousand_empty_columns",
    "thirty_two_mib_line",
    "four_hundred_thousand_rows_of_x",
    "stray_quote_in_a_large_file",
)


def heavy() -> list[Heavy]:
    """A header of 6 MiB of delimiters, one of 20,000 empty columns, a 32 MiB line, 400,000 rows of
    `x;x;x;x;x` (two million row errors), and a 100 MiB honest file with one stray quote."""
    valid = _csv()
    x_rows = 400_000
    return [
        Heavy(
            "six_mib_header_of_delimiters",
            b";" * (6 * MIB) + b"\n" + valid.split(b"\n", 1)[1],
            Status.REJECTED,
            "header_too_long",
            (1, None),
        ),
        Heavy(
            "twenty_thousand_empty_columns",
            b";" * 20_000 + b"\n" + b";" * 20_000 + b"\n",
            Status.REJECTED,
            "too_many_columns",
            (1, None),
        ),
        Heavy(
            "thirty_two_mib_line",
            valid + b"x" * (32 * MIB) + b"\n" + valid.split(b"\n", 1)[1],
            Status.REJECTED,
            "line_too_long",
            (22, None),
        ),
        Heavy(
            "four_hundred_thousand_rows_of_x",
            b"klantnummer;postcode;huisnummer;bedrag;achterstand_sinds\n" + b"x;x;x;x;x\n" * x_rows,
            Status.REJECTED,
            "too_many_errors",
            errors_per_code=(
                ("klantnummer_duplicate", x_rows - 1),
                ("postcode_invalid", x_rows),
                ("huisnummer_invalid", x_rows),
                ("bedrag_invalid", x_rows),
                ("datum_invalid", x_rows),
            ),
            rows=x_rows,
        ),
        _stray_quote_in_a_large_file(),
    ]


def _stray_quote_in_a_large_file(size: int = 100 * MIB) -> Heavy:
    """Honest rows, one of them with a quote inside an unquoted name (O"Brien) near the start."""
    columns = (*COLUMNS, "achternaam", "straat", "woonplaats", "email")
    header = ";".join(columns) + "\n"
    row = "K{0:08d};6811AB;{1};12,50;2026-10-01;" + PEILDATUM + ";{2};Dorpsstraat {1};Arnhem;k{0}@example.nl\n"
    count = size // len(row.format(0, 1, "Jansen"))
    names = ['O"Brien' if i == 3 else "Jansen" for i in range(count)]
    text = header + "".join(row.format(i, i % 999 + 1, names[i]) for i in range(count))
    return Heavy("stray_quote_in_a_large_file", text.encode(), Status.ACCEPTED, rows=count)


def check_heavy_report(case: Heavy, report: Report) -> None:
    """What every heavy case's report must say, wherever it was ingested (the functional tests too)."""
    assert report.status is case.status
    if case.rejection is not None:
        assert report.rejection is not None and report.rejection.code == case.rejection
        if case.rejection_at is not None:
            assert (report.rejection.line, report.rejection.column) == case.rejection_at
    if case.rows is not None:
        assert report.counts.read == case.rows
    for code, count in case.errors_per_code:
        assert report.errors_per_code[code] == count
        assert len([e for e in report.errors if e.code == code]) <= MAX_FINDINGS_PER_CODE
    listed = len(report.errors) + len(report.warnings)
    assert listed <= MAX_FINDINGS
    counted = sum(report.errors_per_code.values()) + sum(report.warnings_per_code.values())
    assert report.truncated is (listed < counted)
    assert (report.note is not None) is report.truncated
    assert len(report.model_dump_json().encode()) < MAX_REPORT_BYTES
