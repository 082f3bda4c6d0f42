import json
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.adapters.aws.registry import registry_from_items, registry_to_items
from chalicelib.domain.registry import (
    Convenant,
    Gemeente,
    Leverancier,
    Registry,
    RegistryError,
    parse_registry_toml,
)
from chalicelib.domain.signaaltype import SIGNAALTYPEN

SPEC_EXAMPLE = """
[[gemeente]]
code = "GM0202"            # CBS gemeentecode
naam = "Arnhem"
min_leveranciers = 2       # defaults shown: the seed's rule
min_dagen = 0
max_dagen = 100
min_bedrag = 0             # euros, per signal
signaaltypen = []          # DDAS EnumSignaalpartner values; empty = all
venster = { Water = [30, 3650] }   # optional [min_dagen, max_dagen] per signaaltype

[[leverancier]]
id = "vivare"              # [a-z0-9-]{2,40}; also its upload prefix
naam = "Vivare"
signaaltype = "Huur"       # DDAS EnumSignaalpartner
max_fout_percentage = 10

[[convenant]]
gemeente = "GM0202"
leverancier = "vivare"
vanaf = "2026-01-01"
tot = "2027-12-31"         # optional, inclusive
"""

SMALL = """
[[gemeente]]
code = "GM0268"
naam = "Nijmegen"

[[gemeente]]
code = "GM0202"
naam = "Arnhem"
min_bedrag = 75

[[leverancier]]
id = "vivare"
naam = "Vivare"
signaaltype = "Huur"

[[leverancier]]
id = "cz"
naam = "CZ"
signaaltype = "zorg"

[[convenant]]
gemeente = "GM0202"
leverancier = "vivare"
vanaf = "2026-01-01"
tot = "2026-12-31"

[[convenant]]
gemeente = "GM0268"
leverancier = "cz"
vanaf = 2026-03-01
"""


def test_spec_example_parses_with_its_values():
    registry = parse_registry_toml(SPEC_EXAMPLE)

    arnhem = registry.gemeente("GM0202")
    assert arnhem is not None and arnhem.naam == "Arnhem"
    assert arnhem.venster == {"Water": (30, 3650)}
    assert registry.leverancier("vivare").max_fout_percentage == 10.0
    assert registry.convenanten == (
        Convenant(gemeente="GM0202", leverancier="vivare", vanaf=date(2026, 1, 1), tot=date(2027, 12, 31)),
    )


def test_gemeente_defaults_are_the_seeds_rule():
    gemeente = parse_registry_toml('[[gemeente]]\ncode = "GM0796"\nnaam = "\'s-Hertogenbosch"\n').gemeenten[0]

    assert (gemeente.min_leveranciers, gemeente.min_dagen, gemeente.max_dagen) == (2, 0, 100)
    assert gemeente.min_bedrag == Decimal("0") and gemeente.signaaltypen == () and gemeente.venster == {}


def test_signaaltypen_are_matched_case_insensitively_and_stored_in_ddas_spelling():
    registry = parse_registry_toml(SMALL)

    assert registry.leverancier("cz").signaaltype == "Zorg"


def test_lookups_return_none_for_unknown_keys():
    registry = parse_registry_toml(SMALL)

    assert registry.gemeente("GM9999") is None
    assert registry.leverancier("onbekend") is None


def test_parse_returns_canonical_order():
    registry = parse_registry_toml(SMALL)

    assert [g.code for g in registry.gemeenten] == ["GM0202", "GM0268"]
    assert [leverancier.id for leverancier in registry.leveranciers] == ["cz", "vivare"]


def test_active_convenanten_include_both_ends_of_the_period():
    registry = parse_registry_toml(SMALL)

    def active(day: date) -> list[str]:
        return sorted(c.leverancier for c in registry.active_convenanten(day))

    assert active(date(2025, 12, 31)) == []
    assert active(date(2026, 1, 1)) == ["vivare"]
    assert active(date(2026, 3, 1)) == ["cz", "vivare"]
    assert active(date(2026, 12, 31)) == ["cz", "vivare"]
    assert active(date(2027, 1, 1)) == ["cz"]


def test_min_bedrag_keeps_cents_exactly():
    gemeente = Gemeente(code="GM0202", naam="Arnhem", min_bedrag=75.1)

    assert gemeente.min_bedrag == Decimal("75.10")
    assert gemeente.min_bedrag_centen == 7510


def test_venster_overrides_the_default_days_for_its_signaaltype_only():
    gemeente = Gemeente(code="GM0268", naam="Nijmegen", venster={"water": [30, 3650]})

    assert gemeente.dagen_venster("Water") == (30, 3650)
    assert gemeente.dagen_venster("Huur") == (0, 100)


def test_empty_signaaltypen_accepts_every_type_and_a_list_only_its_own():
    assert Gemeente(code="GM0202", naam="Arnhem").accepts_signaaltype("Huur")
    limited = Gemeente(code="GM0202", naam="Arnhem", signaaltypen=["Huur", "energie"])
    assert limited.signaaltypen == ("Huur", "Energie")
    assert limited.accepts_signaaltype("Energie") and not limited.accepts_signaaltype("Water")


def test_models_are_frozen():
    gemeente = Gemeente(code="GM0202", naam="Arnhem")

    with pytest.raises(ValidationError, match="frozen"):
        gemeente.naam = "Elders"


BAD = [
    (SMALL.replace('"GM0268"\nnaam', '"GM268"\nnaam'), "invalid_gemeente_code", "gemeente 1 (GM268), veld code"),
    (SMALL.replace('id = "cz"', 'id = "CZ!"'), "invalid_leverancier_id", "'CZ!' is geen geldige leverancier-id"),
    (SMALL.replace('code = "GM0268"', 'code = "GM0202"'), "duplicate_gemeente", "gemeente GM0202 staat meer dan"),
    (SMALL.replace('id = "cz"', 'id = "vivare"'), "duplicate_leverancier", "leverancier 'vivare' staat meer"),
    (
        SMALL + '\n[[convenant]]\ngemeente = "GM0202"\nleverancier = "foo"\nvanaf = "2026-01-01"\n',
        "unknown_leverancier",
        "convenant 3: leverancier 'foo' staat niet in het register",
    ),
    (
        SMALL + '\n[[convenant]]\ngemeente = "GM0363"\nleverancier = "cz"\nvanaf = "2026-01-01"\n',
        "unknown_gemeente",
        "convenant 3: gemeente 'GM0363' staat niet in het register",
    ),
    (
        SMALL + '\n[[convenant]]\ngemeente = "GM0268"\nleverancier = "cz"\nvanaf = 2026-03-01\n',
        "duplicate_convenant",
        "convenant GM0268#cz#2026-03-01 staat meer dan één keer",
    ),
    (SMALL.replace('signaaltype = "zorg"', 'signaaltype = "Zorgen"'), "unknown_signaaltype", "'Zorgen' is geen"),
    (SMALL.replace("min_bedrag = 75", "min_bedrag = -1"), "invalid_field", "veld min_bedrag: moet minstens 0"),
    (SMALL.replace("min_bedrag = 75", "min_bedrag = 75.001"), "invalid_field", "hoogstens twee decimalen"),
    (SMALL.replace("min_bedrag = 75", "min_bedrag = true"), "invalid_field", "veld min_bedrag"),
    (SMALL.replace("min_bedrag = 75", "min_leveranciers = 0"), "invalid_field", "min_leveranciers: moet minstens 1"),
    (SMALL.replace("min_bedrag = 75", "min_dagen = 120"), "invalid_range", "min_dagen (120) is groter dan"),
    (SMALL.replace("min_bedrag = 75", "venster = { Water = [90, 30] }"), "invalid_range", "niet [90, 30]"),
    (SMALL.replace("min_bedrag = 75", "venster = { Water = [30] }"), "invalid_field", "precies twee getallen"),
    (SMALL.replace("min_bedrag = 75", "minbedrag = 75"), "unknown_field", "veld minbedrag: is geen bekend veld"),
    (SMALL.replace('naam = "CZ"\n', ""), "missing_field", "leverancier 2 (cz), veld naam: ontbreekt"),
    (SMALL.replace('tot = "2026-12-31"', 'tot = "2025-12-31"'), "invalid_range", "tot (2025-12-31) ligt voor vanaf"),
    (SMALL.replace('vanaf = "2026-01-01"', "vanaf = 20260101"), "invalid_date", "JJJJ-MM-DD"),
    (SMALL.replace('vanaf = "2026-01-01"', 'vanaf = "2026-02-30"'), "invalid_date", "convenant 1, veld vanaf"),
    ("[leverancierx]\nid = 1\n", "unknown_field", "onbekende sectie 'leverancierx'"),
    ('[gemeente]\ncode = "GM0202"\nnaam = "Arnhem"\n', "invalid_field", "schrijf 'gemeente' als [[gemeente]]"),
    ('[[gemeente]]\ncode = "GM0202"\nnaam = \n', "invalid_toml", "regel 3"),
]


@pytest.mark.parametrize(("text", "code", "fragment"), BAD)
def test_invalid_registry_is_refused_with_code_and_dutch_message(text, code, fragment):
    with pytest.raises(RegistryError) as raised:
        parse_registry_toml(text)

    assert raised.value.code == code
    assert fragment in raised.value.message


def _no_floats(value) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, dict):
        return all(_no_floats(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_floats(v) for v in value)
    return True


def test_items_use_the_single_table_keys():
    items = registry_to_items(parse_registry_toml(SMALL))

    keys = [(item["pk"], item["sk"]) for item in items]
    assert ("GEMEENTE", "GM0202") in keys
    assert ("LEVERANCIER", "vivare") in keys
    assert ("CONVENANT", "GM0202#vivare#2026-01-01") in keys
    assert all(_no_floats(item) for item in items)
    json.dumps(items)
    for item in items:
        TypeSerializer().serialize(item)


def test_items_without_tot_leave_it_out():
    items = registry_to_items(parse_registry_toml(SMALL))

    open_ended = next(item for item in items if item["sk"] == "GM0268#cz#2026-03-01")
    assert "tot" not in open_ended


def test_items_of_unknown_kind_are_refused():
    items = [*registry_to_items(parse_registry_toml(SMALL)), {"pk": "ONBEKEND", "sk": "x"}]

    with pytest.raises(RegistryError) as raised:
        registry_from_items(items)
    assert raised.value.code == "invalid_item"


def test_convenant_item_whose_key_does_not_match_its_content_is_refused():
    items = registry_to_items(parse_registry_toml(SMALL))
    for item in items:
        if item["pk"] == "CONVENANT":
            item["vanaf"] = "2026-02-01"

    with pytest.raises(RegistryError) as raised:
        registry_from_items(items)
    assert raised.value.code == "invalid_item"


def test_invalid_item_content_is_refused_like_toml():
    items = registry_to_items(parse_registry_toml(SMALL))
    items[0]["min_dagen"] = Decimal("-3")

    with pytest.raises(RegistryError) as raised:
        registry_from_items(items)
    assert raised.value.code == "invalid_field"


codes = st.integers(min_value=0, max_value=9999).map(lambda n: f"GM{n:04d}")
ids = st.from_regex(r"[a-z0-9-]{2,40}", fullmatch=True)
names = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() == s and s)
days = st.integers(min_value=0, max_value=4000)


@st.composite
def gemeenten(draw, code):
    low = draw(days)
    windows = draw(st.dictionaries(st.sampled_from(SIGNAALTYPEN), st.tuples(days, days).map(sorted), max_size=3))
    return Gemeente(
        code=code,
        naam=draw(names),
        min_leveranciers=draw(st.integers(min_value=1, max_value=9)),
        min_dagen=low,
        max_dagen=draw(st.integers(min_value=low, max_value=5000)),
        min_bedrag=draw(st.decimals(min_value=0, max_value=10_000, places=2)),
        signaaltypen=draw(st.lists(st.sampled_from(SIGNAALTYPEN), max_size=4, unique=True)),
        venster={k: tuple(v) for k, v in windows.items()},
    )


@st.composite
def registries(draw):
    gemeente_codes = draw(st.lists(codes, max_size=5, unique=True))
    leverancier_ids = draw(st.lists(ids, max_size=5, unique=True))
    convenanten = []
    if gemeente_codes and leverancier_ids:
        for _ in range(draw(st.integers(min_value=0, max_value=6))):
            vanaf = date(2024, 1, 1) + timedelta(days=draw(st.integers(0, 1500)))
            tot = draw(st.none() | st.integers(0, 900).map(lambda n, v=vanaf: v + timedelta(days=n)))
            convenanten.append(
                Convenant(
                    gemeente=draw(st.sampled_from(gemeente_codes)),
                    leverancier=draw(st.sampled_from(leverancier_ids)),
                    vanaf=vanaf,
                    tot=tot,
                )
            )
    unique = {c.key: c for c in convenanten}
    return Registry(
        gemeenten=[draw(gemeenten(code)) for code in gemeente_codes],
        leveranciers=[
            Leverancier(
                id=i,
                naam=draw(names),
                signaaltype=draw(st.sampled_from(SIGNAALTYPEN)),
                max_fout_percentage=draw(st.floats(min_value=0, max_value=100)),
            )
            for i in leverancier_ids
        ],
        convenanten=list(unique.values()),
    )


def _through_dynamodb(item: dict) -> dict:
    """What boto3 hands back after storing `item`: numbers become Decimal."""
    stored = {k: TypeSerializer().serialize(v) for k, v in item.items()}
    return {k: TypeDeserializer().deserialize(v) for k, v in stored.items()}


@settings(max_examples=150, deadline=None)
@given(registries(), st.randoms(use_true_random=False))
def test_items_round_trip_exactly_in_any_order(registry, shuffle: random.Random):
    items = [_through_dynamodb(item) for item in registry_to_items(registry)]
    shuffle.shuffle(items)

    assert registry_from_items(items) == registry.canonical()


class FakeTable:
    """An in-memory stand-in for a boto3 DynamoDB Table keyed by pk/sk, paging two items at a time."""

    def __init__(self, items=()) -> None:
        self.items = {(item["pk"], item["sk"]): dict(item) for item in items}

    def query(self, KeyConditionExpression, ExpressionAttributeNames, ExpressionAttributeValues, **options):
        assert KeyConditionExpression == "#pk = :pk" and ExpressionAttributeNames["#pk"] == "pk"
        matching = sorted(k for k in self.items if k[0] == ExpressionAttributeValues[":pk"])
        start = options.get("ExclusiveStartKey")
        if start:
            matching = [k for k in matching if k > (start["pk"], start["sk"])]
        page = {"Items": [_through_dynamodb(self.items[k]) for k in matching[:2]]}
        if len(matching) > 2:
            page["LastEvaluatedKey"] = {"pk": matching[1][0], "sk": matching[1][1]}
        return page

    def batch_writer(self, overwrite_by_pkeys=None):
        table = self

        class Batch:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def put_item(self, Item):
                TypeSerializer().serialize(Item)
                table.items[(Item["pk"], Item["sk"])] = dict(Item)

            def delete_item(self, Key):
                table.items.pop((Key["pk"], Key["sk"]), None)

        return Batch()


def test_import_registry_replaces_the_previous_one_and_leaves_other_items():
    from chalicelib.adapters.aws.registry import import_registry, load_registry

    table = FakeTable([{"pk": "RUN", "sk": "2026-10"}])
    import_registry(SPEC_EXAMPLE + '[[leverancier]]\nid = "oud"\nnaam = "Oud"\nsignaaltype = "DUO"\n', table)

    imported = import_registry(SMALL, table)

    assert load_registry(table) == imported == parse_registry_toml(SMALL)
    assert ("LEVERANCIER", "oud") not in table.items
    assert table.items[("GEMEENTE", "GM0202")]["venster"] == {}
    assert ("RUN", "2026-10") in table.items


def test_invalid_registry_import_writes_nothing():
    from chalicelib.adapters.aws.registry import import_registry

    table = FakeTable()
    with pytest.raises(RegistryError):
        import_registry(SMALL.replace('"GM0268"', '"GM268"'), table)
    assert table.items == {}
