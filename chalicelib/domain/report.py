"""The validation report every delivery gets (delivery-format.md, "Report")."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Status(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    REJECTED = "rejected"


# File-level reasons and warnings; row-level codes and messages live with the parsers.
FILE_MESSAGES: dict[str, str] = {
    "file_unreadable": "Het bestand is niet te lezen als CSV-tekst.",
    "file_binary": "Het bestand bevat binaire gegevens (NUL-tekens); lever een CSV-bestand in UTF-8 aan.",
    "file_compressed": "Het bestand is gecomprimeerd (gzip of zip); lever een gewoon CSV-bestand aan.",
    "file_encoding": "Het bestand is geen UTF-8 of Windows-1252 tekst.",
    "file_too_large": "Het bestand is groter dan 512 MiB.",
    "file_line_endings": "Het bestand gebruikt alleen CR als regeleinde; lever regels met LF of CRLF aan.",
    "quoted_line_breaks": (
        "De regel die hier begint, loopt door op de volgende regel(s): een waarde tussen aanhalingstekens "
        "bevat een regeleinde. Ze is als één regel gelezen."
    ),
    "quote_unclosed": (
        "Het aanhalingsteken op regel {line} wordt tot het einde van het bestand niet gesloten: alle regels "
        "erna zouden in één waarde verdwijnen. Sluit het aanhalingsteken of haal het weg."
    ),
    "quote_spans_lines": (
        "De waarde tussen aanhalingstekens die op regel {line} begint, loopt over meer regels dan een waarde "
        "kan hebben; waarschijnlijk ontbreekt daar een sluitend aanhalingsteken."
    ),
    "too_many_rows": "Het bestand heeft meer dan 2.000.000 regels met gegevens.",
    "column_missing": "Verplichte kolom ontbreekt in de kopregel.",
    "column_duplicate": "Kolom staat meer dan eens in de kopregel.",
    "peildatum_mismatch": "De peildatum is niet op elke regel gelijk.",
    "peildatum_invalid": "De peildatum is geen geldige datum (JJJJ-MM-DD of DD-MM-JJJJ).",
    "no_data_rows": "Het bestand bevat geen regels met gegevens.",
    "too_many_errors": "Te veel regels zijn afgekeurd; het bestand is in zijn geheel afgekeurd.",
    "leverancier_unknown": "De leverancier van deze upload staat niet in het register.",
    "column_count": "De regel heeft een ander aantal velden dan de kopregel.",
    "encoding_windows_1252": "Het bestand was geen UTF-8 maar Windows-1252; het is omgezet.",
    "column_unknown": "Onbekende kolom genegeerd.",
    "bsn_ignored": (
        "Kolom bsn genegeerd: alleen leveranciers van het type Zorg of CAK Zorgverzekeringen mogen een BSN leveren."
    ),
    "adres_niet_gevonden": "Adres niet gevonden in de adrestabel; deze regel kan niet matchen.",
}


class Finding(BaseModel):
    """One rejected row's reason, or one warning. `line` is the physical line (1 = header)."""

    model_config = ConfigDict(frozen=True)

    line: int | None = None
    column: str | None = None
    code: str
    message: str


class Counts(BaseModel):
    model_config = ConfigDict(frozen=True)

    read: int = 0
    accepted: int = 0
    rejected: int = 0
    warnings: int = 0


class Report(BaseModel):
    """What the supplier reads back: status, counts, every rejected row and every warning."""

    model_config = ConfigDict(frozen=True)

    leverancier: str
    levering: str
    bestand: str
    status: Status
    peildatum: str | None = None
    rejection: Finding | None = None
    counts: Counts = Field(default_factory=Counts)
    errors: list[Finding] = Field(default_factory=list)
    warnings: list[Finding] = Field(default_factory=list)


def finding(code: str, *, line: int | None = None, column: str | None = None) -> Finding:
    """The finding of a file-level code; a message that names a line gets `line` filled in."""
    message = FILE_MESSAGES.get(code) or code
    if "{line}" in message:
        message = message.format(line=line if line is not None else "?")
    return Finding(line=line, column=column, code=code, message=message)
