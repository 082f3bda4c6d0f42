"""Prepare a matching run: its parameters as tables where the query reads them, and the query.

The query is match.sql verbatim inside an UNLOAD to the run's own prefix; the parameter tables
are written under the run's prefix and the catalogue's tables pointed at them, so Athena and
the local DuckDB stand-in read the same SQL over the same data.
"""

import secrets
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa

from chalicelib.domain.leveringen import levering_vanaf
from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA, match_sql, parameter_tables
from chalicelib.domain.registry import Registry
from chalicelib.ports import ParameterStore


@dataclass(frozen=True)
class PreparedRun:
    run_id: str
    as_of: date
    query: str
    output: str


def new_run_id(as_of: date, now: datetime) -> str:
    """`20261101-20261101T060000-a1b2c3`: the as-of date first, then when it started."""
    return f"{as_of:%Y%m%d}-{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"


def unload(query: str, output: str) -> str:
    """Athena's UNLOAD of the query to Parquet, unpartitioned (342 gemeenten > 100 partitions)."""
    return f"UNLOAD (\n{query.strip()}\n) TO '{output}' WITH (format = 'PARQUET', compression = 'ZSTD')"


def prepare_run(
    *,
    registry: Registry,
    as_of: date,
    run_id: str,
    previous_matches: pa.Table,
    parameters: ParameterStore,
    output: str,
) -> PreparedRun:
    """Store and point at the run's parameter tables; the query UNLOADs to `output` (the run lake's
    matches location, e.g. `s3://<lake>/runs/<run>/matches/`)."""
    tables = parameter_tables(registry, as_of) | {
        "vorige_matches": previous_matches.select(VORIGE_MATCHES_SCHEMA.names).cast(VORIGE_MATCHES_SCHEMA)
    }
    for name, table in tables.items():
        parameters.point(name, parameters.put(name, run_id, table))
    parameters.window(levering_vanaf(as_of), as_of)
    return PreparedRun(run_id=run_id, as_of=as_of, query=unload(match_sql(), output), output=output)
