"""What a measured ingest runs on, light enough for the process it measures (no moto, no chalice):
the delivery file handed over in the upload bucket's pieces, an S3 that keeps only sizes, and the
process's own peak RSS. Used by tests/corpus/peak.py (the heavy corpus) and benchmarks/ingest.py.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from pathlib import Path

from chalicelib.adapters.aws.uploads import CHUNK_BYTES  # as the upload bucket hands ingest an object


class FileUploads:
    """An upload read from a local file, in the pieces the upload bucket hands ingest."""

    def __init__(self, path: Path) -> None:
        self._path = path

    def size(self, key: str) -> int:
        return self._path.stat().st_size

    def chunks(self, key: str) -> Iterator[bytes]:
        with self._path.open("rb") as handle:
            while chunk := handle.read(CHUNK_BYTES):
                yield chunk

    def quarantine(self, key: str, upload: object, reason: str) -> str:
        return f"quarantine/{key}"

    def delete(self, key: str) -> None:
        pass


class CountingS3:
    """put_object as S3 takes a body, in pieces; keeps only each object's size."""

    def __init__(self) -> None:
        self.sizes: dict[str, int] = {}

    def put_object(self, Bucket: str, Key: str, Body, **_: object) -> None:
        if isinstance(Body, bytes):
            self.sizes[Key] = len(Body)
            return
        size = 0
        while piece := Body.read(CHUNK_BYTES):
            size += len(piece)
        self.sizes[Key] = size


def peak_rss_mb() -> float:
    """This process image's peak RSS: Linux's VmHWM, which starts afresh at exec, whereas
    ru_maxrss keeps the high-water mark of the parent that was forked (a test with the corpus in
    memory, the benchmark that generated the file) and would measure that instead."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
