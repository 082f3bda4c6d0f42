"""Preparing a run: the parameters land as tables the catalogue points at, the query is match.sql."""

from datetime import UTC, date, datetime

import pyarrow as pa
import sqlglot

from chalicelib.adapters.aws.runs import S3RunLake
from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA, match_sql
from chalicelib.services.prepare import new_run_id, prepare_run

OUTPUT = S3RunLake(s3=None, lake_bucket="lake").matches_location("r1")  # the run lake owns where matches go


class MemoryParameters:
    def __init__(self) -> None:
        self.tables: dict[str, pa.Table] = {}
        self.pointed: dict[str, str] = {}

    def put(self, name: str, run_id: str, table: pa.Table) -> str:
        self.tables[name] = table
        return f"s3://lake/params/{name}/run={run_id}/"

    def point(self, name: str, location: str) -> None:
        self.pointed[name] = location

    def window(self, first: date, last: date) -> None:
        self.windowed = (first, last)


def test_every_parameter_table_is_stored_and_pointed_at_for_this_run(registry):
    parameters = MemoryParameters()
    prepare_run(
        registry=registry,
        as_of=date(2026, 11, 1),
        run_id="r1",
        previous_matches=VORIGE_MATCHES_SCHEMA.empty_table(),
        parameters=parameters,
        output=OUTPUT,
    )
    names = {"run", "gemeente_regels", "gemeente_signaaltypen", "gemeente_vensters", "convenanten", "vorige_matches"}
    assert set(parameters.tables) == names
    assert parameters.pointed == {name: f"s3://lake/params/{name}/run=r1/" for name in names}
    assert parameters.windowed == (date(2026, 9, 17), date(2026, 11, 1))
    assert parameters.tables["run"].to_pylist() == [
        {"as_of": date(2026, 11, 1), "levering_vanaf": date(2026, 9, 17), "herhaald_vanaf": date(2026, 5, 2)}
    ]


def test_query_unloads_match_sql_unpartitioned_to_the_runs_prefix_and_parses_as_athena(registry):
    prepared = prepare_run(
        registry=registry,
        as_of=date(2026, 11, 1),
        run_id="r1",
        previous_matches=VORIGE_MATCHES_SCHEMA.empty_table(),
        parameters=MemoryParameters(),
        output=OUTPUT,
    )
    assert prepared.output == "s3://lake/runs/r1/matches/"
    assert match_sql().strip() in prepared.query
    assert "partitioned_by" not in prepared.query.lower()
    statement = sqlglot.parse_one(prepared.query, read="athena")
    assert statement is not None


def test_previous_matches_pass_through_in_their_schema(registry):
    previous = pa.table({"huishouden": ["a" * 32], "gemeente": ["GM0202"], "as_of": [date(2026, 10, 1)], "extra": [1]})
    parameters = MemoryParameters()
    prepare_run(
        registry=registry,
        as_of=date(2026, 11, 1),
        run_id="r1",
        previous_matches=previous,
        parameters=parameters,
        output=OUTPUT,
    )
    assert parameters.tables["vorige_matches"].schema == VORIGE_MATCHES_SCHEMA
    assert parameters.tables["vorige_matches"].num_rows == 1


def test_run_ids_start_with_the_as_of_date_and_differ():
    now = datetime(2026, 11, 1, 6, tzinfo=UTC)
    first, second = new_run_id(date(2026, 11, 1), now), new_run_id(date(2026, 11, 1), now)
    assert first.startswith("20261101-20261101T060000-")
    assert first != second
