"""The validation report every delivery gets (delivery-format.md, "Report")."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

MAX_FINDINGS_PER_CODE = 1_000
# Errors and warnings together. A finding is under 500 bytes as JSON (the longest message is
# about 300 characters), so the lists stay under 1 MB however large or bad the file.
MAX_FINDINGS = 2_000


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
    "header_too_long": "De kopregel is langer dan 256 KiB; lever alleen de kolommen van het aanleverformaat aan.",
    "line_too_long": (
        "Regel {line} is langer dan 256 KiB; een regel van een levering is hooguit enkele honderden tekens. "
        "Controleer of regeleinden of scheidingstekens ontbreken."
    ),
    "too_many_columns": "De kopregel heeft meer dan 10.000 kolommen.",
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


class ReportSummary(BaseModel):
    """A report without its findings: what a list of deliveries shows of each (and the head of
    every stored report: Report adds the findings after these fields)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    leverancier: str
    levering: str
    bestand: str
    status: Status
    peildatum: str | None = None
    rejection: Finding | None = None
    counts: Counts = Field(default_factory=Counts)

    @classmethod
    def of(cls, report: "Report") -> "ReportSummary":
        return cls.model_validate(report.model_dump(include=set(cls.model_fields)))


class Report(ReportSummary):
    """What the supplier reads back: status, counts, the rejected rows and the warnings.

    `errors` and `warnings` list at most MAX_FINDINGS_PER_CODE findings of one code, and at most
    MAX_FINDINGS together (the first lines of each code); `errors_per_code` and
    `warnings_per_code` count every one, and `note` says so when a list is cut.
    """

    errors: list[Finding] = Field(default_factory=list)
    warnings: list[Finding] = Field(default_factory=list)
    errors_per_code: dict[str, int] = Field(default_factory=dict)
    warnings_per_code: dict[str, int] = Field(default_factory=dict)
    truncated: bool = False
    note: str | None = None


TRUNCATED_NOTE = (
    f"Dit rapport noemt per code hoogstens {MAX_FINDINGS_PER_CODE:,} regels en samen hoogstens "
    f"{MAX_FINDINGS:,} (steeds de eerste); errors_per_code en warnings_per_code tellen alle regels "
    "van het bestand."
).replace(",", ".")


class Findings:
    """Row errors or warnings of one file as they are found: every code counted, the first
    MAX_FINDINGS_PER_CODE of each code kept (with a key that orders them in the report)."""

    def __init__(self) -> None:
        self.per_code: dict[str, int] = {}
        self._added = 0
        self._kept: dict[str, list[tuple[tuple[int, int], Finding]]] = {}

    def room(self, code: str) -> int:
        """How many more findings of `code` are kept."""
        return MAX_FINDINGS_PER_CODE - len(self._kept.get(code, ()))

    def count(self, code: str, n: int) -> None:
        """Count `n` findings of `code` (keep the first of them with `keep`)."""
        if n:
            self.per_code[code] = self.per_code.get(code, 0) + n

    def keep(self, code: str, items: list[tuple[tuple[int, int], Finding]]) -> None:
        """Keep counted findings of `code` while it has room."""
        room = self.room(code)
        if room > 0 and items:
            self._kept.setdefault(code, []).extend(items[:room])

    def keep_found(self, code: str, items: list[Finding]) -> None:
        """Keep counted findings of `code` while it has room, in the order they are found."""
        numbered = [((self._added + i, 0), item) for i, item in enumerate(items, 1)]
        self._added += len(items)
        self.keep(code, numbered)

    def add(self, item: Finding, order: tuple[int, int] | None = None) -> None:
        """Count `item` and keep it while its code has room; without `order`, in the order added."""
        self.count(item.code, 1)
        self._added += 1
        self.keep(item.code, [(order if order is not None else (self._added, 0), item)])

    def total(self) -> int:
        return sum(self.per_code.values())

    def kept(self) -> dict[str, list[tuple[tuple[int, int], Finding]]]:
        return self._kept


def bounded(errors: Findings, warnings: Findings) -> tuple[list[Finding], list[Finding], bool]:
    """The report's lists: each code's first findings, MAX_FINDINGS shared evenly over the codes
    of both (a code with fewer leaves the rest to the others), each list in its findings' order.
    The flag says whether anything was left out."""
    groups = [*errors.kept().values(), *warnings.kept().values()]
    shares = _shares([len(items) for items in groups], MAX_FINDINGS)
    taken = [items[:n] for items, n in zip(groups, shares, strict=True)]
    split = len(errors.kept())
    error_list = sorted((item for items in taken[:split] for item in items), key=lambda item: item[0])
    warning_list = sorted((item for items in taken[split:] for item in items), key=lambda item: item[0])
    cut = len(error_list) + len(warning_list) < errors.total() + warnings.total()
    return [item for _, item in error_list], [item for _, item in warning_list], cut


def _shares(sizes: list[int], budget: int) -> list[int]:
    """Per size, how many to take so that the total is at most `budget`, evenly (water-filling)."""
    share = [0] * len(sizes)
    left = sorted(range(len(sizes)), key=lambda i: sizes[i])
    while left:
        each = budget // len(left)
        i = left[0]
        if sizes[i] <= each:
            share[i] = sizes[i]
            budget -= sizes[i]
            left.pop(0)
            continue
        for j in left:
            share[j] = each
        break
    return share


def bound_report(report: Report) -> Report:
    """A report as stored before its lists were bounded, bounded (the API returns at most this)."""
    if len(report.errors) + len(report.warnings) <= MAX_FINDINGS and all(
        n <= MAX_FINDINGS_PER_CODE for n in _per_code(report.errors + report.warnings).values()
    ):
        return report
    errors, warnings = Findings(), Findings()
    for position, item in enumerate(report.errors):
        errors.add(item, (position, 0))
    for position, item in enumerate(report.warnings):
        warnings.add(item, (position, 0))
    error_list, warning_list, _ = bounded(errors, warnings)
    return report.model_copy(
        update={
            "errors": error_list,
            "warnings": warning_list,
            "errors_per_code": report.errors_per_code or errors.per_code,
            "warnings_per_code": report.warnings_per_code or warnings.per_code,
            "truncated": True,
            "note": TRUNCATED_NOTE,
        }
    )


def _per_code(items: list[Finding]) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in items:
        found[item.code] = found.get(item.code, 0) + 1
    return found


def finding(code: str, *, line: int | None = None, column: str | None = None) -> Finding:
    """The finding of a file-level code; a message that names a line gets `line` filled in."""
    message = FILE_MESSAGES.get(code) or code
    if "{line}" in message:
        message = message.format(line=line if line is not None else "?")
    return Finding(line=line, column=column, code=code, message=message)
