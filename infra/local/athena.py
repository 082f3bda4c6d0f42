"""The local Athena: executes the workflow's `UNLOAD (query) TO 's3://…/' WITH (…)` on DuckDB.

Athena executes nothing in moto (architecture.md, "Local stack"). This stand-in reads the
catalog from moto's Glue exactly as Athena would: every table the query names is read from the
location Glue gives it (a projected, Hive-partitioned `signals`; parameter tables at their
current Location), through pyarrow's S3FileSystem pointed at moto. The query text itself runs
unchanged on DuckDB (`DuckDbQueryEngine`), and the rows land as one Parquet file under the
UNLOAD target, as Athena's would.

Two rules of Athena's are enforced so a local run fails where a cloud run would: the target
prefix must be empty, and the output must not be partitioned (UNLOAD allows at most 100
partitions; there are 342 gemeenten). The signals' partitions are the ones the `run` table's
window needs, as Athena's dynamic filtering prunes them; the projection's NOW-relative range is
not applied, so a replayed past month still finds its data.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

from chalicelib.adapters.aws.lake import PARTITION
from chalicelib.adapters.aws.lake_scan import SignalScan, scan_signals
from chalicelib.adapters.local.duckdb_engine import DuckDbQueryEngine

if TYPE_CHECKING:
    from infra.local.stack import LocalStack

# Glue (Hive) column types ↔ Arrow, for the types the lake uses.
GLUE_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int32(),
    "bigint": pa.int64(),
    "date": pa.date32(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
}
WINDOW_TABLE = "run"  # its levering_vanaf and as_of bound the signals a run reads
_COMPRESSION = {"ZSTD": "zstd", "GZIP": "gzip", "SNAPPY": "snappy", "NONE": "none"}


class QueryFailed(Exception):
    """The query failed as it would on Athena (the .sync Task fails with States.TaskFailed)."""


@dataclass(frozen=True)
class Unload:
    """An UNLOAD statement: the inner query's text, the target prefix and the WITH options
    (names lower-cased, values as written, e.g. {"format": "PARQUET"})."""

    query: str
    target: str
    options: dict[str, str]


def parse_unload(statement: str) -> Unload:
    """Split `UNLOAD (query) TO 's3://…' WITH (name = value, …)`; raises QueryFailed otherwise.

    sqlglot parses UNLOAD only as an opaque Command, so its tokenizer finds the parenthesis that
    closes the query (skipping strings and comments) and the rest is read token by token.
    """
    head = statement.lstrip()
    if head[:6].upper() != "UNLOAD":
        raise QueryFailed("not an UNLOAD statement")
    rest = head[6:]
    tokens = sqlglot.tokenize(rest, read="athena")
    if not tokens or tokens[0].token_type != TokenType.L_PAREN:
        raise QueryFailed("UNLOAD must be followed by (query)")
    close = _closing(tokens, 0)
    query = rest[tokens[0].end + 1 : tokens[close].start]
    after = tokens[close + 1 :]
    if len(after) < 2 or after[0].text.upper() != "TO" or after[1].token_type != TokenType.STRING:
        raise QueryFailed("UNLOAD needs TO 's3://bucket/prefix/'")
    options: dict[str, str] = {}
    with_ = after[2:]
    if with_:
        if with_[0].token_type != TokenType.WITH or with_[1].token_type != TokenType.L_PAREN:
            raise QueryFailed("UNLOAD options must be WITH (name = value, ...)")
        options = _options(rest, with_[1:])
    return Unload(query=query.strip(), target=after[1].text, options=options)


def s3_filesystem(endpoint_url: str, region: str = "eu-west-1") -> pafs.S3FileSystem:
    """pyarrow's S3FileSystem on moto at `endpoint_url`, with moto's fake credentials."""
    url = urlparse(endpoint_url)
    return pafs.S3FileSystem(
        endpoint_override=url.netloc,
        scheme=url.scheme or "http",
        access_key="testing",
        secret_key="testing",
        region=region,
    )


@dataclass
class LocalAthena:
    """Executes UNLOAD statements over the tables `glue` catalogues, reading and writing S3
    through `filesystem`. With an `athena` client, a named work group's
    BytesScannedCutoffPerQuery is enforced. `scans` keeps the last query's signal scans by table.
    """

    glue: Any
    filesystem: pafs.FileSystem
    athena: Any = None
    database: str | None = None
    scans: dict[str, SignalScan] = field(default_factory=dict)

    @classmethod
    def for_stack(cls, stack: LocalStack) -> LocalAthena:
        """A LocalAthena over a running LocalStack's Glue, Athena and S3."""
        return cls(
            glue=stack.client("glue"),
            filesystem=s3_filesystem(stack.endpoint_url, stack.region),
            athena=stack.client("athena"),
            database=stack.ref("GlueDatabase") if "GlueDatabase" in stack.created else None,
        )

    def execute(self, statement: str, *, database: str | None = None, work_group: str | None = None) -> dict[str, Any]:
        """Run one UNLOAD; a GetQueryExecution response for it, or QueryFailed."""
        started = datetime.now(UTC)
        clock = time.perf_counter()
        database = database or self.database
        if database is None:
            raise QueryFailed("no database: pass one or set QueryExecutionContext")
        unload = parse_unload(statement)
        if "partitioned_by" in unload.options:
            raise QueryFailed("UNLOAD output must not be partitioned: Athena allows at most 100 partitions")
        if unload.options.get("format", "").upper() != "PARQUET":
            raise QueryFailed("the local Athena writes format = 'PARQUET' only")
        target = _s3_path(unload.target)
        if self._has_objects(target):
            raise QueryFailed(f"HIVE_PATH_ALREADY_EXISTS: {unload.target} is not empty")

        tables, scanned = self._read_tables(_referenced_tables(unload.query), database)
        self._check_cutoff(work_group, scanned)
        try:
            rows = DuckDbQueryEngine(sql=unload.query).match(tables)
        except Exception as exc:  # DuckDB's own errors, reported as Athena reports a failed query
            raise QueryFailed(f"query failed: {exc}") from exc
        compression = _COMPRESSION.get(unload.options.get("compression", "GZIP").upper(), "gzip")
        pq.write_table(
            rows,
            f"{target.rstrip('/')}/part-0.parquet",
            filesystem=self.filesystem,
            compression=compression,
        )
        elapsed = int((time.perf_counter() - clock) * 1000)
        return {
            "QueryExecution": {
                "QueryExecutionId": str(uuid.uuid4()),
                "Query": statement,
                "StatementType": "DML",
                "ResultConfiguration": {"OutputLocation": unload.target},
                "QueryExecutionContext": {"Database": database},
                "Status": {
                    "State": "SUCCEEDED",
                    "SubmissionDateTime": started.isoformat(),
                    "CompletionDateTime": datetime.now(UTC).isoformat(),
                },
                "Statistics": {
                    "DataScannedInBytes": scanned,
                    "EngineExecutionTimeInMillis": elapsed,
                    "TotalExecutionTimeInMillis": elapsed,
                },
                "WorkGroup": work_group or "primary",
            }
        }

    # ------------------------------------------------------------------ reading the catalog

    def _read_tables(self, names: list[tuple[str, str]], database: str) -> tuple[dict[str, pa.Table], int]:
        """Each named table's rows, parameter tables first (their `run` bounds the signals)."""
        described = {name: self._table(db or database, name) for db, name in names}
        plain = {name: t for name, t in described.items() if not t.get("PartitionKeys")}
        partitioned = {name: t for name, t in described.items() if t.get("PartitionKeys")}
        tables: dict[str, pa.Table] = {}
        scanned = 0
        for name, table in plain.items():
            tables[name], size = self._read_location(table)
            scanned += size
        self.scans = {}
        for name, table in partitioned.items():
            scan = self._scan_partitioned(table, tables.get(WINDOW_TABLE))
            self.scans[name] = scan
            tables[name] = scan.read()
            scanned += scan.bytes_to_read
        return tables, scanned

    def _table(self, database: str, name: str) -> dict[str, Any]:
        try:
            return self.glue.get_table(DatabaseName=database, Name=name)["Table"]
        except self.glue.exceptions.EntityNotFoundException as exc:
            raise QueryFailed(f"TABLE_NOT_FOUND: {database}.{name}") from exc

    def _read_location(self, table: Mapping[str, Any]) -> tuple[pa.Table, int]:
        schema = glue_schema(table["StorageDescriptor"]["Columns"])
        root = _s3_path(table["StorageDescriptor"]["Location"]).rstrip("/")
        selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
        files = [
            info
            for info in self.filesystem.get_file_info(selector)
            if info.type == pafs.FileType.File and not info.base_name.startswith(("_", "."))
        ]
        if not files:
            return schema.empty_table(), 0
        dataset = ds.dataset([info.path for info in files], schema=schema, format="parquet", filesystem=self.filesystem)
        return dataset.to_table(), sum(info.size or 0 for info in files)

    def _scan_partitioned(self, table: Mapping[str, Any], window: pa.Table | None) -> SignalScan:
        keys = [key["Name"] for key in table["PartitionKeys"]]
        if keys != [PARTITION]:
            raise QueryFailed(f"the local Athena reads tables partitioned by {PARTITION} only, not {keys}")
        if window is None or window.num_rows != 1:
            raise QueryFailed(f"reading {table['Name']} needs the one-row {WINDOW_TABLE} table in the query")
        parameters = table.get("Parameters", {})
        template = parameters.get("storage.location.template")
        marker = f"{PARTITION}=${{{PARTITION}}}"
        root = (
            template.split(marker)[0] if template and marker in template else (table["StorageDescriptor"]["Location"])
        )
        row = window.to_pylist()[0]
        return scan_signals(_s3_path(root).rstrip("/"), row["levering_vanaf"], row["as_of"], filesystem=self.filesystem)

    def _check_cutoff(self, work_group: str | None, scanned: int) -> None:
        if work_group is None or self.athena is None:
            return
        configuration = self.athena.get_work_group(WorkGroup=work_group)["WorkGroup"]["Configuration"]
        cutoff = configuration.get("BytesScannedCutoffPerQuery")
        if cutoff is not None and scanned > cutoff:
            raise QueryFailed(f"Query exhausted the work group's scan limit of {cutoff} bytes")

    def _has_objects(self, path: str) -> bool:
        selector = pafs.FileSelector(path.rstrip("/"), recursive=True, allow_not_found=True)
        return any(info.type == pafs.FileType.File for info in self.filesystem.get_file_info(selector))


def glue_schema(columns: list[Mapping[str, str]]) -> pa.Schema:
    """An Arrow schema for Glue columns; raises QueryFailed for a type outside GLUE_TYPES."""
    try:
        return pa.schema([(c["Name"], GLUE_TYPES[c["Type"].lower()]) for c in columns])
    except KeyError as exc:
        raise QueryFailed(f"unsupported Glue column type {exc}") from exc


def _referenced_tables(query: str) -> list[tuple[str, str]]:
    """(database or "", table) for each table the query reads, CTE names left out."""
    try:
        tree = sqlglot.parse_one(query, read="athena")
    except sqlglot.errors.ParseError as exc:
        raise QueryFailed(f"SYNTAX_ERROR: {exc}") from exc
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found = {(table.db, table.name) for table in tree.find_all(exp.Table) if table.db or table.name not in ctes}
    return sorted(found)


def _closing(tokens: list[Any], open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(tokens)):
        kind = tokens[index].token_type
        if kind == TokenType.L_PAREN:
            depth += 1
        elif kind == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return index
    raise QueryFailed("unbalanced parentheses in UNLOAD")


def _options(text: str, tokens: list[Any]) -> dict[str, str]:
    """`(name = value, …)` from the opening parenthesis; values are strings or ARRAY[…]."""
    close = _closing(tokens, 0)
    options: dict[str, str] = {}
    index = 1
    while index < close:
        name, equals = tokens[index], tokens[index + 1]
        if equals.token_type != TokenType.EQ:
            raise QueryFailed(f"UNLOAD option {name.text!r} needs = value")
        end = index + 2
        depth = 0
        while end < close and not (tokens[end].token_type == TokenType.COMMA and depth == 0):
            depth += tokens[end].token_type in (TokenType.L_BRACKET, TokenType.L_PAREN)
            depth -= tokens[end].token_type in (TokenType.R_BRACKET, TokenType.R_PAREN)
            end += 1
        value = tokens[index + 2 : end]
        if not value:
            raise QueryFailed(f"UNLOAD option {name.text!r} has no value")
        options[name.text.lower()] = (
            value[0].text
            if len(value) == 1 and value[0].token_type == TokenType.STRING
            else text[value[0].start : value[-1].end + 1]
        )
        index = end + 1
    return options


def _s3_path(uri: str) -> str:
    """`s3://bucket/key` as pyarrow's S3FileSystem names it: `bucket/key`."""
    if not uri.startswith("s3://"):
        raise QueryFailed(f"not an S3 location: {uri}")
    return uri[len("s3://") :]
