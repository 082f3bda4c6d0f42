"""What the notify function tells (product.md, step 6): a gemeente's mail that a run is ready,
a supplier's daily file of its outbox, and which suppliers have not delivered in a while.

Pure: dates and times are arguments. The mail carries counts and a link only, never a name,
address, klantnummer or case id.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.casework import SupplierMessage
from chalicelib.domain.registry import Registry

MISSING_AFTER_DAYS = 35  # issue 11: a supplier with a convenant and no delivery in 35 days
DAILY_FIELDS = ("id", "klantnummer", "gemeente", "soort", "datum", "tijdstip", "pauze_tot", "resultaat")


class RunCounts(BaseModel):
    """One gemeente's counts in a published run: all that its mail may say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    run_id: str
    as_of: date
    gemeente: str
    cases: int
    nieuw: int
    herhaald: int
    crisis: int


class Mail(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    body: str


def run_mail(counts: RunCounts, gemeente_naam: str, page_url: str) -> Mail:
    """The Dutch mail to a gemeente's coordinators that its run is ready: counts and a link."""
    subject = f"Vindplaats: nieuwe signalen voor {gemeente_naam} ({counts.as_of.isoformat()})"
    body = "\n".join(
        [
            "Beste coördinator,",
            "",
            f"De signalen van peildatum {counts.as_of.isoformat()} voor {gemeente_naam} staan klaar.",
            "",
            f"Huishoudens: {counts.cases}",
            f"  waarvan nieuw: {counts.nieuw}",
            f"  waarvan herhaald: {counts.herhaald}",
            f"  waarvan crisis: {counts.crisis}",
            "",
            f"Bekijk ze op {page_url}",
            "",
            "Deze e-mail bevat bewust geen persoonsgegevens.",
            f"Run: {counts.run_id}",
        ]
    )
    return Mail(subject=subject, body=body)


def daily_json(messages: Sequence[SupplierMessage]) -> bytes:
    """A supplier's day of outbox records as a JSON array, the records `GET /api/outbox` returns."""
    return ("[" + ",".join(m.model_dump_json() for m in messages) + "]").encode()


def daily_csv(messages: Sequence[SupplierMessage]) -> bytes:
    """The same records as CSV (`;`-separated, a header line)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DAILY_FIELDS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    for message in messages:
        row = message.model_dump(mode="json")
        writer.writerow({name: "" if row[name] is None else row[name] for name in DAILY_FIELDS})
    return out.getvalue().encode()


class MissingDelivery(BaseModel):
    """A supplier with an active convenant whose last accepted delivery is too long ago (or none)."""

    model_config = ConfigDict(frozen=True)

    leverancier: str
    naam: str
    gemeenten: list[str]
    laatste_levering: date | None
    dagen: int | None  # days since that delivery; None when it never delivered


def missing_deliveries(
    registry: Registry, last_delivered: Mapping[str, date], today: date, days: int = MISSING_AFTER_DAYS
) -> list[MissingDelivery]:
    """Each supplier with a convenant active `today` and no accepted delivery in the last `days`
    days (`last_delivered`: supplier → day of its latest accepted delivery), by id."""
    gemeenten: dict[str, list[str]] = {}
    for convenant in registry.active_convenanten(today):
        gemeenten.setdefault(convenant.leverancier, []).append(convenant.gemeente)
    missing = []
    for leverancier in sorted(gemeenten):
        last = last_delivered.get(leverancier)
        age = None if last is None else (today - last).days
        if age is not None and age <= days:
            continue
        entry = registry.leverancier(leverancier)
        missing.append(
            MissingDelivery(
                leverancier=leverancier,
                naam=entry.naam if entry else leverancier,
                gemeenten=sorted(set(gemeenten[leverancier])),
                laatste_levering=last,
                dagen=age,
            )
        )
    return missing
