"""Uploaded files in the upload bucket, as ingest finds them, and quarantine for refused ones.

    upload bucket   incoming/<leverancier>/<levering>/<bestand>     as the supplier's presigned POST put it
                    quarantine/<leverancier>/<levering>/<bestand>   a refused upload, metadata `reden`

The key scheme itself is domain.upload.UploadKey's (the presigned POST and ingest share it).
Operators see what quarantine holds by listing it (names and sizes, never a file's contents).
"""

from collections.abc import Iterator

from botocore.exceptions import ClientError

from chalicelib.adapters.aws.objects import is_missing
from chalicelib.domain.upload import INCOMING, QUARANTINE, QuarantinedUpload, UploadKey, UploadKeyError

# What ingest takes of the raw upload at a time: a batch is joined from several (csvfile.py).
CHUNK_BYTES = 1024 * 1024


class S3Uploads:
    """`may_list`: whether the function's role has s3:ListBucket on the upload bucket (ingest has
    not: to it an upload already ingested and deleted is a HEAD's bare 403, read as gone)."""

    def __init__(self, s3, bucket: str, *, may_list: bool = True) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._may_list = may_list

    def size(self, key: str) -> int | None:
        """The upload's size in bytes; None when it is not there (any more)."""
        try:
            return self._s3.head_object(Bucket=self._bucket, Key=key)["ContentLength"]
        except ClientError as exc:
            if is_missing(exc, may_list=self._may_list):
                return None
            raise

    def read(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()

    def chunks(self, key: str) -> Iterator[bytes]:
        body = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(chunk_size=CHUNK_BYTES)
        finally:
            body.close()

    def quarantine(self, key: str, upload: UploadKey, reason: str) -> str:
        target = upload.quarantine_key()
        self._s3.copy_object(
            Bucket=self._bucket,
            Key=target,
            CopySource={"Bucket": self._bucket, "Key": key},
            Metadata={"reden": reason},
            MetadataDirective="REPLACE",
        )
        self.delete(key)
        return target

    def pending(self, leverancier: str, levering: str) -> bool:
        """Whether incoming/<leverancier>/<levering>/ holds the upload (lists that prefix only:
        needs s3:ListBucket for incoming/*)."""
        prefix = f"{INCOMING}{leverancier}/{levering}/"
        return self._s3.list_objects_v2(Bucket=self._bucket, Prefix=prefix, MaxKeys=1).get("KeyCount", 0) > 0

    def quarantined(self) -> list[QuarantinedUpload]:
        """Every upload under quarantine/ with its size (lists it: needs s3:ListBucket there)."""
        found = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=QUARANTINE):
            for item in page.get("Contents", []):
                try:
                    upload = UploadKey.parse(item["Key"], QUARANTINE)
                except UploadKeyError:
                    continue  # not one ingest put there
                found.append(QuarantinedUpload(upload=upload, bytes=int(item["Size"])))
        return found

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)
