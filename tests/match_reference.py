"""The matching rule outside the production path, for tests/unit/test_match_rule.py,
tests/unit/test_match_sql.py and benchmarks/match.py.

`reference_cases` is an independent plain-Python reading of matching.md's rule: it shares nothing
with match.sql or its parameter tables but the Registry model's fields. `run_matching` runs
match.sql on DuckDB with the rule's parameter tables, as the local Athena does; in AWS the match
step runs the same query text on Athena.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa

from chalicelib.adapters.local.duckdb_engine import DuckDbQueryEngine
from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA, parameter_tables
from chalicelib.domain.registry import Registry

Signal = tuple  # (leverancier, levering, regel, signaaltype, bedrag_cent, achterstand_sinds, peildatum, crisis)


@dataclass(frozen=True)
class Case:
    gemeente: str
    huishouden: str
    wijk: str | None
    buurt: str | None
    aantal_leveranciers: int
    totaal_bedrag_cent: int
    oudste_achterstand: date
    herhaald: bool
    crisis: bool
    signals: tuple[Signal, ...]


def reference_cases(
    registry: Registry, as_of: date, signals: Iterable[Mapping[str, Any]], previous: Iterable[Mapping[str, Any]]
) -> list[Case]:
    """matching.md "Rule" 1-4 with dicts and loops: the cases in order (gemeente, then crisis
    first, more suppliers, larger total, huishouden), each with its eligible signals sorted.

    `signals` are lake rows with peildatum; `previous` rows of (huishouden, gemeente, as_of).
    """
    signals = list(signals)
    first_peildatum = as_of - timedelta(days=45)

    uploaded: dict[tuple[str, str, date], datetime] = {}
    for s in signals:
        if first_peildatum <= s["peildatum"] <= as_of:
            delivery = (s["leverancier"], s["levering"], s["peildatum"])
            uploaded[delivery] = max(uploaded.get(delivery, s["geupload_op"]), s["geupload_op"])
    latest: dict[str, tuple[date, datetime, str]] = {}
    for (leverancier, levering, peildatum), geupload_op in uploaded.items():
        candidate = (peildatum, geupload_op, levering)
        if leverancier not in latest or candidate > latest[leverancier]:
            latest[leverancier] = candidate

    gemeenten = {g.code: g for g in registry.gemeenten}
    active = {
        (c.gemeente, c.leverancier)
        for c in registry.convenanten
        if c.vanaf <= as_of and (c.tot is None or as_of <= c.tot)
    }
    eligible: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for s in signals:
        best = latest.get(s["leverancier"])
        if best is None or (best[0], best[2]) != (s["peildatum"], s["levering"]):
            continue
        g = gemeenten.get(s["gemeente"])
        if g is None or (g.code, s["leverancier"]) not in active:
            continue
        if g.signaaltypen and s["signaaltype"] not in g.signaaltypen:
            continue
        low, high = g.venster.get(s["signaaltype"], (g.min_dagen, g.max_dagen))
        if not low <= (s["peildatum"] - s["achterstand_sinds"]).days <= high:
            continue
        if s["bedrag_cent"] < int(g.min_bedrag * 100):
            continue
        eligible[(g.code, s["huishouden"])].append(s)

    herhaald_after = as_of - timedelta(days=183)
    recent = {(p["gemeente"], p["huishouden"]) for p in previous if herhaald_after < p["as_of"] < as_of}
    cases = []
    for (code, huishouden), rows in eligible.items():
        suppliers = {r["leverancier"] for r in rows}
        if len(suppliers) < gemeenten[code].min_leveranciers:
            continue
        wijken = [r["wijk"] for r in rows if r["wijk"] is not None]
        buurten = [r["buurt"] for r in rows if r["buurt"] is not None]
        cases.append(
            Case(
                gemeente=code,
                huishouden=huishouden,
                wijk=max(wijken) if wijken else None,
                buurt=max(buurten) if buurten else None,
                aantal_leveranciers=len(suppliers),
                totaal_bedrag_cent=sum(r["bedrag_cent"] for r in rows),
                oudste_achterstand=min(r["achterstand_sinds"] for r in rows),
                herhaald=(code, huishouden) in recent,
                crisis=any(r["crisis"] for r in rows),
                signals=tuple(
                    sorted(
                        (
                            r["leverancier"],
                            r["levering"],
                            r["regel"],
                            r["signaaltype"],
                            r["bedrag_cent"],
                            r["achterstand_sinds"],
                            r["peildatum"],
                            r["crisis"],
                        )
                        for r in rows
                    )
                ),
            )
        )
    cases.sort(key=lambda c: (c.gemeente, not c.crisis, -c.aantal_leveranciers, -c.totaal_bedrag_cent, c.huishouden))
    return cases


def run_matching(
    registry: Registry,
    as_of: date,
    signals: pa.Table,
    previous_matches: pa.Table | None,
    engine: DuckDbQueryEngine,
) -> pa.Table:
    """The run's cases as MATCH_SCHEMA rows, one per eligible signal, ordered by gemeente, case_rank
    and signal.

    `signals` holds the lake's signals (SIGNAL_SCHEMA with peildatum), at least every signal with
    peildatum in [as_of − 45 days, as_of]; `previous_matches` the (huishouden, gemeente, as_of)
    of households matched in earlier published runs, or None when there are none.
    """
    tables = parameter_tables(registry, as_of)
    tables["signals"] = signals
    tables["vorige_matches"] = previous_matches if previous_matches is not None else VORIGE_MATCHES_SCHEMA.empty_table()
    return engine.match(tables)
