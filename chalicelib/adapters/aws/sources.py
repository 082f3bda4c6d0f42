"""Cached readers of the registry (DynamoDB) and the address reference (S3 Parquet).

A warm Lambda keeps both; the registry is re-read after a short time so an operator's change
reaches ingest within minutes, the reference only when its ETag changes.
"""

import time

import pyarrow as pa
from botocore.exceptions import ClientError

from chalicelib.domain.reference import SCHEMA as REFERENCE_SCHEMA
from chalicelib.domain.registry import Registry
from chalicelib.services.registry import REFERENCE_KEY, load_reference, load_registry


class DynamoRegistrySource:
    def __init__(self, table, max_age_seconds: float = 300.0, clock=time.monotonic) -> None:
        self._table = table
        self._max_age = max_age_seconds
        self._clock = clock
        self._cached: Registry | None = None
        self._read_at = 0.0

    def registry(self) -> Registry:
        now = self._clock()
        if self._cached is None or now - self._read_at > self._max_age:
            self._cached = load_registry(self._table)
            self._read_at = now
        return self._cached


class S3ReferenceSource:
    def __init__(self, s3, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._etag: str | None = None
        self._cached: pa.Table | None = None

    def reference(self) -> pa.Table:
        try:
            etag = self._s3.head_object(Bucket=self._bucket, Key=REFERENCE_KEY)["ETag"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return REFERENCE_SCHEMA.empty_table()
            raise
        if etag != self._etag or self._cached is None:
            self._cached = load_reference(self._s3, self._bucket)
            self._etag = etag
        return self._cached
