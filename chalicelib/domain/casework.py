"""Working a case: its state (status, team, contact attempts, outcome) and what its suppliers
are told (product.md, steps 5 and 6; ddas.md).

A case as published never changes; what the gemeente does with it is a `CaseState`, kept apart
and laid over the case when it is read. Everything here is pure: `today` is an argument.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.cases import STATUS_NIEUW, Case, Contactpoging
from chalicelib.domain.errors import LimitReached

SIGNAALSTATUSSEN = (  # DDAS EnumSignaalstatus
    STATUS_NIEUW,
    "Opgepakt",
    "Inwoner al bekend bij schuldhulpverlening",
    "Inwoner is overleden",
    "Niet opgepakt: andere reden",
    "Niet opgepakt: herhaalde melding",
    "Niet opgepakt: onterecht signaal",
    "Persoon is geen inwoner (meer) in de gemeente",
)
STATUS_OPGEPAKT = "Opgepakt"

EINDRESULTATEN = (  # DDAS EnumEindresultaat
    "(Budget)advies en/of quick fix",
    "Definitief geen contact kunnen krijgen",
    "Geen reactie na eerder contact",
    "Inwoner al bekend bij schuldhulpverlening",
    "Inwoner heeft al een ander lopend traject",
    "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
    "Inwoner is overleden",
    "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering",
    "Niet opgepakt: andere reden",
    "Niet opgepakt: herhaalde melding",
    "Niet opgepakt: onterecht signaal",
    "Persoon is geen inwoner (meer) in de gemeente",
    "Vervolghulp en/of verwijzing",
    "Vervolghulp en/of verwijzing financieel",
    "Vervolghulp en/of verwijzing niet financieel",
    "Verwijzing zonder tussenkomst inwoner",
)
RESULTAAT_ANDERE_REDEN = "Niet opgepakt: andere reden"
# What a supplier learns instead of "andere reden": the reason is the gemeente's own business.
RESULTAAT_NIET_OPGEPAKT = "Niet opgepakt"

CONTACTSOORTEN = (  # DDAS EnumContactsoort
    "Administratief",
    "Afspraak op locatie",
    "Brief",
    "Huisbezoek",
    "Kaartje",
    "Mail",
    "Onbekend",
    "Overige",
    "SMS/Whatsapp",
    "Telefoon",
)
DAGDELEN = ("Ochtend", "Middag", "Avond")  # DDAS EnumDagdeel

PAUSE_MONTHS = 1
# Contact attempts a case may hold: far more than anyone makes (a week of daily calls is 7), and
# the cap keeps a state item a few KB under DynamoDB's 400 KB item limit.
MAX_CONTACTPOGINGEN = 50
_OUTBOX_NAMESPACE = uuid.UUID("6f1d7c1e-5b8a-4c59-9a57-0b6f3b7d2e10")


class CaseState(BaseModel):
    """What the gemeente recorded for one case of one run; unset fields leave the case as published."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: str | None = None
    team: str | None = None
    contactpogingen: list[Contactpoging] = Field(default_factory=list)
    resultaat: str | None = None
    resultaat_op: date | None = None
    approached_on: date | None = None
    pause_until: date | None = None
    expires_on: date | None = None  # the day the state goes (retention); None: kept while worked
    updated_at: datetime | None = None
    updated_by: str | None = None


class SupplierMessage(BaseModel):
    """One outbox entry for one supplier about one of its own customers: klantnummer, gemeente,
    kind, pause-until date or outcome code, event time and an event id of its own. Never a name,
    address or amount, and nothing another supplier's entries also carry besides the gemeente,
    dates and codes: no case id, no household pseudonym (api.md, `GET /api/outbox`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    klantnummer: str
    gemeente: str
    soort: Literal["benaderd", "resultaat"]
    datum: date
    tijdstip: datetime
    pauze_tot: date | None = None
    resultaat: str | None = None


def event_id(leverancier: str, case_id: str, klantnummer: str, soort: str, datum: date) -> str:
    """The supplier's own id for one piece of news: stable, so a retried request overwrites its
    entry instead of telling the supplier twice; different for every supplier of the same case,
    and not to be traced back to the case without its id, which no supplier is given."""
    return str(uuid.uuid5(_OUTBOX_NAMESPACE, f"{leverancier}|{case_id}|{klantnummer}|{soort}|{datum}"))


def contactpogingen_full(limit: int) -> LimitReached:
    """The error for a case that already holds `limit` contact attempts."""
    return LimitReached(
        f"Deze casus heeft al {limit} contactpogingen; meer kunnen niet worden vastgelegd. "
        "Leg een resultaat vast of neem contact op met de coördinator.",
        code="contactpogingen_limit",
    )


def with_state(case: Case, state: CaseState | None) -> Case:
    """The case as the gemeente works it: the published case with its recorded state laid over."""
    if state is None:
        return case
    changes = {
        name: getattr(state, name)
        for name in ("status", "team", "resultaat", "resultaat_op", "approached_on", "pause_until")
        if getattr(state, name) is not None
    }
    if state.contactpogingen:
        changes["contactpogingen"] = list(state.contactpogingen)
    return case.model_copy(update=changes) if changes else case


def status_after(resultaat: str) -> str:
    """The signaalstatus an outcome implies: the outcome itself where DDAS has it as a status
    too (the "Niet opgepakt" reasons, deceased, ...), else "Opgepakt"."""
    return resultaat if resultaat in SIGNAALSTATUSSEN else STATUS_OPGEPAKT


def supplier_resultaat(resultaat: str) -> str:
    return RESULTAAT_NIET_OPGEPAKT if resultaat == RESULTAAT_ANDERE_REDEN else resultaat


def messages(
    case: Case,
    soort: Literal["benaderd", "resultaat"],
    at: datetime,
    today: date,
    *,
    pauze_tot: date | None = None,
    resultaat: str | None = None,
) -> list[tuple[str, SupplierMessage]]:
    """(leverancier, message) for each of the case's signals with a klantnummer; one per
    supplier and klantnummer, dated `today`, sent at `at`. The outcome passes through
    `supplier_resultaat`."""
    told: dict[tuple[str, str], SupplierMessage] = {}
    for signal in case.signalen:
        if not signal.klantnummer:
            continue  # the vault record was missing: nothing the supplier could act on
        told.setdefault(
            (signal.leverancier, signal.klantnummer),
            SupplierMessage(
                id=event_id(signal.leverancier, case.id, signal.klantnummer, soort, today),
                klantnummer=signal.klantnummer,
                gemeente=case.gemeente,
                soort=soort,
                datum=today,
                tijdstip=at,
                pauze_tot=pauze_tot,
                resultaat=None if resultaat is None else supplier_resultaat(resultaat),
            ),
        )
    return [(leverancier, message) for (leverancier, _), message in told.items()]
