"""Presigned POSTs into the upload bucket: one key under the supplier's own prefix.

upload bucket   incoming/<leverancier>/<levering>/<bestand>   (chalicelib.domain.upload.UploadKey)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.ids import LEVERANCIER_ID
from chalicelib.domain.upload import (
    CONTENT_TYPE,
    EXPIRES_SECONDS,
    MAX_BYTES,
    PresignedUpload,
    UploadKey,
    new_levering_id,
    safe_filename,
)


class S3Presigner:
    def __init__(self, s3: Any, upload_bucket: str) -> None:
        self._s3 = s3
        self._bucket = upload_bucket

    def presign(self, leverancier: str, filename: str, size: int, now: datetime) -> PresignedUpload:
        """A POST policy for exactly one key under the supplier's prefix, a CSV, 1 byte to size."""
        if not 0 < size <= MAX_BYTES:
            raise ValueError(f"size must be between 1 and {MAX_BYTES} bytes")
        if not LEVERANCIER_ID.fullmatch(leverancier):
            raise ValueError(f"not a leverancier id: {leverancier!r}")
        levering = new_levering_id(now)
        key = UploadKey(leverancier, levering, safe_filename(filename)).incoming_key()
        post = self._s3.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": CONTENT_TYPE},
            Conditions=[
                {"key": key},
                {"Content-Type": CONTENT_TYPE},
                ["content-length-range", 1, size],
            ],
            ExpiresIn=EXPIRES_SECONDS,
        )
        return PresignedUpload(levering, key, post["url"], post["fields"], EXPIRES_SECONDS, size)
