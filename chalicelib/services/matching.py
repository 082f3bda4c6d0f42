"""Run the monthly matching rule (matching.md, "Rule") for one as-of date."""

from datetime import date

import pyarrow as pa

from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA, parameter_tables
from chalicelib.domain.registry import Registry
from chalicelib.ports import QueryEngine


def run_matching(
    registry: Registry,
    as_of: date,
    signals: pa.Table,
    previous_matches: pa.Table | None,
    engine: QueryEngine,
) -> pa.Table:
    """The run's cases as MATCH_SCHEMA rows, one per eligible signal, ordered by gemeente, case_rank
    and signal.

    `signals` holds the lake's signals (SIGNAL_SCHEMA with peildatum), at least every signal with
    peildatum in [as_of − 45 days, as_of]; `previous_matches` the (huishouden, gemeente, as_of)
    of households matched in earlier published runs, or None when there are none.
    """
    tables = parameter_tables(registry, as_of)
    tables["signals"] = signals
    tables["vorige_matches"] = (
        previous_matches if previous_matches is not None else VORIGE_MATCHES_SCHEMA.empty_table()
    )
    return engine.match(tables)
