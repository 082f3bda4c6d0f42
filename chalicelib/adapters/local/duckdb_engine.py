"""The local query engine: match.sql on DuckDB over Arrow tables, and the lake read that feeds it.

Athena executes nothing locally (architecture.md), so DuckDB runs the same query text. The lake
is read with pyarrow, from a folder or from S3 (moto) through a pyarrow FileSystem, because
DuckDB's httpfs extension cannot be installed here.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

from chalicelib.domain.matching import MATCH_SCHEMA, TABLE_SCHEMAS, match_sql


class DuckDbQueryEngine:
    """match.sql on a fresh in-memory DuckDB connection per run (the local Athena, tests and benchmarks)."""

    def __init__(self, *, threads: int | None = None, sql: str | None = None) -> None:
        self._threads = threads
        self._sql = sql if sql is not None else match_sql()

    def match(self, tables: Mapping[str, pa.Table]) -> pa.Table:
        """Rows of MATCH_SCHEMA for the tables named as in TABLE_SCHEMAS; raises KeyError if one is missing."""
        missing = sorted(set(TABLE_SCHEMAS) - set(tables))
        if missing:
            raise KeyError(f"match.sql needs tables {missing}")
        config = {"threads": self._threads} if self._threads else {}
        connection = duckdb.connect(":memory:", config=config)
        try:
            for name in TABLE_SCHEMAS:
                connection.register(name, tables[name])
            result = connection.sql(self._sql).to_arrow_table()
        finally:
            connection.close()
        return result.cast(MATCH_SCHEMA)
