"""Vectorised parsers for the columns of a supplier delivery (delivery-format.md).

Every parser takes a column as a `pa.StringArray` or `pa.ChunkedArray` of strings in which a
missing cell is `""`, trims surrounding whitespace itself, and returns plain Arrays of the same
length. Errors come back as a `pa.StringArray`: null where the row is fine, else one stable code
from `MESSAGES`. Nothing here loops over rows in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from chalicelib.domain.signaaltype import SIGNAALTYPEN, canonical_signaaltype

MESSAGES: dict[str, str] = {
    "missing": "Verplichte waarde ontbreekt.",
    "postcode_invalid": ("Postcode moet de vorm 1234AB hebben (eerste cijfer 1-9, niet SA, SD of SS)."),
    "huisnummer_invalid": (
        "Huisnummer moet beginnen met een getal van 1 tot en met 99999, eventueel gevolgd door "
        "huisletter en toevoeging (bijvoorbeeld 12, 12A of 12-2); staan huisletter of toevoeging "
        "in een eigen kolom, dan bevat het huisnummer alleen cijfers."
    ),
    "huisletter_invalid": "Huisletter moet precies één letter A-Z zijn.",
    "toevoeging_invalid": (
        "Huisnummertoevoeging mag alleen letters en cijfers bevatten (spaties, - en / worden weggelaten)."
    ),
    "toevoeging_too_long": "Huisnummertoevoeging is langer dan 4 letters of cijfers.",
    "bedrag_invalid": (
        "Bedrag is geen geldig bedrag in euro's (bijvoorbeeld 123,45 of 1.234,56; hoogstens twee decimalen)."
    ),
    "bedrag_out_of_range": "Bedrag moet groter zijn dan 0 en kleiner dan 1.000.000 euro.",
    "datum_invalid": ("Datum moet de vorm JJJJ-MM-DD of DD-MM-JJJJ hebben en een bestaande datum zijn."),
    "datum_after_peildatum": "Datum ligt na de peildatum.",
    "datum_out_of_range": "Datum ligt buiten het toegestane bereik.",
    "crisissignaal_invalid": "Crisissignaal moet ja/nee, true/false of 1/0 zijn.",
    "email_invalid": "E-mailadres heeft niet de vorm naam@domein.nl.",
    "bsn_invalid": "BSN moet uit 9 cijfers bestaan en de elfproef doorstaan.",
    "klantnummer_invalid": "Klantnummer moet 1 tot en met 64 afdrukbare tekens hebben.",
    "klantnummer_duplicate": "Klantnummer komt eerder in het bestand voor.",
    "signaaltype_unknown": ("Signaaltype is geen bekende DDAS-waarde (bijvoorbeeld Energie, Water, Huur of Zorg)."),
}

_CODE_TABLE = pa.array([None, *MESSAGES], pa.string())
_CODE_INDEX = {code: pa.scalar(position, pa.int8()) for position, code in enumerate(MESSAGES, 1)}
_FINE = pa.scalar(0, pa.int8())

_POSTCODE = r"^[1-9][0-9]{3} ?(?:[A-RT-Z][A-Z]|S[BCE-RT-Z])$"

_HUISNUMMER_MAX = 99_999
_HUISNUMMER_WITH_REST = r"^0*(?P<nummer>[1-9][0-9]{0,4})(?P<rest>(?:[A-Za-z /-][A-Za-z0-9 /-]*)?)$"
_FIRST_TOKEN_IS_ONE_LETTER = r"^[ /-]*[A-Za-z](?:[^A-Za-z]|$)"
_ADRES_SEPARATORS = r"[ /-]"
_TOEVOEGING_CHARACTERS = r"^[A-Z0-9]+$"
_TOEVOEGING_MAX_LENGTH = 4

# One alternative per thousands separator, so that the decimal mark is always the other one.
_BEDRAG = (
    r"^(?:€[\s\x{A0}]*)?(?:"
    r"[0-9]+(?:[.,][0-9]{1,2})?"
    r"|[1-9][0-9]{0,2}(?:\.[0-9]{3})+(?:,[0-9]{1,2})?"
    r"|[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]{1,2})?"
    r")$"
)
# Trimmed off a valid amount before its separators are dropped, leaving only significant digits.
_BEDRAG_PREFIX = "€ \t\u00a00"
_DECIMAL_MARKS = pa.array([b".", b","], pa.binary())
_MAX_CENTS = 100_000_000

_DATUM_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATUM_DMY = r"^[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}$"
_DAYS_THAT_CAN_ROLL_OVER = pa.array([b"29", b"30", b"31"], pa.binary())
_FIRST_DATE = pa.scalar(date(1, 1, 1), pa.date32())
_DASH = pa.scalar(b"-", pa.binary())
_MONTHS = pa.array([b"%02d" % month for month in range(1, 13)], pa.binary())
_DAYS_IN_EVERY_MONTH = pa.array([b"%02d" % day for day in range(1, 29)], pa.binary())

# index_in positions below 3 are true.
_CRISIS_WORDS = pa.array(["ja", "true", "1", "nee", "false", "0", ""])

_EMAIL_LABEL = r"[^\s\p{Z}\p{Cc}@.]+"
_EMAIL = rf"^[^\s\p{{Z}}\p{{Cc}}@]+@{_EMAIL_LABEL}(?:\.{_EMAIL_LABEL})+$"
_EMAIL_MAX_LENGTH = 254

_KLANTNUMMER_MAX_LENGTH = 64
# Not printable: control and format characters (zero-width, bidi overrides) and line separators.
_CONTROL_CHARACTER = r"[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]"

_SIGNAALTYPE_KEYS = pa.array([value.lower() for value in SIGNAALTYPEN])
_SIGNAALTYPE_VALUES = pa.array(SIGNAALTYPEN)


# The elfproef as lookups of the weighted digit sum of each group of three digits: numpy is no
# dependency, and this keeps it to a cast, a few divisions and three takes.
def _digit_group_weights(weights: tuple[int, int, int]) -> pa.Int64Array:
    """Weighted digit sum of every three-digit group 000..999."""
    return pa.array(
        [sum(w * int(d) for w, d in zip(weights, f"{group:03d}", strict=True)) for group in range(1000)],
        pa.int64(),
    )


_ELFPROEF_WEIGHTS = (
    _digit_group_weights((9, 8, 7)),
    _digit_group_weights((6, 5, 4)),
    _digit_group_weights((3, 2, -1)),
)


@dataclass(frozen=True)
class Adres:
    """Parsed address columns; in a row with any address error all three values are null."""

    huisnummer: pa.Int32Array
    huisletter: pa.StringArray
    toevoeging: pa.StringArray
    errors: dict[str, pa.StringArray]


def first_error(*errors: pa.StringArray) -> pa.StringArray:
    """Per row, the first non-null code among `errors` (all of one length), else null."""
    return pc.coalesce(*errors)


def parse_postcode(values: pa.Array) -> tuple[pa.StringArray, pa.StringArray]:
    """Postcodes normalised to `1234AB` (null where invalid), and errors.

    Accepts `1234AB`, `1234 AB` and any letter case: first digit 1-9, at most one space between
    digits and letters, letters not SA, SD or SS. Empty is `missing`, else `postcode_invalid`.
    """
    text = pc.ascii_upper(_text(values))
    valid = pc.match_substring_regex(text, _POSTCODE)
    normalised = text
    if pc.any(pc.and_(valid, pc.equal(pc.binary_length(text), 7))).as_py():
        normalised = pc.replace_substring(text, " ", "")
    errors = _errors((pc.equal(text, ""), "missing"), (pc.invert(valid), "postcode_invalid"))
    return _keep(normalised, valid), errors


def parse_adres(huisnummer: pa.Array, huisletter: pa.Array | None = None, toevoeging: pa.Array | None = None) -> Adres:
    """Huisnummer, huisletter and huisnummertoevoeging, normalised as in delivery-format.md.

    `huisletter` and `toevoeging` are None when the file lacks that column. Where both are empty,
    letter and addition are parsed from `huisnummer` (`12A-2` → 12, A, 2). Letter and addition
    come out upper case, `""` when absent. `errors` holds one array per column to report on:
    "huisnummer" (`missing`, `huisnummer_invalid`, and `toevoeging_too_long` when the addition
    came from the huisnummer), "huisletter" (`huisletter_invalid`) and "huisnummertoevoeging"
    (`toevoeging_invalid`, `toevoeging_too_long`).
    """
    nummer_text = _text(huisnummer)
    length = len(nummer_text)
    nummer_empty = pc.equal(nummer_text, "")
    nummer = _whole_huisnummer(nummer_text)
    plain = pc.is_valid(nummer)
    given = pa.repeat(False, length)

    letter, letter_codes = _blank(length), None
    if huisletter is not None:
        letter_text = _text(huisletter)
        letter_given = pc.not_equal(letter_text, "")
        one_letter = pc.and_(pc.ascii_is_alpha(letter_text), pc.equal(pc.binary_length(letter_text), 1))
        letter = pc.ascii_upper(letter_text)
        letter_codes = _code_index((pc.and_not(letter_given, one_letter), "huisletter_invalid"))
        given = letter_given

    toevoeging_value, toevoeging_codes = _blank(length), None
    if toevoeging is not None:
        toevoeging_value = _text(toevoeging)
        toevoeging_given = pc.not_equal(toevoeging_value, "")
        toevoeging_codes = pa.repeat(_FINE, length)
        if pc.any(toevoeging_given).as_py():
            compact, codes = _compact_toevoeging(toevoeging_value.filter(toevoeging_given))
            toevoeging_value = pc.replace_with_mask(toevoeging_value, toevoeging_given, compact)
            toevoeging_codes = pc.replace_with_mask(toevoeging_codes, toevoeging_given, codes)
        given = pc.or_(given, toevoeging_given)

    nummer_codes = _code_index((nummer_empty, "missing"), (pc.and_not(given, plain), "huisnummer_invalid"))
    combined = pc.invert(pc.or_(pc.or_(given, nummer_empty), plain))
    if pc.any(combined).as_py():
        split = _split_huisnummer(nummer_text.filter(combined))
        nummer = pc.replace_with_mask(nummer, combined, split[0])
        letter = pc.replace_with_mask(letter, combined, split[1])
        toevoeging_value = pc.replace_with_mask(toevoeging_value, combined, split[2])
        nummer_codes = pc.replace_with_mask(nummer_codes, combined, split[3])

    fine = pc.equal(nummer_codes, _FINE)
    for codes in (letter_codes, toevoeging_codes):
        if codes is not None:
            fine = pc.and_(fine, pc.equal(codes, _FINE))
    return Adres(
        huisnummer=_keep(nummer, fine),
        huisletter=_keep(letter, fine),
        toevoeging=_keep(toevoeging_value, fine),
        errors={
            "huisnummer": _as_errors(nummer_codes),
            "huisletter": _as_errors(letter_codes, length),
            "huisnummertoevoeging": _as_errors(toevoeging_codes, length),
        },
    )


def _whole_huisnummer(text: pa.StringArray) -> pa.Int32Array:
    """The number where `text` is digits only with a value in 1..99999, else null."""
    digits = pc.and_(pc.ascii_is_decimal(text), pc.less_equal(pc.binary_length(text), 18))
    number = _keep(text, digits).cast(pa.int64())
    in_range = pc.and_(pc.greater_equal(number, 1), pc.less_equal(number, _HUISNUMMER_MAX))
    return _keep(number, in_range).cast(pa.int32())


def _compact_toevoeging(text: pa.StringArray) -> tuple[pa.StringArray, pa.Int8Array]:
    compact = pc.ascii_upper(pc.replace_substring_regex(text, _ADRES_SEPARATORS, ""))
    characters_ok = pc.match_substring_regex(compact, _TOEVOEGING_CHARACTERS)
    codes = _code_index(
        (pc.invert(characters_ok), "toevoeging_invalid"),
        (pc.greater(pc.binary_length(compact), _TOEVOEGING_MAX_LENGTH), "toevoeging_too_long"),
    )
    return compact, codes


def _split_huisnummer(text: pa.StringArray) -> tuple[pa.Int32Array, pa.StringArray, pa.StringArray, pa.Int8Array]:
    """Number, letter, addition and error codes of huisnummers that carry more than digits."""
    parts = pc.extract_regex(text, _HUISNUMMER_WITH_REST)
    matched = pc.is_valid(parts)
    rest = pc.struct_field(parts, "rest")
    compact = pc.ascii_upper(pc.replace_substring_regex(rest, _ADRES_SEPARATORS, ""))
    has_letter = pc.match_substring_regex(rest, _FIRST_TOKEN_IS_ONE_LETTER)
    letter = pc.if_else(has_letter, pc.utf8_slice_codeunits(compact, 0, 1), "")
    toevoeging = pc.if_else(has_letter, pc.utf8_slice_codeunits(compact, 1), compact)
    codes = _code_index(
        (pc.invert(matched), "huisnummer_invalid"),
        (pc.greater(pc.binary_length(toevoeging), _TOEVOEGING_MAX_LENGTH), "toevoeging_too_long"),
    )
    nummer = _keep(pc.struct_field(parts, "nummer"), matched).cast(pa.int32())
    return nummer, letter, toevoeging, codes


def parse_bedrag(values: pa.Array) -> tuple[pa.Int64Array, pa.StringArray]:
    """Amounts in euro cents (null where invalid), and errors.

    Accepts `123`, `123,45`, `123.45`, `1.234,56`, `1,234.56`, `1.234` (= 1234), `0,5` (= 50
    cents), optionally after `€`. With both `.` and `,` the last is the decimal mark and the other
    separates proper groups of three; a separator that occurs once is the decimal mark before one
    or two digits and a thousands separator before three. Empty is `missing`, any other form
    `bedrag_invalid`, an amount not in (0, 1,000,000) euro `bedrag_out_of_range`.
    """
    text = _text(values)
    valid = pc.match_substring_regex(text, _BEDRAG)
    digits = pc.utf8_ltrim(text, characters=_BEDRAG_PREFIX)
    digits = pc.replace_substring(pc.replace_substring(digits, ".", ""), ",", "")
    digit_count = pc.binary_length(digits)
    # Eleven or more significant digits are out of range whatever the decimals.
    castable = pc.and_(valid, pc.and_(pc.greater(digit_count, 0), pc.less_equal(digit_count, 10)))
    whole = _keep(digits, castable).cast(pa.int64())
    raw = text.view(pa.binary())
    two_decimals = pc.is_in(pc.binary_slice(raw, -3, -2), value_set=_DECIMAL_MARKS)
    one_decimal = pc.is_in(pc.binary_slice(raw, -2, -1), value_set=_DECIMAL_MARKS)
    scale = pc.if_else(two_decimals, 1, pc.if_else(one_decimal, 10, 100)).cast(pa.int64())
    cents = pc.multiply(whole, scale)
    in_range = pc.fill_null(pc.and_(pc.greater(cents, 0), pc.less(cents, _MAX_CENTS)), False)
    errors = _errors(
        (pc.equal(text, ""), "missing"),
        (pc.invert(valid), "bedrag_invalid"),
        (pc.invert(in_range), "bedrag_out_of_range"),
    )
    return _keep(cents, in_range), errors


def parse_datum(values: pa.Array, *, required: bool) -> tuple[pa.Date32Array, pa.StringArray]:
    """Dates (null where empty or invalid), and errors.

    Accepts `YYYY-MM-DD` (two-digit month and day) and `DD-MM-YYYY` (one or two digits for day
    and month); the date must exist, from year 1 on. Empty is `missing` when `required`, else
    no error; anything else is `datum_invalid`.
    """
    text = _text(values)
    empty = pc.equal(text, "")
    iso_like = pc.and_(
        pc.equal(pc.binary_length(text), 10),
        pc.equal(pc.binary_slice(text.view(pa.binary()), 4, 5), _DASH),
    )
    dates = _iso_dates(text, iso_like)
    other = pc.invert(pc.or_(iso_like, empty))
    if pc.any(other).as_py():
        rest = text.filter(other)
        dmy = pc.match_substring_regex(rest, _DATUM_DMY)
        rest_dates = _existing_dates(rest, dmy, "%d-%m-%Y", 0)
        dates = pc.replace_with_mask(dates, other, rest_dates)
    dates = _keep(dates, pc.greater_equal(dates, _FIRST_DATE))
    errors = _errors(
        (pc.and_(empty, required), "missing"),
        (pc.and_not(pc.is_null(dates), empty), "datum_invalid"),
    )
    return dates, errors


def _iso_dates(text: pa.StringArray, iso_like: pa.BooleanArray) -> pa.Date32Array:
    # Arrow's cast is strict and fast, but formats a message per failing value and then fails
    # whole: so it gets the ISO-like values, then only those that surely exist.
    try:
        return _keep(text, iso_like).cast(pa.date32())
    except pa.ArrowInvalid:
        pass
    raw = text.view(pa.binary())
    plausible = pc.and_(
        pc.and_(iso_like, pc.is_in(pc.binary_slice(raw, 5, 7), value_set=_MONTHS)),
        pc.is_in(pc.binary_slice(raw, 8, 10), value_set=_DAYS_IN_EVERY_MONTH),
    )
    try:
        dates = _keep(text, plausible).cast(pa.date32())
    except pa.ArrowInvalid:
        plausible = pa.repeat(False, len(text))
        dates = pa.nulls(len(text), pa.date32())
    doubtful = pc.and_not(iso_like, plausible)
    if pc.any(doubtful).as_py():
        rest = text.filter(doubtful)
        iso = pc.match_substring_regex(rest, _DATUM_ISO)
        dates = pc.replace_with_mask(dates, doubtful, _existing_dates(rest, iso, "%Y-%m-%d", 8))
    return dates


def _existing_dates(text: pa.StringArray, shaped: pa.BooleanArray, fmt: str, day_start: int) -> pa.Date32Array:
    # strptime rolls 2026-02-30 over to 2026-03-02 instead of failing; only days 29-31 can.
    stamps = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    day_text = pc.binary_slice(text.view(pa.binary()), day_start, day_start + 2)
    rolled_over = pc.and_(pc.is_in(day_text, value_set=_DAYS_THAT_CAN_ROLL_OVER), pc.less(pc.day(stamps), 29))
    return _keep(stamps.cast(pa.date32()), pc.and_not(shaped, rolled_over))


def check_not_after(dates: pa.Date32Array, limit: date, code: str = "datum_after_peildatum") -> pa.StringArray:
    """`code` where a date is later than `limit`; null dates pass."""
    return _errors((pc.greater(_date_array(dates), pa.scalar(limit, pa.date32())), code))


def check_range(dates: pa.Date32Array, lo: date, hi: date) -> pa.StringArray:
    """`datum_out_of_range` where a date lies outside [lo, hi]; null dates pass."""
    dates = _date_array(dates)
    outside = pc.or_(pc.less(dates, pa.scalar(lo, pa.date32())), pc.greater(dates, pa.scalar(hi, pa.date32())))
    return _errors((outside, "datum_out_of_range"))


def parse_crisis(values: pa.Array) -> tuple[pa.BooleanArray, pa.StringArray]:
    """Crisis flags, and errors: ja/true/1 and nee/false/0 in any case; empty is False.

    Anything else is `crisissignaal_invalid` with a null flag.
    """
    position = pc.index_in(pc.ascii_lower(_text(values)), value_set=_CRISIS_WORDS)
    return pc.less(position, 3), _errors((pc.is_null(position), "crisissignaal_invalid"))


def parse_email(values: pa.Array) -> pa.StringArray:
    """Errors: `email_invalid` where a non-empty value is not like `local@domain.tld`.

    One `@`, no whitespace or control characters, a domain of dot-separated non-empty labels
    with at least one dot, at most 254 characters.
    """
    text = _text(values)
    too_long = pc.greater(pc.binary_length(text), _EMAIL_MAX_LENGTH)
    if pc.any(too_long).as_py():
        too_long = pc.greater(pc.utf8_length(text), _EMAIL_MAX_LENGTH)
    well_formed = pc.and_not(pc.match_substring_regex(text, _EMAIL), too_long)
    return _errors((pc.invert(pc.or_(well_formed, pc.equal(text, ""))), "email_invalid"))


def parse_bsn(values: pa.Array) -> tuple[pa.StringArray, pa.StringArray]:
    """BSNs (null where empty or invalid), and errors.

    A BSN is 9 digits, not all zero, passing the elfproef; anything else non-empty is
    `bsn_invalid`. Empty is no error.
    """
    text = _text(values)
    valid = pc.and_(pc.ascii_is_decimal(text), pc.equal(pc.binary_length(text), 9))
    if pc.any(valid).as_py():
        valid = pc.replace_with_mask(valid, valid, _passes_elfproef(text.filter(valid)))
    errors = _errors((pc.invert(pc.or_(valid, pc.equal(text, ""))), "bsn_invalid"))
    return _keep(text, valid), errors


def _passes_elfproef(nine_digits: pa.StringArray) -> pa.BooleanArray:
    number = nine_digits.cast(pa.int64())
    groups = (
        pc.divide(number, 1_000_000),
        _remainder(pc.divide(number, 1_000), 1_000),
        _remainder(number, 1_000),
    )
    weighted = [pc.take(weights, group) for weights, group in zip(_ELFPROEF_WEIGHTS, groups, strict=True)]
    total = pc.add(pc.add(weighted[0], weighted[1]), weighted[2])
    return pc.and_(pc.equal(_remainder(total, 11), 0), pc.greater(number, 0))


def _remainder(numbers: pa.Array, divisor: int) -> pa.Array:
    """`numbers % divisor` for non-negative integers; pyarrow 20 (the Lambda runtime's) has no modulo."""
    return pc.subtract(numbers, pc.multiply(pc.divide(numbers, divisor), divisor))


def parse_klantnummer(values: pa.Array, earlier: pa.BooleanArray | None = None) -> pa.StringArray:
    """Errors: `missing` where empty, `klantnummer_invalid` beyond 64 characters or with a
    character that is not printable (control, format such as zero-width or bidi overrides),
    `klantnummer_duplicate` on every repeat of a value after its first, and where `earlier`
    (the value was in an earlier batch of the file) holds.

    Values are compared after trimming.
    """
    text = _text(values)
    too_long = pc.greater(pc.binary_length(text), _KLANTNUMMER_MAX_LENGTH)
    if pc.any(too_long).as_py():
        too_long = pc.greater(pc.utf8_length(text), _KLANTNUMMER_MAX_LENGTH)
    control = suspect = pc.invert(pc.ascii_is_printable(text))
    if pc.any(suspect).as_py():
        found = pc.match_substring_regex(text.filter(suspect), _CONTROL_CHARACTER)
        control = pc.replace_with_mask(suspect, suspect, found)
    return _errors(
        (pc.equal(text, ""), "missing"),
        (pc.or_(too_long, control), "klantnummer_invalid"),
        (_repeats(text, earlier), "klantnummer_duplicate"),
    )


def _repeats(text: pa.StringArray, earlier: pa.BooleanArray | None) -> pa.BooleanArray:
    repeated = pc.invert(_first_occurrences(text))
    return repeated if earlier is None else pc.or_(repeated, earlier)


def _first_occurrences(text: pa.StringArray) -> pa.BooleanArray:
    if len(text) == 0:
        return pa.array([], pa.bool_())
    indices = pc.dictionary_encode(text).indices
    running_max = pc.cumulative_max(indices)
    previous_max = pa.concat_arrays([pa.array([-1], indices.type), running_max.slice(0, len(indices) - 1)])
    # Holds when the dictionary lists values in order of first appearance, as Arrow's does.
    if not pc.all(pc.less_equal(indices, pc.add(previous_max, 1))).as_py():
        raise RuntimeError("dictionary_encode no longer numbers values in order of appearance")
    return pc.greater(indices, previous_max)


def parse_signaaltype(values: pa.Array, default: str) -> tuple[pa.StringArray, pa.StringArray]:
    """Signaaltypen in their DDAS spelling, and errors.

    Matched case-insensitively; empty is `default` (itself a known signaaltype, else
    ValueError); an unknown value is `signaaltype_unknown` with a null value.
    """
    canonical_default = canonical_signaaltype(default)
    if canonical_default is None:
        raise ValueError(f"unknown default signaaltype {default!r}")
    text = _text(values)
    empty = pc.equal(text, "")
    position = pc.index_in(pc.utf8_lower(text), value_set=_SIGNAALTYPE_KEYS)
    position = pc.if_else(empty, SIGNAALTYPEN.index(canonical_default), position)
    errors = _errors((pc.is_null(position), "signaaltype_unknown"))
    return pc.take(_SIGNAALTYPE_VALUES, position), errors


def _text(values: pa.Array) -> pa.StringArray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    elif not isinstance(values, pa.Array):
        values = pa.array(values, pa.string())
    if values.type != pa.string():
        values = values.cast(pa.string())
    if values.null_count:
        values = values.fill_null("")
    return pc.utf8_trim_whitespace(values)


def _date_array(values: pa.Array) -> pa.Date32Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _blank(length: int) -> pa.StringArray:
    return pa.repeat(pa.scalar("", pa.string()), length)


def _keep(values: pa.Array, mask: pa.BooleanArray) -> pa.Array:
    """`values` with null where `mask` is false or null."""
    if mask.null_count:
        mask = pc.fill_null(mask, False)
    if values.null_count:
        mask = pc.and_(mask, pc.is_valid(values))
    if values.offset or mask.offset:
        return pc.if_else(mask, values, pa.scalar(None, values.type))
    # Swapping in the mask as validity bitmap avoids copying every string, as if_else would.
    buffers = values.buffers()
    buffers[0] = mask.buffers()[1]
    return pa.Array.from_buffers(values.type, len(values), buffers)


def _code_index(*rules: tuple[pa.BooleanArray, str]) -> pa.Int8Array:
    """Per row, the position in _CODE_TABLE of the first rule's code whose mask holds, else 0."""
    index = _FINE
    for mask, code in reversed(rules):
        if isinstance(mask, pa.Array) and mask.null_count:
            mask = pc.fill_null(mask, False)
        index = pc.if_else(mask, _CODE_INDEX[code], index)
    return index


def _as_errors(codes: pa.Int8Array | None, length: int = 0) -> pa.StringArray:
    if codes is None:
        return pa.nulls(length, pa.string())
    if not pc.any(pc.not_equal(codes, _FINE)).as_py():
        return pa.nulls(len(codes), pa.string())
    return pc.take(_CODE_TABLE, codes)


def _errors(*rules: tuple[pa.BooleanArray, str]) -> pa.StringArray:
    """Per row, the code of the first rule whose mask holds, else null."""
    return _as_errors(_code_index(*rules))
