"""SeenKlantnummers against a plain set: the bit filter may only save work, never change an answer."""

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.klantnummers import SeenKlantnummers

values = st.text(alphabet="AB12é ", max_size=5)
batches = st.lists(st.lists(values, max_size=30), max_size=8)


def reference(batches: list[list[str]]) -> list[list[bool]]:
    seen: set[str] = set()
    flags = []
    for batch in batches:
        flags.append([bool(value.strip()) and value.strip() in seen for value in batch])
        seen.update(value.strip() for value in batch)
    return flags


def flagged(seen: SeenKlantnummers, batches: list[list[str]]) -> list[list[bool]]:
    # delivery.py hands over the trimmed values; the reference trims the same way
    return [seen.earlier(pa.array([value.strip() for value in batch], pa.string())).to_pylist() for batch in batches]


@settings(max_examples=300, deadline=None)
@given(batches, st.sampled_from([8, 64, 1 << 10, 1 << 27]))
def test_the_same_answers_as_a_set_whatever_the_filter_size(batches, filter_bits):
    # 8 bits: nearly every value passes the filter, so the exact lookup answers; 2**27: almost none.
    assert flagged(SeenKlantnummers(filter_bits), batches) == reference(batches)


def test_repeats_of_an_old_batch_are_found_behind_newer_ones():
    seen = SeenKlantnummers(filter_bits=8)
    old = [f"K{i}" for i in range(1000)]
    assert not any(seen.earlier(pa.array(old)).to_pylist())
    for k in range(5):
        assert not any(seen.earlier(pa.array([f"N{k}-{i}" for i in range(1000)])).to_pylist())
    again = seen.earlier(pa.array([*old[::7], "new"])).to_pylist()
    assert again == [True] * len(old[::7]) + [False]


def test_a_sliced_array_is_read_at_its_offset():
    seen = SeenKlantnummers()
    seen.earlier(pa.array(["A", "B"]))
    assert seen.earlier(pa.array(["X", "B", "A", "C"]).slice(1, 3)).to_pylist() == [True, True, False]


def test_the_filter_stays_its_size_however_many_values():
    seen = SeenKlantnummers(filter_bits=1 << 16)
    for start in range(0, 200_000, 50_000):
        seen.earlier(pa.array(np.arange(start, start + 50_000).astype(str)))
    assert seen._filter.nbytes == (1 << 16) // 8
    assert len(seen) == 200_000


@pytest.mark.parametrize("bits", [0, 7, 100])
def test_a_filter_size_must_be_a_power_of_two(bits):
    with pytest.raises(ValueError, match="power of two"):
        SeenKlantnummers(bits)


def test_a_repeat_is_found_whatever_the_longest_value_beside_it():
    # A value's hash once depended on the longest value in its batch: this repeat went unseen.
    seen = SeenKlantnummers()
    seen.earlier(pa.array(["K1"]))
    assert seen.earlier(pa.array(["K1", "a klantnummer of more than sixteen bytes"])).to_pylist() == [True, False]
