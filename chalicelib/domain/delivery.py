"""Validating and normalising one supplier delivery (delivery-format.md), vectorised.

`read_delivery` is pure: bytes and the supplier's registration (registry.Leverancier) in, the
accepted rows and the report's findings out. Pseudonymising and the address lookup happen later
(signals.py).
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from chalicelib.domain import parsing
from chalicelib.domain.csvfile import (
    FileError,
    Records,
    decode,
    multi_line_records,
    read_header,
    read_records,
)
from chalicelib.domain.registry import Leverancier
from chalicelib.domain.report import Counts, Finding, Status, finding
from chalicelib.domain.signaaltype import BSN_SIGNAALTYPEN

MAX_ROWS = 2_000_000
REQUIRED = ("klantnummer", "postcode", "huisnummer", "bedrag", "achterstand_sinds")
OPTIONAL = (
    "huisletter",
    "huisnummertoevoeging",
    "peildatum",
    "signaaltype",
    "crisissignaal",
    "voorletters",
    "tussenvoegsel",
    "achternaam",
    "geboortedatum",
    "straat",
    "woonplaats",
    "telefoon",
    "email",
    "bsn",
)
KNOWN = REQUIRED + OPTIONAL
_FREE_TEXT = ("voorletters", "tussenvoegsel", "achternaam", "straat", "woonplaats", "telefoon")
_UNKNOWN_COLUMNS_LISTED = 20
_COLUMN_NAME_SHOWN = 40
_EARLIEST_BIRTH = date(1900, 1, 1)


@dataclass
class Rejected:
    """A file refused whole: why, and what was counted and found up to then."""

    counts: Counts
    rejection: Finding
    peildatum: date | None = None
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    status: Status = Status.REJECTED
    rows: None = None


@dataclass
class Accepted:
    """A file taken in: its valid rows (the invalid ones reported in `errors`)."""

    status: Status
    counts: Counts
    peildatum: date
    rows: pa.Table
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    rejection: None = None


ReadResult = Accepted | Rejected  # the outcome of reading one file


class _Rejected(Exception):
    def __init__(self, reason: Finding) -> None:
        super().__init__(reason.code)
        self.reason = reason


def read_delivery(data: bytes, leverancier: Leverancier, *, upload_date: date, today: date) -> ReadResult:
    """Validate a delivery; a file-level problem rejects it whole (rows None)."""
    warnings: list[Finding] = []
    try:
        decoded = decode(data)
        if decoded.windows_1252:
            warnings.append(finding("encoding_windows_1252"))
        if decoded.newlines > 2 * MAX_ROWS + 1:
            raise _Rejected(finding("too_many_rows"))
        header = read_header(decoded.text)
        wanted = _map_columns(header.names, warnings)
        records = read_records(decoded.text, header, wanted, newlines=decoded.newlines)
        # Nothing swallowed: each record read over several lines is named, and one over too many refused.
        warnings += [finding("quoted_line_breaks", line=line) for line, _ in multi_line_records(decoded.text, records)]
    except FileError as exc:
        return Rejected(Counts(), rejection=finding(exc.code, line=exc.line), warnings=warnings)
    except _Rejected as exc:
        return Rejected(Counts(), rejection=exc.reason, warnings=warnings)
    return _validate(records, leverancier, upload_date=upload_date, today=today, warnings=warnings)


def _map_columns(names: list[str], warnings: list[Finding]) -> dict[str, int]:
    wanted: dict[str, int] = {}
    unknown: list[str] = []
    for index, raw in enumerate(names):
        name = raw.strip().lower()
        if not name:
            continue
        if name not in KNOWN:
            unknown.append(raw.strip()[:_COLUMN_NAME_SHOWN])
        elif name in wanted:
            raise _Rejected(finding("column_duplicate", line=1, column=name))
        else:
            wanted[name] = index
    for name in REQUIRED:
        if name not in wanted:
            raise _Rejected(finding("column_missing", line=1, column=name))
    if unknown:
        listed = ", ".join(unknown[:_UNKNOWN_COLUMNS_LISTED])
        more = f" en nog {len(unknown) - _UNKNOWN_COLUMNS_LISTED}" if len(unknown) > _UNKNOWN_COLUMNS_LISTED else ""
        warnings.append(
            Finding(line=1, code="column_unknown", message=f"Onbekende kolommen genegeerd: {listed}{more}.")
        )
    return wanted


class _Checks:
    """Collects each column's error codes; a row with any error is rejected."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.columns: list[tuple[str, pa.Array]] = []

    def add(self, column: str, errors: pa.Array) -> None:
        if errors.null_count < len(errors):
            self.columns.append((column, errors))

    def invalid(self) -> NDArray[np.bool_]:
        mask = np.zeros(self.n, dtype=bool)
        for _, errors in self.columns:
            mask |= pc.is_valid(errors).to_numpy(zero_copy_only=False)
        return mask

    def findings(self, lines: NDArray[np.int64]) -> list[tuple[int, int, Finding]]:
        found: list[tuple[int, int, Finding]] = []
        for order, (column, errors) in enumerate(self.columns):
            where = np.flatnonzero(pc.is_valid(errors).to_numpy(zero_copy_only=False))
            codes = errors.take(pa.array(where)).to_pylist()
            for index, code in zip(where.tolist(), codes, strict=True):
                line = int(lines[index])
                found.append((line, order, Finding(line=line, column=column, code=code, message=_text(code))))
        return found


def _text(code: str) -> str:
    return parsing.MESSAGES.get(code, code)


def _column(records: Records, name: str) -> pa.Array:
    """The column as read ("" throughout when absent); the parsers trim what they check."""
    values = records.columns.get(name)
    if values is None:
        return pa.nulls(len(records.lines), pa.string()).fill_null("")
    return values


def _peildatum(records: Records, upload_date: date) -> date:
    """The one peildatum of the file (compared as dates, so 2026-11-01 equals 01-11-2026)."""
    if "peildatum" not in records.columns or len(records.lines) == 0:
        return upload_date
    values = pc.utf8_trim_whitespace(records.columns["peildatum"])
    distinct = pc.unique(values)
    if len(distinct) == 1 and distinct[0].as_py() == "":
        return upload_date
    parsed, errors = parsing.parse_datum(distinct, required=True)
    if errors.null_count < len(errors):
        bad = distinct.filter(pc.is_valid(errors))[0]
        line = int(records.lines[np.flatnonzero(pc.equal(values, bad).to_numpy(zero_copy_only=False))[0]])
        code = "peildatum_invalid" if len(distinct) == 1 else "peildatum_mismatch"
        raise _Rejected(finding(code, line=line, column="peildatum"))
    dates = pc.unique(parsed)
    if len(dates) > 1:
        per_row = pc.take(parsed, pc.index_in(values, value_set=distinct))
        differs = pc.not_equal(per_row, per_row[0]).to_numpy(zero_copy_only=False)
        line = int(records.lines[np.flatnonzero(differs)[0]])
        raise _Rejected(finding("peildatum_mismatch", line=line, column="peildatum"))
    peildatum: date = dates[0].as_py()
    return peildatum


def _validate(
    records: Records, leverancier: Leverancier, *, upload_date: date, today: date, warnings: list[Finding]
) -> ReadResult:
    records = _without_blank_records(records)
    n = len(records.lines)
    if records.rows == 0:
        return Rejected(Counts(), rejection=finding("no_data_rows"), warnings=warnings)
    if records.rows > MAX_ROWS:
        too_many = finding("too_many_rows")
        return Rejected(Counts(read=records.rows), rejection=too_many, warnings=warnings)
    try:
        peildatum = _peildatum(records, upload_date)
    except _Rejected as exc:
        return Rejected(Counts(read=records.rows), rejection=exc.reason, warnings=warnings)

    checks = _Checks(n)
    checks.add("klantnummer", parsing.parse_klantnummer(_column(records, "klantnummer")))
    postcode, errors = parsing.parse_postcode(_column(records, "postcode"))
    checks.add("postcode", errors)
    adres = parsing.parse_adres(
        _column(records, "huisnummer"),
        _column(records, "huisletter") if "huisletter" in records.columns else None,
        _column(records, "huisnummertoevoeging") if "huisnummertoevoeging" in records.columns else None,
    )
    for column in ("huisnummer", "huisletter", "huisnummertoevoeging"):
        checks.add(column, adres.errors[column])
    bedrag, errors = parsing.parse_bedrag(_column(records, "bedrag"))
    checks.add("bedrag", errors)
    sinds, errors = parsing.parse_datum(_column(records, "achterstand_sinds"), required=True)
    checks.add("achterstand_sinds", errors)
    checks.add("achterstand_sinds", parsing.check_not_after(sinds, peildatum))
    signaaltype, errors = parsing.parse_signaaltype(_column(records, "signaaltype"), leverancier.signaaltype)
    checks.add("signaaltype", errors)
    crisis, errors = parsing.parse_crisis(_column(records, "crisissignaal"))
    checks.add("crisissignaal", errors)
    geboortedatum, errors = parsing.parse_datum(_column(records, "geboortedatum"), required=False)
    checks.add("geboortedatum", errors)
    checks.add("geboortedatum", parsing.check_range(geboortedatum, _EARLIEST_BIRTH, today))
    checks.add("email", parsing.parse_email(_column(records, "email")))
    bsn = _bsn(records, leverancier, signaaltype, checks, warnings)

    invalid = checks.invalid()
    rejected_rows = int(invalid.sum()) + len(records.bad_lines)
    found = checks.findings(records.lines)
    found += [
        (line, -1, Finding(line=line, column=None, code="column_count", message=_column_count_message(fields, records)))
        for line, fields in records.bad_lines
    ]
    found.sort(key=lambda item: (item[0], item[1]))
    errors_found = [item[2] for item in found]

    accepted = records.rows - rejected_rows
    counts = Counts(read=records.rows, accepted=accepted, rejected=rejected_rows)
    if rejected_rows * 100 > leverancier.max_fout_percentage * records.rows:
        return Rejected(
            counts,
            peildatum=peildatum,
            rejection=finding("too_many_errors"),
            errors=errors_found,
            warnings=warnings,
        )

    keep = pa.array(~invalid)
    rows = pa.table(
        {
            "regel": pa.array(records.lines, pa.int32()),
            "klantnummer": _column(records, "klantnummer"),
            "postcode": postcode,
            "huisnummer": adres.huisnummer,
            "huisletter": adres.huisletter,
            "toevoeging": adres.toevoeging,
            "bedrag_cent": bedrag,
            "achterstand_sinds": sinds,
            "signaaltype": signaaltype,
            "crisis": crisis,
            "geboortedatum": geboortedatum,
            "email": _column(records, "email"),
            "bsn": bsn,
            **{name: _column(records, name) for name in _FREE_TEXT},
        }
    ).filter(keep)
    status = Status.ACCEPTED if rejected_rows == 0 else Status.ACCEPTED_WITH_ERRORS
    return Accepted(status, counts, peildatum=peildatum, rows=rows, errors=errors_found, warnings=warnings)


def _without_blank_records(records: Records) -> Records:
    """Records of only delimiters (spreadsheets write `;;;;` for blank rows) are empty lines too."""
    if len(records.lines) == 0:
        return records

    def blank(name: str) -> pa.Array:
        return pc.match_substring_regex(records.columns[name], r"^\s*$")

    empty = None
    for name in (*REQUIRED, *(n for n in records.columns if n not in REQUIRED)):
        empty = blank(name) if empty is None else pc.and_(empty, blank(name))
        if not pc.any(empty).as_py():
            return records
    keep = pc.invert(empty)
    dropped = len(records.lines) - pc.sum(keep.cast(pa.int64())).as_py()
    return Records(
        {name: values.filter(keep) for name, values in records.columns.items()},
        records.lines[keep.to_numpy(zero_copy_only=False)],
        records.bad_lines,
        rows=records.rows - dropped,
        width=records.width,
    )


def _bsn(
    records: Records, leverancier: Leverancier, signaaltype: pa.Array, checks: _Checks, warnings: list[Finding]
) -> pa.Array:
    """BSNs only from a supplier registered as Zorg or CAK Zorgverzekeringen, on rows of such a
    type; anywhere else the column is dropped with one warning. The registration decides, not
    the file: a rows' signaaltype cannot make another supplier a BSN source."""
    n = len(records.lines)
    if "bsn" not in records.columns:
        return pa.nulls(n, pa.string())
    values = _column(records, "bsn")
    if leverancier.signaaltype in BSN_SIGNAALTYPEN:
        allowed = pc.fill_null(pc.is_in(signaaltype, value_set=pa.array(sorted(BSN_SIGNAALTYPEN))), False)
    else:
        allowed = pa.nulls(n, pa.bool_()).fill_null(False)
    given = pc.invert(pc.match_substring_regex(values, r"^\s*$"))
    if pc.any(pc.and_(given, pc.invert(allowed))).as_py():
        warnings.append(finding("bsn_ignored", column="bsn"))
    parsed, errors = parsing.parse_bsn(pc.if_else(allowed, values, ""))
    checks.add("bsn", errors)
    return parsed


def _column_count_message(fields: int, records: Records) -> str:
    return f"De regel heeft {fields} velden; de kopregel heeft er {records.width}."
