"""The address reference in the lake: the operator imports it, ingest reads it.

    lake bucket   reference/adressen.parquet   domain.reference.SCHEMA, zstd, sorted by postcode
                                               then huisnummer

A warm Lambda keeps the parsed table (S3ReferenceSource) and reads it again only when its ETag
changes.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

from chalicelib.adapters.aws.objects import is_missing
from chalicelib.domain.reference import AddressReferenceError, parse_reference_csv

REFERENCE_KEY = "reference/adressen.parquet"


def import_reference(data: bytes, s3_client: Any, bucket: str) -> int:
    """Validate the reference CSV `data` and store it as `s3://bucket/reference/adressen.parquet`.

    Returns the number of rows. Raises AddressReferenceError, writing nothing, when `data` is
    invalid. The Parquet is zstd-compressed and sorted by postcode, then huisnummer.
    """
    reference = parse_reference_csv(data)
    buffer = io.BytesIO()
    pq.write_table(reference, buffer, compression="zstd")
    s3_client.put_object(Bucket=bucket, Key=REFERENCE_KEY, Body=buffer.getvalue())
    return reference.num_rows


def load_reference(s3_client: Any, bucket: str, *, may_list: bool = True) -> pa.Table:
    """The stored reference; AddressReferenceError `missing_reference`, naming the object, when
    none was imported. `may_list`: whether the role has s3:ListBucket on `bucket`
    (objects.is_missing)."""
    try:
        body = s3_client.get_object(Bucket=bucket, Key=REFERENCE_KEY)["Body"].read()
    except ClientError as exc:
        if is_missing(exc, may_list=may_list):
            raise missing_reference(bucket) from None
        raise
    return pq.read_table(io.BytesIO(body))


def missing_reference(bucket: str) -> AddressReferenceError:
    """The error for a lake without a reference: it names the object and how to import it."""
    return AddressReferenceError(
        "missing_reference",
        f"er is nog geen adresbestand ingelezen: s3://{bucket}/{REFERENCE_KEY} ontbreekt "
        "(lees het in met `vindplaats reference import ADRESSEN.csv`)",
    )


class S3ReferenceSource:
    """The reference for ingest and publish. Until one is imported, `reference()` raises
    AddressReferenceError `missing_reference` (naming the object): an address looked up in no
    reference would land without gemeente and never match. `may_list`: whether the function's
    role has s3:ListBucket on the lake (ingest has not: to it a missing reference is a HEAD's
    bare 403)."""

    def __init__(self, s3, bucket: str, *, may_list: bool = True) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._may_list = may_list
        self._etag: str | None = None
        self._cached: pa.Table | None = None

    def reference(self) -> pa.Table:
        try:
            etag = self._s3.head_object(Bucket=self._bucket, Key=REFERENCE_KEY)["ETag"]
        except ClientError as exc:
            if is_missing(exc, may_list=self._may_list):
                self._etag, self._cached = None, None
                raise missing_reference(self._bucket) from None
            raise
        if etag != self._etag or self._cached is None:
            self._cached = load_reference(self._s3, self._bucket, may_list=self._may_list)
            self._etag = etag
        return self._cached
