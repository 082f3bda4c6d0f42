"""S3 objects in general: whether an error means "no such object", and listing and deleting the
objects under a prefix, for the adapters that own a key scheme."""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

# A GET or HEAD of an object that is not there (HEAD answers a bare 404).
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


def is_missing(error: ClientError) -> bool:
    """Whether S3 answered `error` because the object (or key) does not exist."""
    return error.response.get("Error", {}).get("Code") in _MISSING


def keys(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def delete_prefix(s3, bucket: str, prefix: str) -> int:
    found = keys(s3, bucket, prefix)
    delete_keys(s3, bucket, found)
    return len(found)


def delete_keys(s3, bucket: str, keys: Sequence[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if response.get("Errors"):
            error = response["Errors"][0]
            raise RuntimeError(f"could not delete s3://{bucket}/{error['Key']}: {error.get('Code')}")
