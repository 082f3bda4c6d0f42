"""Publish a matching run (product.md, flow step 4): only matched households are re-identified,
each gemeente gets its own cases, and the run becomes visible in one step or not at all.

Order: begin → read matches → decrypt the matched deliveries' vault objects, keeping only the
matched regels → write cases and contacts per gemeente → write the match history → flip
visibility (one DynamoDB transaction) → trim the vault. Everything before the flip is keyed by
the run, so a crash leaves the previous run visible and a rerun with the same id converges;
trimming after the flip only ever removes what this run did not match, so it is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.cases import Case, Person, build_bsns, build_cases, build_contacts
from chalicelib.domain.matching import VORIGE_MATCHES_SCHEMA
from chalicelib.ports import (
    CaseStore,
    LeveringKey,
    ReferenceSource,
    RegistrySource,
    RunLake,
    RunRegistry,
    Vault,
    VaultIndex,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishDeps:
    lake: RunLake
    vault: Vault
    vault_index: VaultIndex
    store: CaseStore
    runs: RunRegistry
    registry: RegistrySource
    reference: ReferenceSource


class GemeenteCounts(BaseModel):
    model_config = ConfigDict(frozen=True)

    cases: int = 0
    nieuw: int = 0
    herhaald: int = 0
    crisis: int = 0


class PublishedRun(BaseModel):
    """What a publication did, in counts only (a Step Functions state passes it to notify).
    `missing_records` counts matched signals whose vault record was gone (an earlier run trimmed
    or deleted it): their cases lack klantnummer and contact data from that supplier."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    as_of: date
    gemeenten: dict[str, GemeenteCounts] = Field(default_factory=dict)
    vault_trimmed: int = 0
    vault_deleted: int = 0
    missing_records: int = 0

    @property
    def cases(self) -> int:
        return sum(counts.cases for counts in self.gemeenten.values())


def publish_run(
    run_id: str, as_of: date, deps: PublishDeps, deliveries_to_trim: Collection[LeveringKey] = ()
) -> PublishedRun:
    """Publish run `run_id` (its matches at runs/<run_id>/matches/) and make it the latest.

    `deliveries_to_trim` are the deliveries no later run can read (superseded, or out of every
    later window): their vault objects are cut down to this run's matched regels afterwards, or
    deleted when none of their rows matched. A delivery a later run may still read keeps its
    vault object whole, so that run can re-identify what it matches.
    Every gemeente in the registry is counted, with 0 when it has no cases.
    """
    deps.runs.begin(run_id, as_of)
    matches = deps.lake.read_matches(run_id)
    present = deps.vault_index.present()
    matched = _matched_regels(matches)
    records, stored_rows = _matched_records(deps.vault, matched, present)

    registry = deps.registry.registry()
    cases = build_cases(matches, records, registry, deps.reference.reference(), run_id, as_of)
    contacts, bsns = build_contacts(matches, records, run_id), build_bsns(matches, records, run_id)
    per_gemeente = _write_cases(run_id, cases, contacts, bsns, deps.store)
    deps.lake.write_match_history(run_id, _history(matches, as_of))
    counts = {g.code: GemeenteCounts() for g in registry.gemeenten} | {
        gemeente: _counts(its) for gemeente, its in per_gemeente.items()
    }
    deps.runs.publish(run_id, {gemeente: c.cases for gemeente, c in counts.items()})

    trimmed = deleted = 0
    for delivery in sorted(set(deliveries_to_trim) & present):
        kept = records.get(delivery)
        if kept is None or kept.num_rows == 0:
            deps.vault.delete(*delivery)
            deleted += 1
        elif kept.num_rows < stored_rows[delivery]:
            deps.vault.put(*delivery, kept)
            trimmed += 1

    published = PublishedRun(
        run_id=run_id,
        as_of=as_of,
        gemeenten=counts,
        vault_trimmed=trimmed,
        vault_deleted=deleted,
        missing_records=len(matches) - sum(table.num_rows for table in records.values()),
    )
    logger.info(
        "run published",
        extra={
            "run": run_id,
            "as_of": as_of.isoformat(),
            "cases": published.cases,
            "gemeenten": len(per_gemeente),
            "vault_trimmed": trimmed,
            "vault_deleted": deleted,
            "missing_records": published.missing_records,
        },
    )
    return published


def _matched_records(
    vault: Vault, matched: Mapping[LeveringKey, pa.Array], present: Collection[LeveringKey]
) -> tuple[dict[LeveringKey, pa.Table], dict[LeveringKey, int]]:
    """Decrypt each matched delivery's vault object once, keeping only its matched regels; also
    how many records each object held. Deliveries without a vault object are skipped."""
    records: dict[LeveringKey, pa.Table] = {}
    stored_rows: dict[LeveringKey, int] = {}
    for delivery, regels in matched.items():
        if delivery in present:
            whole = vault.get(*delivery)
            stored_rows[delivery] = whole.num_rows
            records[delivery] = whole.filter(pc.is_in(whole["regel"], value_set=regels))
    return records, stored_rows


def _write_cases(
    run_id: str,
    cases: Sequence[Case],
    contacts: Mapping[str, Sequence[Person]],
    bsns: Mapping[str, Mapping[int, str]],
    store: CaseStore,
) -> dict[str, list[Case]]:
    """One cases, one contacts and (when any) one BSN object per gemeente with cases; objects of
    this run for other gemeenten (left by an earlier attempt) are removed."""
    per_gemeente: dict[str, list[Case]] = {}
    for case in cases:
        per_gemeente.setdefault(case.gemeente, []).append(case)
    for gemeente, its in per_gemeente.items():
        store.write(
            run_id,
            gemeente,
            its,
            {case.id: contacts[case.id] for case in its if case.id in contacts},
            bsns={case.id: bsns[case.id] for case in its if case.id in bsns},
        )
    for stale in set(store.gemeenten(run_id)) - set(per_gemeente):
        store.delete(run_id, stale)
    return per_gemeente


def _matched_regels(matches: pa.Table) -> dict[LeveringKey, pa.Array]:
    if matches.num_rows == 0:
        return {}
    groups = matches.group_by(["leverancier", "levering"]).aggregate([("regel", "distinct")])
    return {
        (leverancier, levering): regels
        for leverancier, levering, regels in zip(
            groups["leverancier"].to_pylist(),
            groups["levering"].to_pylist(),
            _lists(groups["regel_distinct"]),
            strict=True,
        )
    }


def _lists(column: pa.ChunkedArray) -> list[pa.Array]:
    return [column[i].values for i in range(len(column))]


def _history(matches: pa.Table, as_of: date) -> pa.Table:
    households = matches.group_by(["huishouden", "gemeente"]).aggregate([])
    n = households.num_rows
    return pa.table(
        {
            "huishouden": households["huishouden"],
            "gemeente": households["gemeente"],
            "as_of": pa.array([as_of] * n, pa.date32()),
        },
        schema=VORIGE_MATCHES_SCHEMA,
    )


def _counts(cases: Sequence[Case]) -> GemeenteCounts:
    herhaald = sum(case.herhaald for case in cases)
    return GemeenteCounts(
        cases=len(cases),
        nieuw=len(cases) - herhaald,
        herhaald=herhaald,
        crisis=sum(case.crisis for case in cases),
    )
