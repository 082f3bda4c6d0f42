"""Property tests of the column parsers against small plain-Python references of the rules."""

import string

import pyarrow as pa
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chalicelib.domain.parsing import parse_adres, parse_bedrag, parse_bsn, parse_postcode

ASCII_LETTERS = set(string.ascii_letters)
ASCII_DIGITS = set(string.digits)


def column(values) -> pa.StringArray:
    return pa.array(list(values), pa.string())


# --- bedrag ---------------------------------------------------------------------------------


def thousands(euros: int, separator: str) -> str:
    return f"{euros:,}".replace(",", separator)


def written(cents: int, style: str) -> str | None:
    """`cents` written in one accepted style, or None where the style cannot write it."""
    euros, rest = divmod(cents, 100)
    if style == "whole":
        return str(euros) if rest == 0 else None
    if style == "whole with dots":
        return thousands(euros, ".") if rest == 0 else None
    if style == "whole with commas":
        return thousands(euros, ",") if rest == 0 else None
    if style == "one decimal":
        return f"{euros},{rest // 10}" if rest % 10 == 0 else None
    return {
        "dot decimal": f"{euros}.{rest:02d}",
        "comma decimal": f"{euros},{rest:02d}",
        "dot thousands, comma decimal": f"{thousands(euros, '.')},{rest:02d}",
        "comma thousands, dot decimal": f"{thousands(euros, ',')}.{rest:02d}",
    }[style]


BEDRAG_STYLES = [
    "whole", "whole with dots", "whole with commas", "one decimal", "dot decimal",
    "comma decimal", "dot thousands, comma decimal", "comma thousands, dot decimal",
]  # fmt: skip


@given(
    st.lists(
        st.tuples(
            st.integers(1, 99_999_999),
            st.sampled_from(BEDRAG_STYLES),
            st.sampled_from(["", "€", "€ ", " € ", "€\u00a0"]),
            st.sampled_from(["", " ", "  "]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_bedrag_in_every_style_is_exact_cents(rows):
    rows = [(c, written(c, style), prefix, pad) for c, style, prefix, pad in rows]
    rows = [(c, f"{pad}{prefix}{text}{pad}") for c, text, prefix, pad in rows if text is not None]
    assume(rows)
    cents, errors = parse_bedrag(column(text for _, text in rows))
    assert errors.to_pylist() == [None] * len(rows)
    assert cents.to_pylist() == [c for c, _ in rows]


def reference_bedrag(raw: str) -> tuple[int | None, str | None]:
    """The bedrag rule written out by hand, for strings of digits, '.', ',', '€' and spaces."""
    text = raw.strip(" \u00a0")
    if not text:
        return None, "missing"
    if text.startswith("€"):
        text = text[1:].lstrip(" \u00a0")
    if not text or set(text) - ASCII_DIGITS - {".", ","}:
        return None, "bedrag_invalid"

    def proper_groups(number: str, separator: str) -> bool:
        groups = number.split(separator)
        first, others = groups[0], groups[1:]
        return (
            1 <= len(first) <= 3
            and first.isdigit()
            and first[0] != "0"
            and all(len(group) == 3 and group.isdigit() for group in others)
        )

    marks = [c for c in text if c in ".,"]
    whole, fraction = text, ""
    if len(set(marks)) == 2:
        decimal_mark = marks[-1]
        whole, _, fraction = text.rpartition(decimal_mark)
        other = "," if decimal_mark == "." else "."
        if decimal_mark in whole or not proper_groups(whole, other) or not fraction:
            return None, "bedrag_invalid"
        whole = whole.replace(other, "")
    elif len(marks) == 1:
        whole, mark, after = text.partition(marks[0])
        if len(after) in (1, 2) and whole:
            fraction = after
        elif len(after) == 3 and proper_groups(text, mark):
            whole = whole + after
        else:
            return None, "bedrag_invalid"
    elif len(marks) > 1:
        if not proper_groups(text, marks[0]):
            return None, "bedrag_invalid"
        whole = text.replace(marks[0], "")
    if not whole.isdigit() or not (fraction == "" or (fraction.isdigit() and len(fraction) <= 2)):
        return None, "bedrag_invalid"
    cents = int(whole) * 100 + int(fraction.ljust(2, "0"))
    if not 0 < cents < 100_000_000:
        return None, "bedrag_out_of_range"
    return cents, None


BEDRAG_ALPHABET = "0123456789.,€ \u00a0"


# Digit groups mostly of three, so that thousands separators and their mistakes come up often.
DIGIT_GROUP = st.sampled_from([0, 1, 2, 3, 3, 3, 4]).flatmap(
    lambda size: st.text(alphabet="0123456789", min_size=size, max_size=size)
)
NUMBER_LIKE = st.builds(
    lambda prefix, first, rest: prefix + first + "".join(mark + group for mark, group in rest),
    st.sampled_from(["", "€", "€ "]),
    DIGIT_GROUP,
    st.lists(st.tuples(st.sampled_from([".", ","]), DIGIT_GROUP), max_size=3),
)


def assert_bedrag_follows_the_reference(texts):
    cents, errors = parse_bedrag(column(texts))
    assert list(zip(cents.to_pylist(), errors.to_pylist(), strict=False)) == [reference_bedrag(t) for t in texts]


@given(st.lists(st.text(alphabet=BEDRAG_ALPHABET, max_size=14), min_size=1, max_size=40))
def test_bedrag_of_random_characters_agrees_with_the_hand_written_rule(texts):
    assert_bedrag_follows_the_reference(texts)


@settings(max_examples=300)
@given(st.lists(NUMBER_LIKE, min_size=20, max_size=60))
def test_bedrag_of_digit_groups_and_separators_agrees_with_the_hand_written_rule(texts):
    assert_bedrag_follows_the_reference(texts)


@given(st.lists(st.text(max_size=20), min_size=1, max_size=40))
def test_bedrag_of_any_text_is_an_error_or_an_amount_in_range(texts):
    cents, errors = parse_bedrag(column(texts))
    for value, error in zip(cents.to_pylist(), errors.to_pylist(), strict=False):
        assert (value is None) != (error is None)
        assert value is None or 0 < value < 100_000_000


# --- adres ----------------------------------------------------------------------------------


def tokens(rest: str) -> list[str]:
    found, current = [], ""
    for char in rest:
        if char in " -/":
            found, current = found + [current] * bool(current), ""
        elif current and (char in ASCII_DIGITS) != (current[-1] in ASCII_DIGITS):
            found, current = [*found, current], char
        else:
            current += char
    return found + [current] * bool(current)


def reference_adres(huisnummer: str, huisletter: str = "", toevoeging: str = ""):
    """(huisnummer, huisletter, toevoeging) and {column: code}, by the rules written out."""
    nummer, letter, addition = huisnummer.strip(), huisletter.strip(), toevoeging.strip()
    failed = (None, None, None)
    if letter or addition:
        errors = {}
        if not nummer:
            errors["huisnummer"] = "missing"
        elif not (set(nummer) <= ASCII_DIGITS and 1 <= int(nummer) <= 99_999):
            errors["huisnummer"] = "huisnummer_invalid"
        if letter and not (len(letter) == 1 and letter in ASCII_LETTERS):
            errors["huisletter"] = "huisletter_invalid"
        compact = "".join(c for c in addition if c not in " -/")
        if addition and not (compact and set(compact) <= ASCII_LETTERS | ASCII_DIGITS):
            errors["huisnummertoevoeging"] = "toevoeging_invalid"
        elif len(compact) > 4:
            errors["huisnummertoevoeging"] = "toevoeging_too_long"
        if errors:
            return failed, errors
        return (int(nummer), letter.upper(), compact.upper()), {}
    if not nummer:
        return failed, {"huisnummer": "missing"}
    digits = len(nummer) - len(nummer.lstrip("0123456789"))
    rest = nummer[digits:]
    if digits == 0 or not 1 <= int(nummer[:digits]) <= 99_999 or set(rest) - ASCII_LETTERS - ASCII_DIGITS - set(" -/"):
        return failed, {"huisnummer": "huisnummer_invalid"}
    parts = tokens(rest)
    if parts and len(parts[0]) == 1 and parts[0] in ASCII_LETTERS:
        letter, addition = parts[0].upper(), "".join(parts[1:]).upper()
    else:
        letter, addition = "", "".join(parts).upper()
    if len(addition) > 4:
        return failed, {"huisnummer": "toevoeging_too_long"}
    return (int(nummer[:digits]), letter, addition), {}


def adres_rows(adres) -> list:
    rows = []
    for i in range(len(adres.huisnummer)):
        values = (adres.huisnummer[i].as_py(), adres.huisletter[i].as_py(), adres.toevoeging[i].as_py())
        errors = {name: error[i].as_py() for name, error in adres.errors.items()}
        rows.append((values, {name: code for name, code in errors.items() if code is not None}))
    return rows


def test_reference_tokeniser_follows_the_examples_of_the_delivery_format():
    examples = {
        "12A": (12, "A", ""), "12 a": (12, "A", ""), "12-A": (12, "A", ""),
        "12A-2": (12, "A", "2"), "12 A 2": (12, "A", "2"), "12A2": (12, "A", "2"),
        "12-2": (12, "", "2"), "12/2": (12, "", "2"), "12 bis": (12, "", "BIS"),
        "12-hs": (12, "", "HS"), "12 III": (12, "", "III"), "12AB": (12, "", "AB"),
    }  # fmt: skip
    assert {raw: reference_adres(raw)[0] for raw in examples} == examples


ADRES_ALPHABET = "0123456789aAbBzZ -/x"


@given(st.lists(st.text(alphabet=ADRES_ALPHABET, max_size=12), min_size=1, max_size=40))
def test_huisnummer_alone_agrees_with_the_hand_written_tokeniser(texts):
    assert adres_rows(parse_adres(column(texts))) == [reference_adres(t) for t in texts]


@given(
    st.lists(
        st.tuples(
            st.text(alphabet=ADRES_ALPHABET, max_size=8),
            st.text(alphabet="abZ1 -", max_size=2),
            st.text(alphabet=ADRES_ALPHABET + ".", max_size=7),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_three_address_columns_agree_with_the_hand_written_rules(rows):
    adres = parse_adres(*(column(part) for part in zip(*rows, strict=False)))
    assert adres_rows(adres) == [reference_adres(*row) for row in rows]


SEPARATORS = st.sampled_from([" ", "-", "/"])
ADDITIONS = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=4)


@st.composite
def rendered_adres(draw):
    """A normalised (number, letter, addition) and the cells of one accepted way to write it."""
    number = draw(st.integers(1, 99_999))
    letter = draw(st.none() | st.sampled_from(string.ascii_uppercase))
    addition = draw(st.none() | ADDITIONS)
    expected = (number, letter or "", addition or "")
    case = draw(st.sampled_from([str.upper, str.lower, str.swapcase]))
    zeros = "0" * draw(st.integers(0, 2))

    def with_separators(text: str) -> str:
        return "".join(c + draw(st.sampled_from(["", "", " ", "-", "/"])) for c in text)

    if draw(st.booleans()):
        # Separate columns; a lone letter with no addition may also stay empty on one side.
        addition_cell = case(with_separators(addition)) if addition else ""
        return expected, (zeros + str(number), case(letter or ""), addition_cell)

    cell = zeros + str(number)
    if letter:
        cell += draw(st.sampled_from(["", " ", "-", "/"])) + case(letter)
    if addition:
        starts_with_letter = addition[0] in string.ascii_uppercase
        # Without a letter, the addition's first token must stay whole and be no single letter.
        unbroken = 0
        if not letter:
            unbroken = len(addition) - len(addition.lstrip(string.ascii_uppercase))
            assume(unbroken != 1)
        needs_separator = starts_with_letter if letter else not starts_with_letter
        cell += draw(SEPARATORS) if needs_separator else draw(st.sampled_from(["", " ", "-"]))
        cell += case(addition[:unbroken] + with_separators(addition[unbroken:]))
    return expected, (cell, "", "")


@given(st.lists(rendered_adres(), min_size=1, max_size=30))
def test_address_written_in_any_accepted_way_gives_the_normalised_triple(rows):
    cells = [columns for _, columns in rows]
    adres = parse_adres(*(column(part) for part in zip(*cells, strict=False)))
    assert adres_rows(adres) == [(expected, {}) for expected, _ in rows]


# --- postcode -------------------------------------------------------------------------------


@given(
    st.lists(
        st.tuples(
            st.integers(1000, 9999),
            st.sampled_from(string.ascii_uppercase),
            st.sampled_from(string.ascii_uppercase),
            st.sampled_from(["", " "]),
            st.sampled_from([str.upper, str.lower, str.title]),
            st.sampled_from(["", " ", "\t", "\u00a0"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_postcode_round_trips_to_its_normal_form(rows):
    texts = [f"{pad}{d}{space}{case(a + b)}{pad}" for d, a, b, space, case, pad in rows]
    normalised, errors = parse_postcode(column(texts))
    expected = [
        (None, "postcode_invalid") if a + b in {"SA", "SD", "SS"} else (f"{d}{a}{b}", None) for d, a, b, *_ in rows
    ]
    assert list(zip(normalised.to_pylist(), errors.to_pylist(), strict=False)) == expected


@given(st.lists(st.text(max_size=10), min_size=1, max_size=40))
def test_postcode_of_any_text_is_an_error_or_a_normal_postcode(texts):
    normalised, errors = parse_postcode(column(texts))
    for value, error in zip(normalised.to_pylist(), errors.to_pylist(), strict=False):
        assert (value is None) != (error is None)
        if value is not None:
            assert len(value) == 6 and value[0] in "123456789" and value[:4].isdigit()
            assert value[4:].isupper() and value[4:] not in {"SA", "SD", "SS"}


# --- bsn ------------------------------------------------------------------------------------

WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def elfproef(bsn: str) -> bool:
    return sum(w * int(d) for w, d in zip(WEIGHTS, bsn, strict=False)) % 11 == 0


@st.composite
def valid_bsn(draw) -> str:
    first_eight = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    check = sum(w * d for w, d in zip(WEIGHTS, first_eight, strict=False)) % 11
    assume(check < 10 and any(first_eight))
    return "".join(map(str, first_eight)) + str(check)


@given(st.lists(valid_bsn(), min_size=1, max_size=40))
def test_bsn_built_to_pass_the_elfproef_passes(numbers):
    values, errors = parse_bsn(column(numbers))
    assert values.to_pylist() == numbers
    assert errors.to_pylist() == [None] * len(numbers)


@given(valid_bsn(), st.integers(0, 8), st.integers(1, 9))
def test_bsn_with_one_digit_changed_fails(number, position, delta):
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1 :]
    assert parse_bsn(column([changed]))[1].to_pylist() == ["bsn_invalid"]


@given(st.lists(st.integers(0, 999_999_999).map("{:09d}".format), min_size=1, max_size=40))
def test_any_nine_digits_pass_exactly_when_the_elfproef_holds(numbers):
    errors = parse_bsn(column(numbers))[1].to_pylist()
    expected = [None if elfproef(n) and int(n) > 0 else "bsn_invalid" for n in numbers]
    assert errors == expected
