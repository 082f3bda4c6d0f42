"""The audit event's bounds: however many ids, an event names at most a page of them with their
count and digest; the refusal limit's fixed windows."""

import hashlib
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.audit import MAX_IDS, AuditEvent, Outcome, RefusalLimit, ids_digest, named_ids

IDS = st.lists(st.text("0123456789abcdef", min_size=16, max_size=16), max_size=1000)


@given(ids=IDS)
def test_an_event_names_at_most_a_page_of_ids_with_the_count_and_digest_of_all(ids):
    fields = named_ids(ids)
    distinct = sorted(set(ids))
    if not distinct:
        assert fields == {}
    elif len(distinct) == 1:
        assert fields == {"case_id": distinct[0]}
    else:
        assert fields["case_ids"] == distinct[:MAX_IDS] and fields["count"] == len(distinct)
        assert fields["ids_sha256"] == hashlib.sha256("\n".join(distinct).encode()).hexdigest()
    event = AuditEvent(
        at=datetime(2026, 11, 3, tzinfo=UTC),
        subject="s",
        role="coordinator",
        tenant="GM0202",
        route="POST /api/cases/approach",
        outcome=Outcome.NOT_FOUND,
        **fields,
    )
    assert len(event.model_dump_json()) < 600 + 19 * MAX_IDS


def test_the_digest_ignores_order_and_repeats():
    assert ids_digest(["b", "a", "b"]) == ids_digest(["a", "b"]) != ids_digest(["a", "c"])


def test_all_ids_are_kept_when_asked():
    ids = [f"{n:016x}" for n in range(MAX_IDS * 3)]
    assert named_ids(ids, None)["case_ids"] == ids


def test_windows_are_fixed_and_adjacent():
    limit = RefusalLimit(limit=3, window_seconds=900)
    at = datetime(2026, 11, 3, 9, 14, 59, tzinfo=UTC)
    start, end = limit.window(at)
    assert (start, end) == (datetime(2026, 11, 3, 9, 0, tzinfo=UTC), datetime(2026, 11, 3, 9, 15, tzinfo=UTC))
    assert limit.window(at + timedelta(seconds=1))[0] == end
    assert [limit.allows(n) for n in range(1, 6)] == [True, True, True, False, False]
    assert [limit.first_over(n) for n in range(1, 6)] == [False, False, False, True, False]
