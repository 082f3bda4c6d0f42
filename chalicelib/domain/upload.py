"""Where an upload lives: `incoming/<leverancier>/<levering>/<bestand>` (the presigned key)."""

import re
from dataclasses import dataclass

INCOMING = "incoming/"
QUARANTINE = "quarantine/"
LEVERANCIER_ID = re.compile(r"[a-z0-9-]{2,40}")
MAX_BYTES = 512 * 1024 * 1024  # the largest delivery accepted (csvfile.py reads it whole)
_LEVERING = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class UploadKeyError(ValueError):
    """The object key is not one this platform hands out."""


@dataclass(frozen=True)
class UploadKey:
    leverancier: str
    levering: str
    bestand: str

    @classmethod
    def parse(cls, key: str) -> "UploadKey":
        if not key.startswith(INCOMING):
            raise UploadKeyError(key)
        parts = key[len(INCOMING):].split("/", 2)
        if len(parts) != 3 or not LEVERANCIER_ID.fullmatch(parts[0]) or not _LEVERING.match(parts[1]) or not parts[2]:
            raise UploadKeyError(key)
        return cls(*parts)

    def incoming_key(self) -> str:
        return f"{INCOMING}{self.leverancier}/{self.levering}/{self.bestand}"

    def quarantine_key(self) -> str:
        return f"{QUARANTINE}{self.leverancier}/{self.levering}/{self.bestand}"
