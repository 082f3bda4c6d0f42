"""What a caller is shown: the read models the services return and the API serialises as they
are (the OpenAPI document is generated from them). None holds contact data but `Contact`; a list
of cases (`ListedCase`) holds no klantnummer either: those belong to one case, whose view is audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.cases import Adres, Case, Contactpoging, Euro, Gebied, RunStatus
from chalicelib.domain.casework import SupplierMessage
from chalicelib.domain.identity import Role
from chalicelib.domain.notify import MissingDelivery
from chalicelib.domain.report import Counts, ReportSummary, Status


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


# A supplier's deliveries, and what operators see. Ids, dates, codes and counts: no personal data.


class Levering(_Shown):
    """A delivery as its report summarises it (without the findings: GET /api/uploads/{id} has them)."""

    levering: str
    bestand: str
    ontvangen: date = Field(description="the day its upload was handed out (from the levering id)")
    status: Status
    peildatum: date | None
    counts: Counts

    @classmethod
    def of(cls, summary: ReportSummary, ontvangen: date, **extra: Any) -> Self:
        """The delivery of a report's summary, received on `ontvangen`; `extra`: a subclass's fields."""
        peildatum = None if summary.peildatum is None else date.fromisoformat(summary.peildatum)
        return cls(
            levering=summary.levering,
            bestand=summary.bestand,
            ontvangen=ontvangen,
            status=summary.status,
            peildatum=peildatum,
            counts=summary.counts,
            **extra,
        )


class OwnLevering(Levering):
    """One of the supplier's own deliveries."""

    volgende_run: bool = Field(description="the next monthly run reads this delivery, as things stand now")


class LeveringList(_Shown):
    leveringen: list[OwnLevering] = Field(description="newest first")
    truncated: bool = Field(description="the supplier has more deliveries than this answer holds")
    volgende_run_as_of: date = Field(description="the as-of date of the next monthly run that volgende_run is for")


class BeheerRun(_Shown):
    """A run of any status, with its counts per gemeente (numbers only)."""

    run_id: str
    as_of: date
    status: RunStatus
    begun_at: datetime | None
    published_at: datetime | None
    gemeenten: dict[str, int] = Field(description="cases per gemeente code")
    cases: int = Field(description="cases in all gemeenten")
    failure: str | None = Field(description="why the run is not published, once it has stopped (Dutch)")


class BeheerRuns(_Shown):
    runs: list[BeheerRun] = Field(description="newest first (by as-of, then publication)")
    truncated: bool


class LeverancierMaand(_Shown):
    leverancier: str
    naam: str
    convenant_actief: bool = Field(description="a convenant of the supplier is active on `peildatum`")
    laatste_levering: date | None = Field(description="the day of its latest delivery that was not rejected")
    ontbreekt: bool = Field(description="active convenant and no accepted delivery in `dagen` days (as of `peildatum`)")
    leveringen: list[Levering] = Field(description="received in the month, newest first")
    truncated: bool = Field(description="it received more in the month than this answer holds")


class LeveringenMaand(_Shown):
    maand: str = Field(description="YYYY-MM")
    peildatum: date = Field(description="the day convenant_actief, laatste_levering and ontbreekt are judged on")
    dagen: int = Field(description="the days without an accepted delivery after which a supplier ontbreekt")
    leveranciers: list[LeverancierMaand] = Field(description="every registered supplier, by id")


class Reden(_Shown):
    code: str = Field(description="stable English code (the report's rejection)")
    message: str = Field(description="Dutch, for people")


class QuarantinedFile(_Shown):
    """A refused upload kept in quarantine (never its contents)."""

    leverancier: str
    levering: str
    bestand: str
    ontvangen: date
    reden: Reden
    bytes: int


class Quarantaine(_Shown):
    bestanden: list[QuarantinedFile] = Field(description="newest first")
    truncated: bool


class RegisterLeverancier(_Shown):
    id: str
    naam: str
    signaaltype: str
    max_fout_percentage: float


class RegisterConvenant(_Shown):
    gemeente: str
    leverancier: str
    vanaf: date = Field(description="first day, inclusive")
    tot: date | None = Field(description="last day, inclusive; none: open-ended")
    actief: bool = Field(description="active on `peildatum`")


class Register(_Shown):
    """The registry as the matching reads it; it holds no people, so no contact data."""

    peildatum: date = Field(description="the day `actief` is judged on")
    gemeenten: list[MatchingRule]
    leveranciers: list[RegisterLeverancier]
    convenanten: list[RegisterConvenant]
