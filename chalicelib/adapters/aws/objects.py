"""Listing and deleting S3 objects under a prefix, for the adapters that keep a run's files."""

from __future__ import annotations

from collections.abc import Sequence

MISSING = ("404", "NoSuchKey", "NotFound")  # a GET or HEAD of an object that is not there


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
