"""What a caller is shown: the read models the services return and the API serialises as they
are (the OpenAPI document is generated from them). None holds contact data but `Contact`; a list
of cases (`ListedCase`) holds no klantnummer either: those belong to one case, whose view is audited.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.cases import Adres, Case, Contactpoging, Euro, Gebied
from chalicelib.domain.casework import SupplierMessage
from chalicelib.domain.identity import Role
from chalicelib.domain.notify import MissingDelivery


class _Shown(BaseModel):
    model_config = ConfigDict(frozen=True)


class Me(_Shown):
    role: Role
    gemeente: str | None
    leverancier: str | None
    team: str | None
    display_name: str


class RunSummary(_Shown):
    """A published run as its gemeente sees it: only its own case count, never other gemeenten'."""

    run_id: str
    as_of: date
    published_at: datetime | None
    cases: int


class RunList(_Shown):
    latest: str | None = Field(description="the run GET /api/cases shows by default")
    runs: list[RunSummary]


class Facets(_Shown):
    """Per filter, how many cases each value would give with the other filters applied."""

    wijk: dict[str, int]
    leverancier: dict[str, int]
    signaaltype: dict[str, int]
    status: dict[str, int]
    team: dict[str, int]
    herhaald: dict[str, int]
    crisis: dict[str, int]


class ListedSignal(_Shown):
    """A signal as the case list shows it: without the supplier's klantnummer."""

    leverancier: str
    leverancier_naam: str
    signaaltype: str
    bedrag: Euro
    achterstand_sinds: date
    peildatum: date
    crisis: bool


class ListedCase(_Shown):
    """A case as the case list shows it: the case without klantnummers (GET /api/cases/{id} has them)."""

    id: str
    run: str
    as_of: date
    gemeente: str
    wijk: Gebied
    buurt: Gebied
    adres: Adres
    signalen: list[ListedSignal]
    aantal_leveranciers: int
    totaal_bedrag: Euro
    oudste_achterstand: date
    herhaald: bool
    crisis: bool
    rank: int
    status: str
    team: str | None
    contactpogingen: list[Contactpoging]
    resultaat: str | None
    resultaat_op: date | None
    approached_on: date | None
    pause_until: date | None

    @classmethod
    def of(cls, case: Case) -> ListedCase:
        return cls.model_validate(case.model_dump(exclude={"signalen": {"__all__": {"klantnummer"}}}))


class CaseList(_Shown):
    run: str | None
    as_of: date | None
    total: int = Field(description="cases matching the filters")
    visible: int = Field(description="cases the caller may see in the run, before filters")
    page: int
    page_size: int
    pages: int
    facets: Facets
    cases: list[ListedCase]


class ContactPerson(_Shown):
    """A person a supplier named: names, phone, e-mail and street, nothing more (no birth date)."""

    leverancier: str
    voorletters: str | None = None
    tussenvoegsel: str | None = None
    achternaam: str | None = None
    straat: str | None = None
    woonplaats: str | None = None
    telefoon: str | None = None
    email: str | None = None


class Contact(_Shown):
    case_id: str
    run: str
    personen: list[ContactPerson]


class Approached(_Shown):
    run: str
    case_ids: list[str]
    approached_on: date
    pause_until: date
    berichten: int = Field(description="outbox entries written for the suppliers involved")


class UploadTicket(_Shown):
    """A presigned POST: send `fields` and then the file as `file` to `url`, within `expires_in`."""

    levering: str
    url: str
    fields: dict[str, str]
    expires_in: int
    max_bytes: int


class MissingDeliveries(_Shown):
    """The suppliers with an active convenant and no accepted delivery in `dagen` days."""

    peildatum: date
    dagen: int
    leveranciers: list[MissingDelivery]


class OutboxPage(_Shown):
    since: date
    entries: list[SupplierMessage]
    truncated: bool = Field(description="more entries exist than this answer holds")
    next: str | None = Field(description="when truncated: pass as `after` (same `since`) for the following entries")


class Count(_Shown):
    """A count, or null with `suppressed: true` when it is under the threshold (it could point
    at a household)."""

    count: int | None
    suppressed: bool


class Stats(_Shown):
    """Case counts of the gemeente's run per dimension; every count under `threshold` is
    suppressed. A case with two suppliers or signal types counts once under each."""

    run: str | None
    as_of: date | None
    threshold: int = Field(description="counts below this are suppressed")
    total: Count
    wijk: dict[str, Count] = Field(description="per CBS wijkcode")
    signaaltype: dict[str, Count]
    leverancier: dict[str, Count] = Field(description="per supplier id")
    status: dict[str, Count] = Field(description="per DDAS EnumSignaalstatus")
    resultaat: dict[str, Count] = Field(description="per DDAS EnumEindresultaat; cases without one are left out")
    maand: dict[str, Count] = Field(description="per month (YYYY-MM) of the published runs' as_of, up to this run")


class MatchingRule(_Shown):
    """The gemeente's matching rule as the matching uses it (matching.md, [[gemeente]])."""

    code: str = Field(description="CBS gemeentecode")
    naam: str
    min_leveranciers: int
    min_dagen: int
    max_dagen: int
    min_bedrag: Euro
    signaaltypen: list[str]
    venster: dict[str, tuple[int, int]]
