"""A gemeente's signals and cases of a period in DDAS's v1.2 exchange form (ddas.md, "The v1.2
exchange format"), for reporting vroegsignalering to CBS.

Pure: the cases (with their recorded state laid over), the BSNs a supplier may deliver, the
sender and the moment of delivery are arguments. One levering per document: the gemeente's.

What ddas.md leaves open, decided here:

- A vroegsignaal is one signal of one case; its `ID` is `<case id>-<n>`, n its place in the case
  (1-based), so it is unique in the document and says nothing the gemeente does not already see.
- `bedrag` is the signal's arrears rounded to whole euros, halves up (€ 74,50 → 75).
- `ontstaansdatum` is the date the oldest unpaid amount fell due (achterstand_sinds),
  `signaaldatum` the delivery's peildatum, `status` the case's signaalstatus.
- `client` is `{burgerservicenummer}` when the signal's supplier is of a type that may deliver a
  BSN (Zorg, CAK Zorgverzekeringen) and exactly one BSN came with it; otherwise the household's
  postcode and huisnummer, with huisletter and toevoeging as `huisnummertoevoeging` (joined with
  "-" when both are present: 12A-2 → "A-2"). No sex or birth date: nothing CBS needs is gained by
  sending more. A signal with neither (its address record was gone) is left out and counted.
- A vroegsignaalzaak is one case: `matchingsdatum` is the run's as-of date D, the matching period
  [D − 45 days, D] (the deliveries a run reads, matching.md), `datumOpgepakt` the day it was
  approached.
- `warmeOverdracht` and the organisation's `kvk-nummer` are not known here and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.domain.cases import Adres, Case, Contactpoging
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.leveringen import LEVERING_DAGEN
from chalicelib.domain.signaaltype import BSN_SIGNAALTYPEN, ddas_export_value

GEGEVENSLEVERANCIER = "vindplaats"  # the software that delivers (codeGegevensleverancier)
MAX_PERIOD_DAYS = 366  # at most a year in one export
BSN_LENGTH = 9


@dataclass(frozen=True)
class Contactpersoon:
    """Who answers questions about the delivery: the person who exported it."""

    naam: str
    email: str = ""
    telefoonnummer: str = ""
    functietitel: str = ""


@dataclass(frozen=True)
class WorkedRun:
    """A published run's as-of date and the gemeente's cases in it, state laid over."""

    as_of: date
    cases: Sequence[Case]


@dataclass(frozen=True)
class DdasExport:
    """The document and what it holds, in counts (for the audit event and the caller)."""

    document: dict[str, Any]
    case_ids: list[str] = field(default_factory=list)
    signalen: int = 0
    contactpogingen: int = 0
    left_out: int = 0  # signals without a BSN or an address


def check_period(van: date, tot: date) -> None:
    """Raise InvalidRequest unless van ≤ tot and the period is at most MAX_PERIOD_DAYS long."""
    if tot < van:
        raise InvalidRequest("De einddatum (tot) ligt voor de begindatum (van).")
    if (tot - van).days + 1 > MAX_PERIOD_DAYS:
        raise InvalidRequest(f"Een export beslaat ten hoogste {MAX_PERIOD_DAYS} dagen.")


def whole_euros(bedrag: Decimal) -> int:
    """Euros rounded to a whole number, halves up."""
    return int(bedrag.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def signal_id(case: Case, index: int) -> str:
    return f"{case.id}-{index + 1}"


def needs_bsn(case: Case) -> bool:
    """Whether a signal of the case comes from a supplier type that may deliver a BSN."""
    return any(signal.signaaltype in BSN_SIGNAALTYPEN for signal in case.signalen)


def build_export(
    *,
    gemeente: str,
    gemeente_naam: str,
    van: date,
    tot: date,
    runs: Sequence[WorkedRun],
    bsns: Mapping[str, Mapping[int, str]],
    afzender: Contactpersoon,
    now: datetime,
) -> DdasExport:
    """The gemeente's cases of `runs` (those with as-of in [van, tot]) as one DDAS document.

    `bsns` holds, per case id, the BSN of each of its signals (by place in `case.signalen`) that
    came with one; a BSN is used only for a signal whose signaaltype may carry one.
    """
    check_period(van, tot)
    signalen: list[dict[str, Any]] = []
    zaken: list[dict[str, Any]] = []
    case_ids: list[str] = []
    pogingen = left_out = 0
    for run in sorted(runs, key=lambda r: r.as_of):
        if not van <= run.as_of <= tot:
            continue
        for case in run.cases:
            if case.gemeente != gemeente:
                raise ValueError("a case of another gemeente was given")  # the caller's bug, never exported
            its = [_vroegsignaal(case, i, bsns.get(case.id, {})) for i in range(len(case.signalen))]
            kept = [signaal for signaal in its if signaal is not None]
            left_out += len(its) - len(kept)
            if not kept:
                continue
            signalen += kept
            zaken.append(_zaak(case, run.as_of, [signaal["ID"] for signaal in kept]))
            case_ids.append(case.id)
            pogingen += len(case.contactpogingen)
    levering = {
        "teller": 1,
        "gemeentecode": gemeente,
        "aanleverendeOrganisatie": {"naam": gemeente_naam, "contactpersonen": [_contactpersoon(afzender)]},
        "vroegsignalen": signalen,
        "vroegsignaalzaken": zaken,
    }
    document = {
        "startdatumLevering": van.isoformat(),
        "einddatumLevering": tot.isoformat(),
        "aanleverdatumEnTijd": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "codeGegevensleverancier": GEGEVENSLEVERANCIER,
        "leveringen": [levering],
    }
    return DdasExport(document, case_ids, len(signalen), pogingen, left_out)


def _vroegsignaal(case: Case, index: int, bsns: Mapping[int, str]) -> dict[str, Any] | None:
    signal = case.signalen[index]
    bsn = bsns.get(index) if signal.signaaltype in BSN_SIGNAALTYPEN else None
    client = {"burgerservicenummer": bsn} if bsn and len(bsn) == BSN_LENGTH else _client_adres(case.adres)
    if client is None:
        return None
    return {
        "ID": signal_id(case, index),
        "crisissignaal": signal.crisis,
        "bedrag": whole_euros(signal.bedrag),
        "ontstaansdatum": signal.achterstand_sinds.isoformat(),
        "signaaldatum": signal.peildatum.isoformat(),
        "status": case.status,
        "signaalpartner": {"type": ddas_export_value(signal.signaaltype)},
        "client": client,
    }


def _client_adres(adres: Adres) -> dict[str, Any] | None:
    if not adres.postcode or adres.huisnummer is None:
        return None
    client: dict[str, Any] = {"postcode": adres.postcode, "huisnummer": adres.huisnummer}
    toevoeging = "-".join(part for part in (adres.huisletter, adres.toevoeging) if part)
    if toevoeging:
        client["huisnummertoevoeging"] = toevoeging
    return client


def _zaak(case: Case, as_of: date, ids: list[str]) -> dict[str, Any]:
    zaak: dict[str, Any] = {
        "matchingsdatum": as_of.isoformat(),
        "startdatumMatchingperiode": (as_of - timedelta(days=LEVERING_DAGEN)).isoformat(),
        "einddatumMatchingperiode": as_of.isoformat(),
        "vroegsignalen": [{"ID": signal} for signal in ids],
        "contactpogingen": [_contactpoging(poging) for poging in case.contactpogingen],
    }
    if case.resultaat is not None:
        zaak["resultaat"] = case.resultaat
    if case.approached_on is not None:
        zaak["datumOpgepakt"] = case.approached_on.isoformat()
    return zaak


def _contactpoging(poging: Contactpoging) -> dict[str, Any]:
    out: dict[str, Any] = {"soort": poging.soort, "bereikt": poging.bereikt, "datum": poging.datum.isoformat()}
    if poging.dagdeel is not None:
        out["dagdeel"] = poging.dagdeel
    return out


def _contactpersoon(afzender: Contactpersoon) -> dict[str, str]:
    fields = {
        "naam": afzender.naam,
        "telefoonnummer": afzender.telefoonnummer,
        "email": afzender.email,
        "functietitel": afzender.functietitel,
    }
    return {name: value for name, value in fields.items() if value}
