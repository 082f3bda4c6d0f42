"""Where an upload lives: `incoming/<leverancier>/<levering>/<bestand>` (the presigned key), or
`quarantine/<leverancier>/<levering>/<bestand>` once refused; and the presigned POST a supplier
gets for one."""

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from chalicelib.domain.ids import LEVERANCIER_ID, LEVERING_ID

INCOMING = "incoming/"
QUARANTINE = "quarantine/"
CONTENT_TYPE = "text/csv"
EXPIRES_SECONDS = 300  # how long a presigned POST may be used
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_BYTES = 512 * 1024 * 1024  # the largest delivery accepted


class UploadKeyError(ValueError):
    """The object key is not one this platform hands out."""


@dataclass(frozen=True)
class UploadKey:
    leverancier: str
    levering: str
    bestand: str

    @classmethod
    def parse(cls, key: str, folder: str = INCOMING) -> "UploadKey":
        """The upload of a key under `folder` (INCOMING or QUARANTINE)."""
        if not key.startswith(folder):
            raise UploadKeyError(key)
        parts = key[len(folder) :].split("/", 2)
        if (
            len(parts) != 3
            or not LEVERANCIER_ID.fullmatch(parts[0])
            or not LEVERING_ID.fullmatch(parts[1])
            or not parts[2]
        ):
            raise UploadKeyError(key)
        return cls(*parts)

    def incoming_key(self) -> str:
        return f"{INCOMING}{self.leverancier}/{self.levering}/{self.bestand}"

    def quarantine_key(self) -> str:
        return f"{QUARANTINE}{self.leverancier}/{self.levering}/{self.bestand}"


@dataclass(frozen=True)
class QuarantinedUpload:
    upload: UploadKey
    bytes: int


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


def levering_date(levering: str) -> date | None:
    """The day a delivery's upload was handed out, from its id (`new_levering_id`); None when
    the id is not one of those."""
    try:
        return datetime.strptime(levering[:8], "%Y%m%d").date()
    except ValueError:
        return None
