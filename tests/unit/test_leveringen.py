"""Which delivery of a supplier the next run reads (domain.leveringen), held to match.sql itself on
DuckDB; the month of a levering id; and when an unpublished run counts as stopped."""

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.local.duckdb_engine import DuckDbQueryEngine
from chalicelib.domain.beheer import NOT_PUBLISHED, run_failure
from chalicelib.domain.cases import RunInfo, RunStatus
from chalicelib.domain.leveringen import maand_prefix, newest_first, next_run_as_of, read_by_run
from chalicelib.domain.registry import parse_registry_toml
from chalicelib.domain.report import ReportSummary, Status
from chalicelib.domain.signals import SIGNAL_SCHEMA
from chalicelib.domain.upload import new_levering_id
from tests.match_reference import run_matching

AS_OF = date(2026, 12, 1)
# One gemeente that needs two suppliers: vitens always has a signal for the household, so the
# household is a case exactly when the run reads one of vivare's deliveries, and the case names it.
REGISTRY = parse_registry_toml(
    """
[[gemeente]]
code = "GM0202"
naam = "Arnhem"
min_leveranciers = 2
max_dagen = 3650

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

[[convenant]]
gemeente = "GM0202"
leverancier = "vitens"
vanaf = "2026-01-01"
"""
)
HUISHOUDEN = "c" * 32


def summary(levering: str, status: Status, peildatum: date | None) -> ReportSummary:
    return ReportSummary(
        leverancier="vivare",
        levering=levering,
        bestand="levering.csv",
        status=status,
        peildatum=None if peildatum is None else peildatum.isoformat(),
    )


def signal(leverancier: str, levering: str, peildatum: date, uploaded: datetime) -> dict:
    return {
        "huishouden": HUISHOUDEN,
        "levering": levering,
        "regel": 2,
        "leverancier": leverancier,
        "gemeente": "GM0202",
        "wijk": "WK020201",
        "buurt": "BU02020101",
        "signaaltype": {"vivare": "Huur", "vitens": "Water"}[leverancier],
        "bedrag_cent": 10_000,
        "achterstand_sinds": peildatum - timedelta(days=10),
        "peildatum": peildatum,
        "crisis": False,
        "geupload_op": uploaded,
    }


deliveries = st.lists(
    st.tuples(
        st.sampled_from([Status.ACCEPTED, Status.ACCEPTED_WITH_ERRORS, Status.REJECTED]),
        st.integers(-60, 10),  # peildatum: days after AS_OF
        st.integers(0, 5),  # minutes after the previous upload
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(deliveries=deliveries)
def test_the_delivery_marked_is_the_one_match_sql_reads(deliveries):
    uploaded = datetime(2026, 11, 1, 8, tzinfo=UTC)
    summaries, rows = [], [signal("vitens", "w-1", AS_OF - timedelta(days=1), uploaded)]
    for status, days, minutes in deliveries:
        uploaded += timedelta(minutes=minutes, microseconds=1)
        levering = new_levering_id(uploaded)
        peildatum = AS_OF + timedelta(days=days)
        summaries.append(summary(levering, status, None if status is Status.REJECTED else peildatum))
        if status is not Status.REJECTED:  # a rejected delivery leaves no signals in the lake
            rows.append(signal("vivare", levering, peildatum, uploaded))
    cases = run_matching(
        REGISTRY, AS_OF, pa.Table.from_pylist(rows, schema=SIGNAL_SCHEMA), None, DuckDbQueryEngine(threads=1)
    )
    read = {row["levering"] for row in cases.to_pylist() if row["leverancier"] == "vivare"}
    assert read == ({read_by_run(summaries, AS_OF)} - {None})


def test_a_delivery_counts_from_45_days_before_the_run_up_to_its_day():
    inside = [summary("a", Status.ACCEPTED, AS_OF - timedelta(days=45)), summary("b", Status.ACCEPTED, AS_OF)]
    assert read_by_run(inside, AS_OF) == "b"
    assert read_by_run(inside[:1], AS_OF) == "a"
    outside = [
        summary("c", Status.ACCEPTED, AS_OF - timedelta(days=46)),
        summary("d", Status.ACCEPTED, AS_OF + timedelta(days=1)),
    ]
    assert read_by_run(outside, AS_OF) is None


def test_the_later_peildatum_wins_over_the_later_upload_and_a_rejection_never_counts():
    found = [
        summary("20261120T000000000000-aa", Status.ACCEPTED_WITH_ERRORS, date(2026, 11, 20)),
        summary("20261125T000000000000-bb", Status.ACCEPTED, date(2026, 11, 10)),
        summary("20261126T000000000000-cc", Status.REJECTED, None),
    ]
    assert read_by_run(found, AS_OF) == "20261120T000000000000-aa"


def test_the_next_run_is_on_the_first_of_the_next_month():
    assert next_run_as_of(date(2026, 11, 30)) == date(2026, 12, 1)
    assert next_run_as_of(date(2026, 12, 1)) == date(2027, 1, 1)
    assert next_run_as_of(date(2026, 12, 31)) == date(2027, 1, 1)


def test_ids_the_platform_made_are_listed_newest_first_with_their_day_and_others_left_out():
    old, new = new_levering_id(datetime(2026, 10, 31, 23, 59)), new_levering_id(datetime(2026, 11, 1))
    assert newest_first([old, "lv0001-vivare", new]) == [(new, date(2026, 11, 1)), (old, date(2026, 10, 31))]
    assert new.startswith(maand_prefix("2026-11")) and not old.startswith(maand_prefix("2026-11"))


def test_a_run_still_publishing_a_day_after_it_began_has_stopped():
    begun = datetime(2026, 11, 1, 6, tzinfo=UTC)
    run = RunInfo(run_id="r", as_of=date(2026, 11, 1), status=RunStatus.PUBLISHING, begun_at=begun)
    assert run_failure(run, begun + timedelta(hours=23)) is None
    assert run_failure(run, begun + timedelta(days=1, seconds=1)) == NOT_PUBLISHED
    published = run.model_copy(update={"status": RunStatus.PUBLISHED, "published_at": begun})
    assert run_failure(published, begun + timedelta(days=30)) is None
