"""Handing a supplier a presigned POST for one delivery, bound to its own prefix."""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.upload import MAX_BYTES
from chalicelib.domain.upload import LEVERANCIER_ID, UploadKey

CONTENT_TYPE = "text/csv"
EXPIRES_SECONDS = 300
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PresignedUpload:
    levering: str
    key: str
    url: str
    fields: dict[str, str]
    expires_in: int
    max_bytes: int


def safe_filename(name: str) -> str:
    """The file's base name with anything but letters, digits, dot, dash and underscore replaced."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", base).strip("._") or "levering.csv"
    return cleaned[:100]


def new_levering_id(now: datetime) -> str:
    """Sortable by the time it was handed out (to the microsecond), unguessable:
    `20261128T012500123456-3fa9c1d2`. match.sql breaks ties between uploads on it."""
    return f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}"


def presign_upload(s3, bucket: str, *, leverancier: str, filename: str, size: int, now: datetime) -> PresignedUpload:
    """A POST policy for exactly one key under the supplier's prefix, a CSV, 1 byte to size."""
    if not 0 < size <= MAX_BYTES:
        raise ValueError(f"size must be between 1 and {MAX_BYTES} bytes")
    if not LEVERANCIER_ID.fullmatch(leverancier):
        raise ValueError(f"not a leverancier id: {leverancier!r}")
    levering = new_levering_id(now)
    key = UploadKey(leverancier, levering, safe_filename(filename)).incoming_key()
    post = s3.generate_presigned_post(
        Bucket=bucket,
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
