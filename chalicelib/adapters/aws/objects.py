"""S3 objects in general: whether an error means "no such object", and listing and deleting the
objects under a prefix, for the adapters that own a key scheme.

The rule for "missing" (AWS hides it from a role that may not list the bucket):

- S3 answers a GetObject or HeadObject of an absent key with 404 (NoSuchKey; a HEAD's bare 404)
  only to a caller with s3:ListBucket on the bucket. To any other caller it answers 403
  (AccessDenied; a HEAD's bare 403), the same answer as for a key it may not read.
- So an adapter is told whether the function's role may list its bucket (`may_list`). When it
  may not, a 403 on a GetObject or HeadObject of one of the adapter's own keys (under a prefix
  the role's policy grants s3:GetObject on: the template says which) means "missing".
- Every other 403 stays an error: any other operation (HeadBucket, ListObjectsV2, PutObject,
  DeleteObject, ...), and any 403 to a role that may list, to which S3 says 404 when a key is
  absent, so its 403 is a real refusal.
"""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

# A GET or HEAD of an object that is not there (HEAD answers a bare 404).
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
# What S3 answers a caller without s3:ListBucket instead (HEAD answers a bare 403).
_DENIED = frozenset({"403", "AccessDenied", "Forbidden"})
_OBJECT_READS = frozenset({"GetObject", "HeadObject"})


def is_missing(error: ClientError, *, may_list: bool = True) -> bool:
    """Whether S3 answered `error` because the object (or key) does not exist.

    `may_list` says whether the calling role has s3:ListBucket on the bucket; when it has not, a
    403 to a GetObject or HeadObject counts as missing (see the module's rule). Callers pass it
    only for keys of their own, under a prefix their role may read.
    """
    code = error.response.get("Error", {}).get("Code")
    if code in _MISSING:
        return True
    return not may_list and error.operation_name in _OBJECT_READS and code in _DENIED


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
