"""Validating and normalising one supplier delivery (delivery-format.md), vectorised, batch by batch.

`DeliveryReader` is pure: the file's bytes in chunks and the supplier's registration
(registry.Leverancier) in; each batch's accepted rows out as they are read, and at the end the
outcome with the report's counts and findings. What spans batches is carried across them: the one
peildatum, the klantnummers seen, the counts and the (bounded) findings; so memory does not grow
with the file. Pseudonymising and the address lookup happen later (signals.py), per batch.
`read_delivery` reads a whole file in memory into one table (tests, small files).
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from chalicelib.domain import parsing
from chalicelib.domain.csvbatch import FileError, Records
from chalicelib.domain.csvfile import BATCH_BYTES, RecordStream, Reread
from chalicelib.domain.klantnummers import SeenKlantnummers
from chalicelib.domain.peildatum import FilePeildatum, PeildatumError
from chalicelib.domain.registry import Leverancier
from chalicelib.domain.report import Counts, Finding, Findings, Status, bounded, finding
from chalicelib.domain.signaaltype import BSN_SIGNAALTYPEN
from chalicelib.domain.upload import MAX_BYTES

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


@dataclass(frozen=True)
class Limits:
    """How much one delivery may hold, and how much of it is read at a time."""

    rows: int = MAX_ROWS
    bytes: int = MAX_BYTES
    batch_bytes: int = BATCH_BYTES


@dataclass
class Rejected:
    """A file refused whole: why, and what was counted and found up to then."""

    counts: Counts
    rejection: Finding
    peildatum: date | None = None
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    errors_per_code: dict[str, int] = field(default_factory=dict)
    warnings_per_code: dict[str, int] = field(default_factory=dict)
    truncated: bool = False
    status: Status = Status.REJECTED
    rows: None = None


@dataclass
class Accepted:
    """A file taken in: its counts and findings; `rows` the valid rows when read whole."""

    status: Status
    counts: Counts
    peildatum: date
    rows: pa.Table | None = None
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    errors_per_code: dict[str, int] = field(default_factory=dict)
    warnings_per_code: dict[str, int] = field(default_factory=dict)
    truncated: bool = False
    rejection: None = None


ReadResult = Accepted | Rejected  # the outcome of reading one file
DEFAULT_LIMITS = Limits()


class _Rejected(Exception):
    def __init__(self, reason: Finding) -> None:
        super().__init__(reason.code)
        self.reason = reason


def read_delivery(
    data: bytes, leverancier: Leverancier, *, upload_date: date, today: date, limits: Limits = DEFAULT_LIMITS
) -> ReadResult:
    """Validate a delivery held in memory; an accepted one's valid rows in one table."""
    reader = DeliveryReader(leverancier, upload_date=upload_date, today=today, limits=limits)
    step = limits.batch_bytes
    try:
        batches = list(reader.read(data[i : i + step] for i in range(0, len(data), step)))
    except Reread:
        reader = DeliveryReader(leverancier, upload_date=upload_date, today=today, limits=limits, encoding="cp1252")
        batches = list(reader.read(data[i : i + step] for i in range(0, len(data), step)))
    result = reader.result()
    if isinstance(result, Accepted):
        result.rows = pa.concat_tables(batches) if batches else reader.empty_rows()
    return result


class DeliveryReader:
    """Reads one delivery: `read` yields each batch's valid rows (pa.Table, `ROW_COLUMNS`), then
    `result()` is the outcome. A file-level problem ends the reading with a Rejected result; a
    file that turns out too bad only at its end is Rejected too, after its rows were yielded, so
    whoever stored them must drop them. `read` raises csvfile.Reread when the file is
    Windows-1252 after UTF-8 was read: read it again with `encoding="cp1252"`.
    """

    def __init__(
        self,
        leverancier: Leverancier,
        *,
        upload_date: date,
        today: date,
        limits: Limits = DEFAULT_LIMITS,
        encoding: str | None = None,
    ) -> None:
        self._leverancier = leverancier
        self._upload_date = upload_date
        self._today = today
        self._limits = limits
        self._encoding = encoding
        self.errors = Findings()
        self.warnings = Findings()
        self._rows = 0  # data records read, bad ones included
        self._rejected = 0
        self._peildatum = FilePeildatum(upload_date)
        self._klantnummers = SeenKlantnummers()
        self._windows_1252 = False
        self._outcome: Rejected | None = None

    def read(self, chunks: Iterable[bytes]) -> Iterator[pa.Table]:
        stream = RecordStream(chunks, encoding=self._encoding, batch_bytes=self._limits.batch_bytes)
        try:
            header = stream.header()
            self._note_encoding(stream)
            wanted = _map_columns(header.names, self.warnings)
            for records in stream.batches(wanted):
                self._note_encoding(stream)
                if stream.newlines > 2 * self._limits.rows + 1:
                    raise _Rejected(finding("too_many_rows"))
                rows = self._validate(records)
                if rows.num_rows:
                    yield rows
        except FileError as exc:
            self._outcome = self._refused(finding(exc.code, line=exc.line), read=0)
        except _Rejected as exc:
            self._outcome = self._refused(exc.reason, read=self._rows)

    def peildatum(self) -> date:
        """The file's peildatum as far as read (the rows yielded so far all have it)."""
        return self._peildatum.value or self._upload_date

    def not_found(self, lines: NDArray[np.integer[Any]]) -> None:
        """Warn for the rows whose address is not in the reference (found after `read` yielded them)."""
        _warn_lines(self.warnings, "adres_niet_gevonden", lines, column="postcode")

    def result(self) -> ReadResult:
        if self._outcome is not None:
            return self._outcome
        if self._rows == 0:
            return self._refused(finding("no_data_rows"), read=0)
        errors, warnings, truncated = bounded(self.errors, self.warnings)
        counts = Counts(
            read=self._rows,
            accepted=self._rows - self._rejected,
            rejected=self._rejected,
            warnings=self.warnings.total(),
        )
        errors_per_code, warnings_per_code = dict(self.errors.per_code), dict(self.warnings.per_code)
        if self._rejected * 100 > self._leverancier.max_fout_percentage * self._rows:
            return Rejected(
                counts,
                rejection=finding("too_many_errors"),
                peildatum=self.peildatum(),
                errors=errors,
                warnings=warnings,
                errors_per_code=errors_per_code,
                warnings_per_code=warnings_per_code,
                truncated=truncated,
            )
        status = Status.ACCEPTED if self._rejected == 0 else Status.ACCEPTED_WITH_ERRORS
        return Accepted(
            status,
            counts,
            peildatum=self.peildatum(),
            errors=errors,
            warnings=warnings,
            errors_per_code=errors_per_code,
            warnings_per_code=warnings_per_code,
            truncated=truncated,
        )

    def empty_rows(self) -> pa.Table:
        """The rows of a batch without any, with their columns and types."""
        return self._validate(Records({}, np.zeros(0, np.int64), [], 0, 0)).slice(0, 0)

    def _refused(self, reason: Finding, *, read: int) -> Rejected:
        """A file refused before its end: its warnings, no row errors (as if nothing was read)."""
        _, warnings, truncated = bounded(Findings(), self.warnings)
        return Rejected(
            Counts(read=read, warnings=self.warnings.total()),
            rejection=reason,
            warnings=warnings,
            warnings_per_code=dict(self.warnings.per_code),
            truncated=truncated,
        )

    def _note_encoding(self, stream: RecordStream) -> None:
        if stream.windows_1252 and not self._windows_1252:
            self._windows_1252 = True
            self.warnings.add(finding("encoding_windows_1252"))

    def _validate(self, records: Records) -> pa.Table:
        records = _without_blank_records(records)
        self._rows += records.rows
        if self._rows > self._limits.rows:
            raise _Rejected(finding("too_many_rows"))
        # Nothing swallowed: each record read over several lines is named.
        _warn_lines(self.warnings, "quoted_line_breaks", np.array([line for line, _ in records.multi_line]))
        n = len(records.lines)
        try:
            peildatum = (
                self._peildatum.check(records.columns.get("peildatum"), records.lines) if n else self.peildatum()
            )
        except PeildatumError as exc:
            raise _Rejected(finding(exc.code, line=exc.line, column="peildatum")) from exc

        checks = _Checks(n)
        klantnummer = _column(records, "klantnummer")
        earlier = self._klantnummers.earlier(pc.utf8_trim_whitespace(klantnummer))
        checks.add("klantnummer", parsing.parse_klantnummer(klantnummer, earlier))
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
        signaaltype, errors = parsing.parse_signaaltype(_column(records, "signaaltype"), self._leverancier.signaaltype)
        checks.add("signaaltype", errors)
        crisis, errors = parsing.parse_crisis(_column(records, "crisissignaal"))
        checks.add("crisissignaal", errors)
        geboortedatum, errors = parsing.parse_datum(_column(records, "geboortedatum"), required=False)
        checks.add("geboortedatum", errors)
        checks.add("geboortedatum", parsing.check_range(geboortedatum, _EARLIEST_BIRTH, self._today))
        checks.add("email", parsing.parse_email(_column(records, "email")))
        bsn = self._bsn(records, signaaltype, checks)

        invalid = checks.invalid()
        self._rejected += int(invalid.sum()) + len(records.bad_lines)
        checks.record(self.errors, records.lines)
        self.errors.count("column_count", len(records.bad_lines))
        room = self.errors.room("column_count")
        self.errors.keep(
            "column_count",
            [
                ((line, -1), Finding(line=line, code="column_count", message=_column_count_message(fields, records)))
                for line, fields in records.bad_lines[: max(room, 0)]
            ],
        )
        return pa.table(
            {
                "regel": pa.array(records.lines, pa.int32()),
                "klantnummer": klantnummer,
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
        ).filter(pa.array(~invalid))

    def _bsn(self, records: Records, signaaltype: pa.Array, checks: "_Checks") -> pa.Array:
        """BSNs only from a supplier registered as Zorg or CAK Zorgverzekeringen, on rows of such a
        type; anywhere else the column is dropped with one warning. The registration decides, not
        the file: a rows' signaaltype cannot make another supplier a BSN source."""
        n = len(records.lines)
        if "bsn" not in records.columns:
            return pa.nulls(n, pa.string())
        values = _column(records, "bsn")
        if self._leverancier.signaaltype in BSN_SIGNAALTYPEN:
            allowed = pc.fill_null(pc.is_in(signaaltype, value_set=pa.array(sorted(BSN_SIGNAALTYPEN))), False)
        else:
            allowed = pa.nulls(n, pa.bool_()).fill_null(False)
        given = pc.invert(pc.match_substring_regex(values, r"^\s*$"))
        if "bsn_ignored" not in self.warnings.per_code and pc.any(pc.and_(given, pc.invert(allowed))).as_py():
            self.warnings.add(finding("bsn_ignored", column="bsn"))
        parsed, errors = parsing.parse_bsn(pc.if_else(allowed, values, ""))
        checks.add("bsn", errors)
        return parsed


def _warn_lines(warnings: Findings, code: str, lines: NDArray[np.integer[Any]], *, column: str | None = None) -> None:
    """One warning of `code` a line, the first ones kept."""
    warnings.count(code, len(lines))
    room = warnings.room(code)
    if room > 0:
        warnings.keep_found(code, [finding(code, line=int(line), column=column) for line in lines[:room]])


def _map_columns(names: list[str], warnings: Findings) -> dict[str, int]:
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
        warnings.add(Finding(line=1, code="column_unknown", message=f"Onbekende kolommen genegeerd: {listed}{more}."))
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

    def record(self, findings: Findings, lines: NDArray[np.int64]) -> None:
        """Count every error by code; keep the first ones of each code as findings."""
        for order, (column, errors) in enumerate(self.columns):
            for item in pc.value_counts(errors.drop_null()).to_pylist():
                code, n = item["values"], item["counts"]
                findings.count(code, n)
                room = findings.room(code)
                if room <= 0:
                    continue
                where = np.flatnonzero(pc.fill_null(pc.equal(errors, code), False).to_numpy(zero_copy_only=False))
                message = _text(code)
                findings.keep(
                    code,
                    [
                        ((int(lines[i]), order), Finding(line=int(lines[i]), column=column, code=code, message=message))
                        for i in where[:room]
                    ],
                )


def _text(code: str) -> str:
    return parsing.MESSAGES.get(code, code)


def _column(records: Records, name: str) -> pa.Array:
    """The column as read ("" throughout when absent); the parsers trim what they check."""
    values = records.columns.get(name)
    if values is None:
        return pa.nulls(len(records.lines), pa.string()).fill_null("")
    return values


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
        multi_line=records.multi_line,
    )


def _column_count_message(fields: int, records: Records) -> str:
    return f"De regel heeft {fields} velden; de kopregel heeft er {records.width}."
