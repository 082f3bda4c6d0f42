"""The monthly matching rule's inputs and output as Arrow tables (matching.md, "Rule").

The rule itself is one query, `chalicelib/sql/match.sql`, written in the SQL that Athena (Trino)
and DuckDB agree on. Everything it needs arrives as data, never as text spliced into the SQL:
`parameter_tables` turns a Registry and an as-of date into small tables, doing all date
arithmetic here so the query needs nothing beyond comparisons and `date_diff('day', a, b)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib.resources import files

import pyarrow as pa

from chalicelib.domain.leveringen import LEVERING_DAGEN, levering_vanaf
from chalicelib.domain.registry import Registry
from chalicelib.domain.signals import SIGNAL_SCHEMA

HERHAALD_DAGEN = 183  # herhaald: matched in a run with as-of in (D − 183, D)

RUN_SCHEMA = pa.schema(
    [
        pa.field("as_of", pa.date32(), nullable=False),
        pa.field("levering_vanaf", pa.date32(), nullable=False),
        pa.field("herhaald_vanaf", pa.date32(), nullable=False),
    ]
)
GEMEENTE_REGELS_SCHEMA = pa.schema(
    [
        pa.field("gemeente", pa.string(), nullable=False),
        pa.field("min_leveranciers", pa.int64(), nullable=False),
        pa.field("min_dagen", pa.int64(), nullable=False),
        pa.field("max_dagen", pa.int64(), nullable=False),
        pa.field("min_bedrag_cent", pa.int64(), nullable=False),
        pa.field("alle_signaaltypen", pa.bool_(), nullable=False),
    ]
)
GEMEENTE_SIGNAALTYPEN_SCHEMA = pa.schema(
    [
        pa.field("gemeente", pa.string(), nullable=False),
        pa.field("signaaltype", pa.string(), nullable=False),
    ]
)
GEMEENTE_VENSTERS_SCHEMA = pa.schema(
    [
        pa.field("gemeente", pa.string(), nullable=False),
        pa.field("signaaltype", pa.string(), nullable=False),
        pa.field("min_dagen", pa.int64(), nullable=False),
        pa.field("max_dagen", pa.int64(), nullable=False),
    ]
)
CONVENANTEN_SCHEMA = pa.schema(
    [
        pa.field("gemeente", pa.string(), nullable=False),
        pa.field("leverancier", pa.string(), nullable=False),
        pa.field("vanaf", pa.date32(), nullable=False),
        pa.field("tot", pa.date32()),
    ]
)
VORIGE_MATCHES_SCHEMA = pa.schema(
    [
        pa.field("huishouden", pa.string(), nullable=False),
        pa.field("gemeente", pa.string(), nullable=False),
        pa.field("as_of", pa.date32(), nullable=False),
    ]
)

# One row per eligible signal of a matched household. Case-level columns repeat on each of the
# case's rows; `case_rank` numbers the cases within their gemeente in matching.md's order.
MATCH_SCHEMA = pa.schema(
    [
        ("gemeente", pa.string()),
        ("huishouden", pa.string()),
        ("wijk", pa.string()),
        ("buurt", pa.string()),
        ("leverancier", pa.string()),
        ("levering", pa.string()),
        ("regel", pa.int32()),
        ("signaaltype", pa.string()),
        ("bedrag_cent", pa.int64()),
        ("achterstand_sinds", pa.date32()),
        ("peildatum", pa.date32()),
        ("crisis", pa.bool_()),
        ("aantal_leveranciers", pa.int64()),
        ("totaal_bedrag_cent", pa.int64()),
        ("oudste_achterstand", pa.date32()),
        ("herhaald", pa.bool_()),
        ("case_crisis", pa.bool_()),
        ("case_rank", pa.int64()),
    ]
)

# The relations match.sql reads, by name.
TABLE_SCHEMAS: dict[str, pa.Schema] = {
    "run": RUN_SCHEMA,
    "gemeente_regels": GEMEENTE_REGELS_SCHEMA,
    "gemeente_signaaltypen": GEMEENTE_SIGNAALTYPEN_SCHEMA,
    "gemeente_vensters": GEMEENTE_VENSTERS_SCHEMA,
    "convenanten": CONVENANTEN_SCHEMA,
    "vorige_matches": VORIGE_MATCHES_SCHEMA,
    "signals": SIGNAL_SCHEMA,
}


@lru_cache(maxsize=1)
def match_sql() -> str:
    """The text of `chalicelib/sql/match.sql`, shipped with the package."""
    return (files("chalicelib") / "sql" / "match.sql").read_text(encoding="utf-8")


def herhaald_vanaf(as_of: date) -> date:
    """Earlier runs with as-of after this date (exclusive) and before `as_of` make a case herhaald."""
    return as_of - timedelta(days=HERHAALD_DAGEN)


def parameter_tables(registry: Registry, as_of: date) -> dict[str, pa.Table]:
    """The run's parameters as match.sql's tables: run, gemeente_regels, gemeente_signaaltypen,
    gemeente_vensters and convenanten. All convenanten are passed; the query decides which are
    active on `as_of`.
    """
    gemeenten = registry.gemeenten
    return {
        "run": pa.Table.from_pylist(
            [{"as_of": as_of, "levering_vanaf": levering_vanaf(as_of), "herhaald_vanaf": herhaald_vanaf(as_of)}],
            schema=RUN_SCHEMA,
        ),
        "gemeente_regels": pa.Table.from_pylist(
            [
                {
                    "gemeente": g.code,
                    "min_leveranciers": g.min_leveranciers,
                    "min_dagen": g.min_dagen,
                    "max_dagen": g.max_dagen,
                    "min_bedrag_cent": g.min_bedrag_centen,
                    "alle_signaaltypen": not g.signaaltypen,
                }
                for g in gemeenten
            ],
            schema=GEMEENTE_REGELS_SCHEMA,
        ),
        "gemeente_signaaltypen": pa.Table.from_pylist(
            [{"gemeente": g.code, "signaaltype": t} for g in gemeenten for t in g.signaaltypen],
            schema=GEMEENTE_SIGNAALTYPEN_SCHEMA,
        ),
        "gemeente_vensters": pa.Table.from_pylist(
            [
                {"gemeente": g.code, "signaaltype": t, "min_dagen": low, "max_dagen": high}
                for g in gemeenten
                for t, (low, high) in g.venster.items()
            ],
            schema=GEMEENTE_VENSTERS_SCHEMA,
        ),
        "convenanten": pa.Table.from_pylist(
            [
                {"gemeente": c.gemeente, "leverancier": c.leverancier, "vanaf": c.vanaf, "tot": c.tot}
                for c in registry.convenanten
            ],
            schema=CONVENANTEN_SCHEMA,
        ),
    }


@dataclass(frozen=True)
class DeliveryFile:
    """One delivery in the lake within a run's window; `latest` when the run reads it."""

    leverancier: str
    levering: str
    peildatum: date
    latest: bool


def no_later_run_reads(deliveries: Iterable[DeliveryFile], as_of: date) -> list[tuple[str, str]]:
    """Of the deliveries in the window of the run for `as_of` (objects with leverancier,
    levering, peildatum and latest), those no later run can read: superseded ones (a later run
    picks a delivery at least as new) and the ones read now whose peildatum P has P + 45 ≤ D (a
    later run's window starts after P). Their unmatched vault records may go now."""
    return [
        (d.leverancier, d.levering) for d in deliveries if not d.latest or (as_of - d.peildatum).days >= LEVERING_DAGEN
    ]
