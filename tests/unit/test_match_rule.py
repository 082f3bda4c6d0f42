"""match.sql against an independent plain-Python reading of matching.md's rule
(tests/match_reference.py, which benchmarks/match.py also times as the plain-Python baseline).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.local.duckdb_engine import DuckDbQueryEngine
from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA
from chalicelib.domain.registry import Convenant, Gemeente, Leverancier, Registry
from chalicelib.domain.signals import SIGNAL_SCHEMA
from tests.match_reference import Case, reference_cases, run_matching


def cases_from_rows(rows: list[dict[str, Any]]) -> list[Case]:
    """The engine's rows as cases, checking that case-level columns agree and ranks count 1, 2, …"""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault((row["gemeente"], row["huishouden"]), []).append(row)
    cases = []
    rank_in = defaultdict(int)
    case_columns = (
        "wijk",
        "buurt",
        "aantal_leveranciers",
        "totaal_bedrag_cent",
        "oudste_achterstand",
        "herhaald",
        "case_crisis",
        "case_rank",
    )
    for (gemeente, huishouden), members in grouped.items():
        first = members[0]
        assert all(all(m[c] == first[c] for c in case_columns) for m in members)
        rank_in[gemeente] += 1
        assert first["case_rank"] == rank_in[gemeente]
        signals = [
            (
                m["leverancier"],
                m["levering"],
                m["regel"],
                m["signaaltype"],
                m["bedrag_cent"],
                m["achterstand_sinds"],
                m["peildatum"],
                m["crisis"],
            )
            for m in members
        ]
        assert signals == sorted(signals)
        cases.append(
            Case(
                gemeente=gemeente,
                huishouden=huishouden,
                wijk=first["wijk"],
                buurt=first["buurt"],
                aantal_leveranciers=first["aantal_leveranciers"],
                totaal_bedrag_cent=first["totaal_bedrag_cent"],
                oudste_achterstand=first["oudste_achterstand"],
                herhaald=first["herhaald"],
                crisis=first["case_crisis"],
                signals=tuple(signals),
            )
        )
    keys = [(r["gemeente"], r["huishouden"]) for r in rows]
    runs = [key for i, key in enumerate(keys) if i == 0 or keys[i - 1] != key]
    assert len(runs) == len(grouped), "a case's rows are not together"
    return cases


ENGINE = DuckDbQueryEngine(threads=1)


def matched(registry: Registry, as_of: date, signals: list[dict], previous: Iterable[dict] = ()) -> list[Case]:
    """The SQL's cases, after checking they equal the reference's exactly (content and order)."""
    result = run_matching(
        registry,
        as_of,
        pa.Table.from_pylist(signals, schema=SIGNAL_SCHEMA),
        pa.Table.from_pylist(list(previous), schema=VORIGE_MATCHES_SCHEMA),
        ENGINE,
    )
    cases = cases_from_rows(result.to_pylist())
    assert cases == reference_cases(registry, as_of, signals, previous)
    return cases


# --- property: the SQL equals the reference on generated lakes --------------------------------

TYPES = ("Huur", "Water", "Energie", "Zorg")
SUPPLIERS = {"vivare": "Huur", "vitens": "Water", "eneco": "Energie", "zilveren-kruis": "Zorg"}
CODES = ("GM0202", "GM0344", "GM0363")
BASE_DAY = date(2026, 11, 15)
# Days in arrears at and beside every min_dagen and max_dagen the generated rules use.
DAY_EDGES = (-1, 0, 1, 10, 11, 19, 20, 29, 30, 31, 45, 46, 60, 100, 101, 400, 401, 3650, 3651)


def _offset(values: Iterable[int], low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(tuple(values)), st.integers(low, high))


@st.composite
def gemeenten(draw, code: str) -> Gemeente:
    min_dagen = draw(st.sampled_from([0, 0, 10, 30]))
    max_dagen = min_dagen + draw(st.sampled_from([0, 20, 60, 100, 100, 400]))
    window = st.sampled_from([(0, 10), (20, 45), (30, 3650), (45, 45)])
    return Gemeente(
        code=code,
        naam=code,
        min_leveranciers=draw(st.sampled_from([1, 1, 2, 2, 3])),
        min_dagen=min_dagen,
        max_dagen=max_dagen,
        min_bedrag=Decimal(draw(st.sampled_from([0, 0, 0, 1000, 5000, 12345]))) / 100,
        signaaltypen=tuple(draw(st.just([]) | st.lists(st.sampled_from(TYPES), max_size=3, unique=True))),
        venster=draw(st.just({}) | st.dictionaries(st.sampled_from(TYPES), window, max_size=2)),
    )


@st.composite
def scenarios(draw) -> tuple[Registry, date, list[dict], list[dict]]:
    as_of = BASE_DAY + timedelta(days=draw(st.integers(0, 60)))
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=3, unique=True))
    supplier_ids = draw(st.lists(st.sampled_from(sorted(SUPPLIERS)), min_size=1, max_size=4, unique=True))
    convenanten = []
    for code in codes:
        for supplier in supplier_ids:
            starts = draw(st.lists(_offset([-60, -60, 0, 1], -90, 5), min_size=1, max_size=2, unique=True))
            for start in starts:
                vanaf = as_of + timedelta(days=start)
                end = draw(st.sampled_from([None, None, None, -start - 1, -start]) | st.integers(0, 120))
                tot = None if end is None else max(vanaf, vanaf + timedelta(days=end))
                convenanten.append(Convenant(gemeente=code, leverancier=supplier, vanaf=vanaf, tot=tot))
    registry = Registry(
        gemeenten=tuple(draw(gemeenten(code)) for code in codes),
        leveranciers=tuple(Leverancier(id=i, naam=i, signaaltype=SUPPLIERS[i]) for i in supplier_ids),
        convenanten=tuple(convenanten),
    )

    households = [
        {
            "huishouden": f"{number:032x}",
            "gemeente": draw(st.sampled_from([codes[0]] * 4 + [*codes, None, "GM9999"])),
            "wijk": draw(st.sampled_from([None, "WK000101", "WK000102"])),
            "buurt": draw(st.sampled_from([None, "BU00010101", "BU00010201"])),
        }
        for number in range(draw(st.integers(1, 4)))
    ]
    signals = []
    for supplier in supplier_ids:
        peildatum = None
        for levering in draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3, unique=True)):
            if peildatum is None or not draw(st.booleans()):  # else a correction on the same peildatum
                peildatum = as_of + timedelta(days=draw(_offset([-46, -45, -45, -44, -1, 0, 1], -50, 3)))
            geupload_op = datetime.combine(peildatum, datetime.min.time(), UTC) + timedelta(
                hours=draw(st.sampled_from([24, 24, 30, 48]))
            )
            for regel, household in enumerate(draw(st.lists(st.sampled_from(households), max_size=8)), start=2):
                days = draw(_offset(DAY_EDGES, 30, 60))
                signals.append(
                    {
                        **household,
                        # Another wijk or buurt now and then: the reference may change between deliveries.
                        "wijk": draw(st.sampled_from([household["wijk"]] * 3 + [None, "WK000109"])),
                        "buurt": draw(st.sampled_from([household["buurt"]] * 3 + [None, "BU00010909"])),
                        "levering": levering,
                        "regel": regel,
                        "leverancier": supplier,
                        "signaaltype": draw(st.sampled_from([SUPPLIERS[supplier]] * 3 + list(TYPES))),
                        "bedrag_cent": draw(_offset([0, 999, 1000, 4999, 5000, 12344, 12345], 12_345, 100_000)),
                        "achterstand_sinds": peildatum - timedelta(days=days),
                        "peildatum": peildatum,
                        "crisis": draw(st.booleans()),
                        "geupload_op": geupload_op,
                    }
                )
    previous = []
    for household in draw(st.lists(st.sampled_from(households), max_size=6)):
        days = draw(st.sampled_from([-200, -184, -183, -182, -100, -31, -1, 0, 1]))
        previous.append(
            {
                "huishouden": household["huishouden"],
                "gemeente": draw(st.sampled_from([household["gemeente"] or codes[0], *codes])),
                "as_of": as_of + timedelta(days=days),
            }
        )
    return registry, as_of, signals, previous


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios())
def test_sql_matches_the_plain_python_rule_on_generated_lakes(scenario):
    registry, as_of, signals, previous = scenario
    matched(registry, as_of, signals, previous)


# --- boundaries, one parameter at a time ----------------------------------------------------

D = date(2026, 11, 15)
H1, H2, H3 = "1" * 32, "2" * 32, "3" * 32
TYPE_OF = {"vivare": "Huur", "vitens": "Water", "eneco": "Energie"}


def registry(convenanten: Iterable[Convenant] | None = None, **rule: Any) -> Registry:
    rule = {"min_leveranciers": 1, **rule}
    if convenanten is None:
        convenanten = [Convenant(gemeente="GM0202", leverancier=i, vanaf=date(2026, 1, 1)) for i in TYPE_OF]
    return Registry(
        gemeenten=(Gemeente(code="GM0202", naam="Arnhem", **rule), Gemeente(code="GM0344", naam="Utrecht")),
        leveranciers=tuple(Leverancier(id=i, naam=i, signaaltype=t) for i, t in TYPE_OF.items()),
        convenanten=tuple(convenanten),
    )


def signal(
    leverancier: str = "vivare",
    *,
    huishouden: str = H1,
    gemeente: str | None = "GM0202",
    peildatum: date = D - timedelta(days=10),
    dagen: int = 10,
    bedrag_cent: int = 10_000,
    signaaltype: str | None = None,
    crisis: bool = False,
    levering: str | None = None,
    geupload_op: datetime | None = None,
    regel: int = 2,
) -> dict:
    return {
        "huishouden": huishouden,
        "levering": levering or f"{leverancier}-{peildatum.isoformat()}",
        "regel": regel,
        "leverancier": leverancier,
        "gemeente": gemeente,
        "wijk": None if gemeente is None else "WK020201",
        "buurt": None if gemeente is None else "BU02020101",
        "signaaltype": signaaltype or TYPE_OF[leverancier],
        "bedrag_cent": bedrag_cent,
        "achterstand_sinds": peildatum - timedelta(days=dagen),
        "peildatum": peildatum,
        "crisis": crisis,
        "geupload_op": geupload_op or datetime.combine(peildatum + timedelta(days=1), datetime.min.time(), UTC),
    }


def households(cases: list[Case]) -> list[tuple[str, str]]:
    return [(c.gemeente, c.huishouden) for c in cases]


@pytest.mark.parametrize(
    ("rule", "dagen", "eligible"),
    [
        ({}, 0, True),
        ({}, -1, False),
        ({}, 100, True),
        ({}, 101, False),
        ({"min_dagen": 30}, 29, False),
        ({"min_dagen": 30}, 30, True),
        ({"min_dagen": 30, "max_dagen": 30}, 30, True),
        ({"min_dagen": 30, "max_dagen": 60}, 60, True),
        ({"min_dagen": 30, "max_dagen": 60}, 61, False),
    ],
)
def test_days_in_arrears_count_inclusive_of_min_and_max_dagen(rule, dagen, eligible):
    cases = matched(registry(**rule), D, [signal(dagen=dagen)])
    assert bool(cases) is eligible


def test_days_are_counted_from_the_peildatum_not_the_as_of_date():
    cases = matched(registry(max_dagen=30), D, [signal(peildatum=D - timedelta(days=20), dagen=30)])
    assert households(cases) == [("GM0202", H1)]


@pytest.mark.parametrize(("bedrag_cent", "eligible"), [(12_345, True), (12_344, False), (100_000, True)])
def test_amount_counts_from_min_bedrag_inclusive(bedrag_cent, eligible):
    cases = matched(registry(min_bedrag=Decimal("123.45")), D, [signal(bedrag_cent=bedrag_cent)])
    assert bool(cases) is eligible


@pytest.mark.parametrize(
    ("vanaf", "tot", "active"),
    [
        (D, None, True),
        (D + timedelta(days=1), None, False),
        (date(2026, 1, 1), D - timedelta(days=1), False),
        (date(2026, 1, 1), D, True),
        (D, D, True),
    ],
)
def test_convenant_must_be_active_on_the_as_of_date(vanaf, tot, active):
    convenant = Convenant(gemeente="GM0202", leverancier="vivare", vanaf=vanaf, tot=tot)
    cases = matched(registry([convenant]), D, [signal()])
    assert bool(cases) is active


def test_a_convenant_with_another_gemeente_does_not_count():
    convenant = Convenant(gemeente="GM0344", leverancier="vivare", vanaf=date(2026, 1, 1))
    assert matched(registry([convenant]), D, [signal()]) == []


def test_overlapping_convenanten_do_not_duplicate_signals():
    convenanten = [
        Convenant(gemeente="GM0202", leverancier="vivare", vanaf=date(2026, 1, 1)),
        Convenant(gemeente="GM0202", leverancier="vivare", vanaf=date(2026, 6, 1), tot=D),
    ]
    (case,) = matched(registry(convenanten), D, [signal()])
    assert len(case.signals) == 1 and case.totaal_bedrag_cent == 10_000


@pytest.mark.parametrize(("days_before", "counts"), [(0, True), (45, True), (46, False), (-1, False)])
def test_delivery_counts_when_its_peildatum_is_within_45_days_up_to_the_as_of_date(days_before, counts):
    cases = matched(registry(), D, [signal(peildatum=D - timedelta(days=days_before))])
    assert bool(cases) is counts


def test_a_later_peildatum_supersedes_the_earlier_delivery():
    old = signal(huishouden=H1, peildatum=D - timedelta(days=40))
    new = signal(huishouden=H2, peildatum=D - timedelta(days=10))
    assert households(matched(registry(), D, [old, new])) == [("GM0202", H2)]


def test_a_later_upload_with_the_same_peildatum_supersedes_the_earlier_one():
    peildatum = D - timedelta(days=10)
    morning = datetime(2026, 11, 6, 9, tzinfo=UTC)
    first = signal(huishouden=H1, levering="z-first", geupload_op=morning)
    correction = signal(huishouden=H2, levering="a-correction", geupload_op=morning + timedelta(hours=5))
    assert peildatum == first["peildatum"] == correction["peildatum"]
    assert households(matched(registry(), D, [first, correction])) == [("GM0202", H2)]


def test_deliveries_with_the_same_peildatum_and_upload_time_fall_back_to_the_higher_levering_id():
    at = datetime(2026, 11, 6, 9, tzinfo=UTC)
    lower = signal(huishouden=H1, levering="lev-1", geupload_op=at)
    higher = signal(huishouden=H2, levering="lev-2", geupload_op=at)
    assert households(matched(registry(), D, [higher, lower])) == [("GM0202", H2)]


def test_a_delivery_after_the_as_of_date_supersedes_nothing():
    current = signal(huishouden=H1, peildatum=D - timedelta(days=10))
    future = signal(huishouden=H2, peildatum=D + timedelta(days=1))
    assert households(matched(registry(), D, [current, future])) == [("GM0202", H1)]


def test_superseding_is_per_supplier():
    vivare = signal("vivare", peildatum=D - timedelta(days=40), levering="x")
    vitens = signal("vitens", peildatum=D - timedelta(days=5), levering="x")
    (case,) = matched(registry(min_leveranciers=2), D, [vivare, vitens])
    assert case.aantal_leveranciers == 2


@pytest.mark.parametrize(
    ("gemeente", "days_before", "herhaald"),
    [
        ("GM0202", 182, True),
        ("GM0202", 183, False),
        ("GM0202", 30, True),
        ("GM0202", 0, False),
        ("GM0344", 30, False),
    ],
)
def test_herhaald_when_matched_in_the_same_gemeente_in_the_last_six_months(gemeente, days_before, herhaald):
    previous = [{"huishouden": H1, "gemeente": gemeente, "as_of": D - timedelta(days=days_before)}]
    (case,) = matched(registry(), D, [signal()], previous)
    assert case.herhaald is herhaald


def test_herhaald_needs_the_same_household():
    previous = [{"huishouden": H2, "gemeente": "GM0202", "as_of": D - timedelta(days=30)}]
    (case,) = matched(registry(), D, [signal(huishouden=H1)], previous)
    assert case.herhaald is False


def test_signaaltypen_limit_the_types_that_count():
    signals = [signal("vivare", huishouden=H1), signal("vitens", huishouden=H2)]
    assert households(matched(registry(signaaltypen=("Water",)), D, signals)) == [("GM0202", H2)]
    assert len(matched(registry(signaaltypen=()), D, signals)) == 2


def test_venster_overrides_the_days_for_its_signaaltype_only():
    rule = {"max_dagen": 100, "venster": {"Water": (30, 3650)}}
    signals = [
        signal("vitens", huishouden=H1, dagen=200),
        signal("vitens", huishouden=H2, dagen=20),
        signal("vivare", huishouden=H3, dagen=200),
    ]
    assert households(matched(registry(**rule), D, signals)) == [("GM0202", H1)]


def test_min_leveranciers_one_makes_every_eligible_signal_a_case():
    signals = [signal("vivare", huishouden=H1), signal("vitens", huishouden=H2)]
    assert sorted(households(matched(registry(min_leveranciers=1), D, signals))) == [("GM0202", H1), ("GM0202", H2)]


def test_min_leveranciers_three_needs_three_distinct_suppliers():
    two = [signal("vivare", regel=2), signal("vivare", regel=3), signal("vitens")]
    assert matched(registry(min_leveranciers=3), D, two) == []
    (case,) = matched(registry(min_leveranciers=3), D, [*two, signal("eneco")])
    assert case.aantal_leveranciers == 3 and len(case.signals) == 4


def test_the_same_supplier_twice_counts_as_one_supplier():
    signals = [signal("vivare", regel=2), signal("vivare", regel=3)]
    assert matched(registry(min_leveranciers=2), D, signals) == []


def test_a_case_holds_only_its_eligible_signals_and_their_total():
    signals = [
        signal("vivare", bedrag_cent=20_000, dagen=50),
        signal("vitens", bedrag_cent=5_000, dagen=80),
        signal("eneco", bedrag_cent=99_999, dagen=101),
    ]
    (case,) = matched(registry(min_leveranciers=2), D, signals)
    assert case.totaal_bedrag_cent == 25_000
    assert case.oudste_achterstand == D - timedelta(days=90)
    assert {s[0] for s in case.signals} == {"vivare", "vitens"}


def test_signals_without_a_known_gemeente_are_not_eligible():
    signals = [signal(gemeente=None), signal(huishouden=H2, gemeente="GM9999")]
    assert matched(registry(), D, signals) == []


def test_cases_are_ordered_crisis_first_then_suppliers_then_total():
    signals = [
        signal("vivare", huishouden=H1, bedrag_cent=90_000),
        signal("vivare", huishouden=H2, bedrag_cent=1_000),
        signal("vitens", huishouden=H2, bedrag_cent=1_000),
        signal("vivare", huishouden=H3, bedrag_cent=500, crisis=True),
        signal("vivare", huishouden="4" * 32, bedrag_cent=95_000),
    ]
    cases = matched(registry(), D, signals)
    assert [c.huishouden for c in cases] == [H3, H2, "4" * 32, H1]
    assert [c.crisis for c in cases] == [True, False, False, False]
