"""match.sql as text (both dialects' parsers), on DuckDB, its parameter tables, and the lake read."""

import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from sqlglot import exp

from chalicelib.adapters.aws.lake import S3Lake
from chalicelib.adapters.aws.lake_scan import read_signals, scan_signals
from chalicelib.adapters.local.duckdb_engine import DuckDbQueryEngine
from chalicelib.domain.matching import (
    MATCH_SCHEMA,
    TABLE_SCHEMAS,
    VORIGE_MATCHES_SCHEMA,
    match_sql,
    parameter_tables,
)
from chalicelib.domain.registry import parse_registry_toml
from chalicelib.domain.signals import SIGNAL_SCHEMA
from tests.match_reference import run_matching

REGISTRY = parse_registry_toml(
    """
[[gemeente]]
code = "GM0202"
naam = "Arnhem"
min_leveranciers = 2
min_dagen = 0
max_dagen = 100
min_bedrag = 0
signaaltypen = []
venster = { Water = [30, 3650] }

[[gemeente]]
code = "GM0344"
naam = "Utrecht"
min_leveranciers = 3
min_dagen = 14
max_dagen = 120
min_bedrag = 25.50
signaaltypen = ["Huur", "water"]

[[leverancier]]
id = "vivare"
naam = "Vivare"
signaaltype = "Huur"

[[leverancier]]
id = "vitens"
naam = "Vitens"
signaaltype = "Water"

[[convenant]]
gemeente = "GM0202"
leverancier = "vivare"
vanaf = "2026-01-01"
tot = "2027-12-31"

[[convenant]]
gemeente = "GM0202"
leverancier = "vitens"
vanaf = "2026-03-01"
"""
)
AS_OF = date(2026, 11, 15)
PEILDATUM = date(2026, 11, 1)
UPLOADED = datetime(2026, 11, 2, 8, tzinfo=UTC)
H1, H2 = "a" * 32, "b" * 32


def lake_row(
    huishouden,
    leverancier,
    levering,
    *,
    regel=2,
    bedrag_cent=10_000,
    sinds=date(2026, 9, 1),
    peildatum=PEILDATUM,
    crisis=False,
    geupload_op=UPLOADED,
    gemeente="GM0202",
):
    return {
        "huishouden": huishouden,
        "levering": levering,
        "regel": regel,
        "leverancier": leverancier,
        "gemeente": gemeente,
        "wijk": "WK020201",
        "buurt": "BU02020101",
        "signaaltype": {"vivare": "Huur", "vitens": "Water"}[leverancier],
        "bedrag_cent": bedrag_cent,
        "achterstand_sinds": sinds,
        "peildatum": peildatum,
        "crisis": crisis,
        "geupload_op": geupload_op,
    }


SIGNALS = [
    lake_row(H1, "vivare", "v-11", regel=2, bedrag_cent=50_000),
    lake_row(H1, "vitens", "w-11", regel=7, bedrag_cent=7_000, sinds=date(2026, 10, 1), crisis=True),
    lake_row(H2, "vivare", "v-11", regel=3, bedrag_cent=80_000),
    lake_row(H2, "vitens", "w-11", regel=8, bedrag_cent=7_000, sinds=date(2026, 10, 20)),  # 12 days: Water needs 30
    lake_row(H2, "vitens", "w-10", regel=2, peildatum=date(2026, 10, 1)),  # superseded
]


def example_tables() -> dict[str, pa.Table]:
    tables = parameter_tables(REGISTRY, AS_OF)
    tables["signals"] = pa.Table.from_pylist(SIGNALS, schema=SIGNAL_SCHEMA)
    tables["vorige_matches"] = pa.Table.from_pylist(
        [{"huishouden": H1, "gemeente": "GM0202", "as_of": date(2026, 10, 15)}], schema=VORIGE_MATCHES_SCHEMA
    )
    return tables


@pytest.mark.parametrize("dialect", ["athena", "trino", "duckdb"])
def test_match_sql_is_one_statement_every_dialect_parses(dialect):
    statements = sqlglot.parse(match_sql(), read=dialect)
    assert len(statements) == 1
    assert isinstance(statements[0], exp.Select)


def test_match_sql_avoids_what_athena_and_duckdb_disagree_on():
    tree = sqlglot.parse_one(match_sql(), read="athena")
    assert not list(tree.find_all(exp.Div, exp.IntDiv, exp.DateAdd, exp.DateSub, exp.Qualify, exp.Filter))
    units = {node.unit.name.lower() for node in tree.find_all(exp.DateDiff)}
    assert units == {"day"}
    code = re.sub(r"--[^\n]*", "", match_sql()).lower()
    for construct in ("::", "exclude", "qualify", "format_datetime", "date_add", "filter"):
        assert construct not in code


def test_match_sql_reads_exactly_the_parameter_tables():
    tree = sqlglot.parse_one(match_sql(), read="trino")
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    tables = {table.name for table in tree.find_all(exp.Table)} - ctes
    assert tables == set(TABLE_SCHEMAS)


def test_lake_read_and_match_sql_agree_on_the_signal_columns():
    tree = sqlglot.parse_one(match_sql(), read="trino")
    aliases = {table.alias_or_name for table in tree.find_all(exp.Table) if table.name == "signals"}
    used = {column.name for column in tree.find_all(exp.Column) if column.table in aliases}
    assert used == set(SIGNAL_SCHEMA.names)


def test_match_sql_runs_unchanged_on_duckdb():
    rows = DuckDbQueryEngine(threads=1).match(example_tables()).to_pylist()
    assert [(r["huishouden"], r["leverancier"], r["regel"]) for r in rows] == [(H1, "vitens", 7), (H1, "vivare", 2)]
    case = {
        k: rows[0][k]
        for k in (
            "aantal_leveranciers",
            "totaal_bedrag_cent",
            "oudste_achterstand",
            "herhaald",
            "case_crisis",
            "case_rank",
            "wijk",
            "buurt",
        )
    }
    assert case == {
        "aantal_leveranciers": 2,
        "totaal_bedrag_cent": 57_000,
        "oudste_achterstand": date(2026, 9, 1),
        "herhaald": True,
        "case_crisis": True,
        "case_rank": 1,
        "wijk": "WK020201",
        "buurt": "BU02020101",
    }
    assert [r["crisis"] for r in rows] == [True, False]


def test_sqlglots_duckdb_translation_gives_the_same_rows():
    translated = sqlglot.transpile(match_sql(), read="trino", write="duckdb")[0]
    tables = example_tables()
    assert DuckDbQueryEngine(sql=translated).match(tables) == DuckDbQueryEngine().match(tables)


def test_engine_output_has_the_match_schema_even_when_empty():
    tables = example_tables()
    tables["signals"] = SIGNAL_SCHEMA.empty_table()
    result = DuckDbQueryEngine().match(tables)
    assert result.num_rows == 0 and result.schema == MATCH_SCHEMA


def test_engine_names_the_missing_table():
    tables = example_tables()
    del tables["vorige_matches"]
    with pytest.raises(KeyError, match="vorige_matches"):
        DuckDbQueryEngine().match(tables)


def test_run_matching_without_previous_matches_flags_nothing_as_herhaald():
    signals = pa.Table.from_pylist(SIGNALS, schema=SIGNAL_SCHEMA)
    result = run_matching(REGISTRY, AS_OF, signals, None, DuckDbQueryEngine())
    assert result.num_rows == 2 and not any(result["herhaald"].to_pylist())


def test_parameter_tables_say_what_the_registry_says():
    tables = parameter_tables(REGISTRY, AS_OF)
    assert set(tables) == set(TABLE_SCHEMAS) - {"signals", "vorige_matches"}
    assert all(tables[name].schema == TABLE_SCHEMAS[name] for name in tables)
    assert tables["run"].to_pylist() == [
        {"as_of": AS_OF, "levering_vanaf": date(2026, 10, 1), "herhaald_vanaf": date(2026, 5, 16)}
    ]
    assert tables["gemeente_regels"].to_pylist() == [
        {
            "gemeente": "GM0202",
            "min_leveranciers": 2,
            "min_dagen": 0,
            "max_dagen": 100,
            "min_bedrag_cent": 0,
            "alle_signaaltypen": True,
        },
        {
            "gemeente": "GM0344",
            "min_leveranciers": 3,
            "min_dagen": 14,
            "max_dagen": 120,
            "min_bedrag_cent": 2_550,
            "alle_signaaltypen": False,
        },
    ]
    assert tables["gemeente_signaaltypen"].to_pylist() == [
        {"gemeente": "GM0344", "signaaltype": "Huur"},
        {"gemeente": "GM0344", "signaaltype": "Water"},
    ]
    assert tables["gemeente_vensters"].to_pylist() == [
        {"gemeente": "GM0202", "signaaltype": "Water", "min_dagen": 30, "max_dagen": 3650}
    ]
    assert tables["convenanten"].to_pylist() == [
        {"gemeente": "GM0202", "leverancier": "vitens", "vanaf": date(2026, 3, 1), "tot": None},
        {"gemeente": "GM0202", "leverancier": "vivare", "vanaf": date(2026, 1, 1), "tot": date(2027, 12, 31)},
    ]
    assert REGISTRY.gemeente("GM0344").min_bedrag == Decimal("25.50")


class FolderS3:
    """Just enough of an S3 client for S3Lake to write the lake into a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put_object(self, Bucket, Key, Body, ContentType):
        path = self.root / Bucket / Key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Body)


def write_lake(root: Path, rows: list[dict]) -> str:
    lake = S3Lake(FolderS3(root), "lake")
    table = pa.Table.from_pylist(rows, schema=SIGNAL_SCHEMA)
    deliveries = sorted({(r["peildatum"], r["leverancier"], r["levering"]) for r in rows})
    for peildatum, leverancier, levering in deliveries:
        mask = [(r["peildatum"], r["leverancier"], r["levering"]) == (peildatum, leverancier, levering) for r in rows]
        lake.write_signals(
            table.filter(pa.array(mask)), peildatum=peildatum.isoformat(), leverancier=leverancier, levering=levering
        )
    return str(root / "lake" / "signals")


def test_read_signals_reads_only_partitions_in_the_window_and_skips_superseded_files(tmp_path):
    rows = [
        *SIGNALS,
        lake_row(H1, "vivare", "v-08", peildatum=date(2026, 8, 1)),  # before the window
        lake_row(H1, "vivare", "v-12", peildatum=date(2026, 11, 16)),  # after the as-of date
        lake_row(H2, "vitens", "w-11b", geupload_op=datetime(2026, 11, 2, 7, tzinfo=UTC)),  # earlier upload
    ]
    source = write_lake(tmp_path, rows)

    scan = scan_signals(source, date(2026, 10, 1), AS_OF)

    assert (scan.partitions_total, scan.partitions_in_window) == (4, 2)
    assert (scan.files_in_window, scan.files_superseded, scan.files_read) == (4, 2, 2)
    assert 0 < scan.bytes_to_read < scan.bytes_in_window
    signals = scan.read()
    assert signals.schema == SIGNAL_SCHEMA
    assert sorted(set(signals["levering"].to_pylist())) == ["v-11", "w-11"]
    full = read_signals(source, date(2026, 10, 1), AS_OF, skip_superseded=False)
    assert sorted(set(full["levering"].to_pylist())) == ["v-11", "w-10", "w-11", "w-11b"]
    engine = DuckDbQueryEngine()
    assert run_matching(REGISTRY, AS_OF, signals, None, engine) == run_matching(REGISTRY, AS_OF, full, None, engine)


def test_read_signals_of_an_empty_lake_is_empty(tmp_path):
    signals = read_signals(str(tmp_path / "signals"), date(2026, 10, 1), AS_OF)
    assert signals.num_rows == 0 and signals.schema == SIGNAL_SCHEMA


def test_files_without_statistics_are_always_read(tmp_path):
    source = write_lake(tmp_path, SIGNALS)
    folder = Path(source) / "peildatum=2026-10-01"
    table = pa.Table.from_pylist([lake_row(H1, "vitens", "w-10", peildatum=date(2026, 10, 1))], schema=SIGNAL_SCHEMA)
    body = io.BytesIO()
    pq.write_table(table.drop_columns(["peildatum"]), body, write_statistics=False)
    (folder / "vitens_w-10.parquet").write_bytes(body.getvalue())

    scan = scan_signals(source, date(2026, 10, 1), AS_OF)

    assert (scan.files_in_window, scan.files_superseded) == (3, 0)


def test_vault_trimming_waits_for_the_last_run_that_can_read_a_delivery():
    from types import SimpleNamespace

    from chalicelib.domain.matching import no_later_run_reads

    as_of = date(2026, 11, 1)
    deliveries = [
        SimpleNamespace(leverancier="a", levering="old", peildatum=date(2026, 10, 1), latest=False),
        SimpleNamespace(leverancier="a", levering="new", peildatum=date(2026, 10, 20), latest=True),
        SimpleNamespace(leverancier="b", levering="edge", peildatum=date(2026, 9, 17), latest=True),
        SimpleNamespace(leverancier="c", levering="keep", peildatum=date(2026, 9, 18), latest=True),
    ]
    assert no_later_run_reads(deliveries, as_of) == [("a", "old"), ("b", "edge")]
