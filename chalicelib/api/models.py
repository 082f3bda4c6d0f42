"""The API's request models, and the error envelope; what a request answers is in
chalicelib.domain.views.

Requests forbid unknown fields and bound every size, and accept a value only as the OpenAPI document
spells it: a query string's "2", "true", "2026-10-01" or "1250.50" become typed values, while the
laxer spellings pydantic alone would read ("1.0", "yes", "0" as a date) are refused.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from chalicelib.domain.audit import MAX_IDS
from chalicelib.domain.caselist import CaseFilter
from chalicelib.domain.cases import CASE_ID_HEX_CHARS
from chalicelib.domain.casework import CONTACTSOORTEN, DAGDELEN, EINDRESULTATEN, SIGNAALSTATUSSEN
from chalicelib.domain.ids import LEVERING_ID_PATTERN
from chalicelib.domain.signaaltype import SIGNAALTYPEN
from chalicelib.domain.upload import MAX_BYTES

MAX_PAGE_SIZE = MAX_IDS  # a page's ids fit one audit event
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_BEDRAG = Decimal("999999999.99")  # far above any household's arrears; the most BEDRAG_TEXT spells
MAX_RULE_BEDRAG = Decimal("999999.99")  # the registry's own bound on a rule's min_bedrag (Gemeente)
BEDRAG_TEXT = r"^[0-9]{1,9}(\.[0-9]{1,2})?$"  # euros with at most two decimals: 1250 or 1250.5 or 1250.50
RULE_BEDRAG_TEXT = r"^[0-9]{1,6}(\.[0-9]{1,2})?$"


def _spelled(pattern: str | None, *kinds: type) -> BeforeValidator:
    """Let through a value of `kinds`, and text only when it matches `pattern`: lax pydantic reads far
    more than the document promises ("0" as a date, "yes" as true, " 2" or "2_0" or true as a number)."""
    text = re.compile(pattern) if pattern else None

    def check(value: object) -> object:
        if isinstance(value, bool):
            allowed = bool in kinds
        else:
            allowed = isinstance(value, kinds) or bool(isinstance(value, str) and text and text.fullmatch(value))
        if not allowed:
            raise ValueError(f"not written as the document says ({pattern or ', '.join(k.__name__ for k in kinds)})")
        return value

    return BeforeValidator(check)


IsoDate = Annotated[date, _spelled(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", date)]
QueryInt = Annotated[int, _spelled(r"^[0-9]{1,9}$", int)]
QueryBool = Annotated[bool, _spelled(r"^(true|false)$", bool)]
JsonInt = Annotated[int, _spelled(None, int, float)]  # float: JSON Schema counts 3.0 as an integer
JsonBool = Annotated[bool, _spelled(None, bool)]
Dagen = Annotated[int, Field(ge=0, le=36500), _spelled(None, int, float)]  # days of arrears: up to a century
RunId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z][0-9A-Za-z_.-]*$")]
CaseId = Annotated[str, Field(pattern=rf"^[0-9a-f]{{{CASE_ID_HEX_CHARS}}}$")]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_.-]+$")]
Text = Annotated[str, Field(min_length=1, max_length=100)]
# An outbox entry's place: its datum and id (SupplierMessage), in the order the outbox lists them.
OutboxCursor = Annotated[
    str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
_EURO = Field(ge=0, decimal_places=2, allow_inf_nan=False)
# A query filter: always text on the wire.
Bedrag = Annotated[
    Decimal,
    _EURO,
    Field(le=MAX_BEDRAG),
    _spelled(BEDRAG_TEXT, Decimal),
    WithJsonSchema({"type": "string", "pattern": BEDRAG_TEXT}),
]
# A rule's amount in a JSON body: a number in cents, or the same text as a filter.
RuleBedrag = Annotated[
    Decimal,
    _EURO,
    Field(le=MAX_RULE_BEDRAG),
    _spelled(RULE_BEDRAG_TEXT, int, float, Decimal),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": float(MAX_RULE_BEDRAG), "multipleOf": 0.01},
                {"type": "string", "pattern": RULE_BEDRAG_TEXT},
            ]
        }
    ),
]
LeveringId = Annotated[str, Field(pattern=f"^{LEVERING_ID_PATTERN}$")]
# A month of this century: a wider one could only ask for months without deliveries.
Maand = Annotated[str, Field(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
MAX_APPROACH = MAX_IDS  # more is refused (too_many_ids) before any case is looked up
MAX_SIGNAALTYPEN = 20  # far more than DDAS's EnumSignaalpartner has
KnownSignaaltype = Literal[SIGNAALTYPEN]  # type: ignore[valid-type]  # spelled exactly, unlike the registry file


class _Request(BaseModel):
    # No whitespace stripping: a value means what it says, as the document's patterns do.
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


# Requests


class NoQuery(_Request):
    """A route without query parameters: any parameter is refused (400), none is silently ignored."""


class FilterQuery(_Request):
    """The list filters as the query string spells them; each narrows the cases, none widens
    what the caller may see."""

    wijk: Code | None = Field(None, description="CBS wijkcode, e.g. WK036301")
    leverancier: Code | None = Field(None, description="supplier id")
    signaaltype: Text | None = Field(None, description="DDAS EnumSignaalpartner, e.g. Energie")
    min_bedrag: Bedrag | None = Field(None, description="minimum total arrears in euros")
    max_bedrag: Bedrag | None = Field(None, description="maximum total arrears in euros")
    herhaald: QueryBool | None = Field(None, description="matched in an earlier run too")
    crisis: QueryBool | None = Field(None, description="a supplier flagged a crisis signal")
    status: Literal[SIGNAALSTATUSSEN] | None = Field(None, description="DDAS EnumSignaalstatus")  # type: ignore[valid-type]
    team: Code | None = Field(None, description="the wijkteam the case is assigned to")

    @model_validator(mode="after")
    def _range(self) -> FilterQuery:
        if self.min_bedrag is not None and self.max_bedrag is not None and self.min_bedrag > self.max_bedrag:
            raise ValueError("min_bedrag is greater than max_bedrag")
        return self

    def filter(self) -> CaseFilter:
        return CaseFilter.model_validate(self.model_dump(include=set(FilterQuery.model_fields)))


class ExportQuery(FilterQuery):
    """`GET /api/export.csv`: the run (latest when absent) and the list's filters; no paging."""

    run: RunId | None = Field(None, description="run id; the latest published run when absent")


class CasesQuery(ExportQuery):
    """`GET /api/cases`: the run (latest when absent), the filters and the page."""

    page: QueryInt = Field(1, ge=1, le=MAX_PAGE)
    page_size: QueryInt = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class CaseQuery(_Request):
    """`GET /api/cases/{id}[/contact]`: the run the id belongs to (latest when absent)."""

    run: RunId | None = Field(None, description="run id; the latest published run when absent")


class CasePath(_Request):
    id: CaseId


class WriteRequest(_Request):
    """A write to a case of a run (the latest published run when `run` is absent)."""

    run: RunId | None = Field(None, description="run id; the latest published run when absent")


class AssignRequest(WriteRequest):
    team: Code = Field(description="the wijkteam the case goes to")


class ApproachRequest(WriteRequest):
    case_ids: list[CaseId] = Field(min_length=1, max_length=MAX_APPROACH)


class ContactpogingRequest(WriteRequest):
    soort: Literal[CONTACTSOORTEN] = Field(description="DDAS EnumContactsoort")  # type: ignore[valid-type]
    bereikt: JsonBool
    datum: IsoDate
    dagdeel: Literal[DAGDELEN] = Field(description="DDAS EnumDagdeel")  # type: ignore[valid-type]


class ResultaatRequest(WriteRequest):
    resultaat: Literal[EINDRESULTATEN] = Field(description="DDAS EnumEindresultaat")  # type: ignore[valid-type]


class UploadRequest(_Request):
    filename: Annotated[str, Field(min_length=1, max_length=200)]
    size: JsonInt = Field(ge=1, le=MAX_BYTES, description="the file's size in bytes; the upload may not exceed it")


class UploadPath(_Request):
    id: LeveringId


class OutboxQuery(_Request):
    since: IsoDate = Field(description="entries dated on or after this day (YYYY-MM-DD)")
    after: OutboxCursor | None = Field(
        default=None, description="the previous answer's `next`: continue after that entry"
    )


class MatchingRuleRequest(_Request):
    """`PUT /api/settings`: the own gemeente's whole matching rule (matching.md); the gemeente is
    the caller's, never named here. Checked again as a registry `Gemeente` (min_dagen ≤ max_dagen)."""

    min_leveranciers: JsonInt = Field(ge=1, le=100, description="suppliers needed for a case")
    min_dagen: Dagen = Field(description="least days of arrears")
    max_dagen: Dagen = Field(description="most days of arrears")
    min_bedrag: RuleBedrag = Field(description="least arrears per signal, in euros")
    signaaltypen: list[KnownSignaaltype] = Field(
        default_factory=list, max_length=MAX_SIGNAALTYPEN, description="DDAS EnumSignaalpartner values; empty = all"
    )
    venster: dict[KnownSignaaltype, tuple[Dagen, Dagen]] = Field(
        default_factory=dict,
        max_length=MAX_SIGNAALTYPEN,
        description="[min_dagen, max_dagen] per signaaltype, overriding the default",
    )


# Responses


class ErrorDetail(_Response):
    code: str = Field(description="stable English code, e.g. not_found")
    message: str = Field(description="Dutch message for people")


class ErrorResponse(_Response):
    error: ErrorDetail


class Health(_Response):
    status: Literal["ok"] = "ok"


class DdasQuery(_Request):
    """`GET /api/export/ddas`: the period, both days included; at most a year (ddas.MAX_PERIOD_DAYS)."""

    van: IsoDate = Field(description="first as-of date of the runs exported (YYYY-MM-DD)")
    tot: IsoDate = Field(description="last as-of date of the runs exported (YYYY-MM-DD), inclusive")


class StatsQuery(_Request):
    """`GET /api/stats`: the run (latest when absent)."""

    run: RunId | None = Field(None, description="run id; the latest published run when absent")


class LeveringenQuery(_Request):
    """`GET /api/beheer/leveringen`: the month (this month when absent)."""

    maand: Maand | None = Field(None, description="YYYY-MM (2000-01 to 2099-12); this month when absent")
