"""Which klantnummers a delivery already had in its earlier batches (delivery-format.md: unique
within the file), in memory that does not depend on their length: two 64-bit hashes a value.

Two different klantnummers are taken for one only when both hashes collide: a chance of about
10**-26 in a file of 2,000,000 rows. The values themselves are not kept.

A fixed bit filter (16 MiB) answers "certainly new" for almost every value, so only the few it
cannot rule out (about 1.5% at 2,000,000 values, and the true repeats) are searched for in the
sorted runs: that search was a tenth of the whole ingest's time.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

_LONGEST = 256  # bytes of a valid klantnummer: 64 characters of at most 4 bytes
_SEEDS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))
FILTER_BITS = 1 << 27


class SeenKlantnummers:
    """The (trimmed) klantnummers of the batches seen so far, as sorted runs of hash pairs."""

    def __init__(self, filter_bits: int = FILTER_BITS) -> None:
        if filter_bits < 8 or filter_bits & (filter_bits - 1):
            raise ValueError("filter_bits must be a power of two, at least 8")
        self._runs: list[tuple[NDArray[np.uint64], NDArray[np.uint64]]] = []
        # Bit `top bits of the first hash` set when seen: values sorted by that hash then visit
        # the filter from start to end, as the cache likes, however large it is.
        self._filter = np.zeros(filter_bits // 8, dtype=np.uint8)
        self._slot_shift = np.uint64(64 - (filter_bits.bit_length() - 1))

    def __len__(self) -> int:
        return sum(len(first) for first, _ in self._runs)

    def earlier(self, text: pa.StringArray) -> pa.BooleanArray:
        """Per value, whether an earlier batch had it; then remembers this batch's values.

        Empty values and values longer than a valid klantnummer are never flagged (they are
        rejected for what they are)."""
        lengths = pc.binary_length(text)
        candidate = pc.and_(pc.greater(lengths, 0), pc.less_equal(lengths, _LONGEST))
        where = np.flatnonzero(candidate.to_numpy(zero_copy_only=False))
        first, second = _hashes(text.filter(candidate))
        order = np.argsort(first)
        first, second = first[order], second[order]
        slot = first >> self._slot_shift
        byte, bit = (slot >> np.uint64(3)).astype(np.intp), (np.uint8(1) << (slot & np.uint64(7)).astype(np.uint8))
        maybe = np.flatnonzero(self._filter[byte] & bit)
        found = np.zeros(len(first), dtype=bool)
        # Sorted needles (as `first` is): searchsorted then walks each run once instead of jumping about.
        for run_first, run_second in reversed(self._runs):  # a repeat is most often of a recent batch
            if not len(maybe):
                break
            needles, partners = first[maybe], second[maybe]
            at = np.minimum(np.searchsorted(run_first, needles), len(run_first) - 1)
            hit = (run_first[at] == needles) & (run_second[at] == partners)
            found[maybe[hit]] = True
            maybe = maybe[~hit]
        flags = np.zeros(len(text), dtype=bool)
        flags[where[order]] = found
        self._set(byte, bit)
        self._remember(first, second)
        return pa.array(flags)

    def _set(self, byte: NDArray[np.intp], bit: NDArray[np.uint8]) -> None:
        """Sets the bits; where two of them share a byte, one write wins, so those are set again
        (a handful a batch): cheaper than `np.bitwise_or.at`."""
        while len(byte):
            self._filter[byte] |= bit
            missed = (self._filter[byte] & bit) == 0
            byte, bit = byte[missed], bit[missed]

    def _remember(self, first: NDArray[np.uint64], second: NDArray[np.uint64]) -> None:
        """Add a batch's sorted hash pairs as a run of their own. Runs are not merged: the filter
        leaves few values to look up, and a delivery has at most a few dozen batches."""
        if len(first):
            self._runs.append(_unique(first, second))


def _unique(first: NDArray[np.uint64], second: NDArray[np.uint64]) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Pairs sorted by their first hash without repeats (two pairs with one first hash and
    different second ones would take two 64-bit collisions at once)."""
    keep = np.ones(len(first), dtype=bool)
    keep[1:] = (first[1:] != first[:-1]) | (second[1:] != second[:-1])
    return first[keep], second[keep]


def _hashes(text: pa.StringArray) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """Two 64-bit hashes of each value's bytes, folded eight bytes at a time through a bijective
    mixer (SplitMix64's), seeded differently. The eight-byte words are read straight from the
    values' buffer at any byte offset (a strided view), the bytes past a value's end masked off."""
    n = len(text)
    if n == 0:
        return np.zeros(0, np.uint64), np.zeros(0, np.uint64)
    text = pa.concat_arrays([text]) if text.offset else text
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int32, count=n + 1).astype(np.int64)
    data = text.buffers()[2]
    padded = np.zeros(offsets[-1] + 8, dtype=np.uint8)
    if data is not None:
        padded[: offsets[-1]] = np.frombuffer(data, dtype=np.uint8, count=offsets[-1])
    words = np.lib.stride_tricks.as_strided(padded.view(np.uint8), shape=(len(padded) - 7, 8), strides=(1, 1))
    starts, lengths = offsets[:-1], np.diff(offsets)
    hashes = [_mix(lengths.astype(np.uint64) ^ seed) for seed in _SEEDS]
    for k in range(0, int(lengths.max()), 8):
        at = np.minimum(starts + k, len(words) - 1)  # a value shorter than k has its word masked off
        word = words[at].copy().view("<u8")[:, 0] & _KEEP[np.clip(lengths - k, 0, 8)]
        # Only values that reach this word are mixed again: a value's hash may not depend on the
        # longest value beside it in its batch.
        within = lengths > k
        hashes = [np.where(within, _mix(state ^ word), state) for state in hashes]
    return hashes[0], hashes[1]


_KEEP = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)  # the low n bytes of a word


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    mixed: NDArray[np.uint64] = x ^ (x >> np.uint64(31))
    return mixed
