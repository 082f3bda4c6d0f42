"""The notify function's work (product.md, step 6): suppliers' outbox entries and daily files
from the case events the API queues, the gemeenten's mail when a run is published, and the
suppliers with a convenant that stopped delivering.

Every consumer here is idempotent, because SQS delivers at least once and an operator may
redrive a dead-letter queue: an outbox entry's key is its message's stable id (a second delivery
overwrites it), a day's files are rebuilt from the day's entries, and a gemeente's mail is sent
only after its (gemeente, run) record was newly written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.casework import SupplierMessage
from chalicelib.domain.notify import MissingDelivery, RunCounts, missing_deliveries, run_mail
from chalicelib.ports import (
    Coordinators,
    Deliveries,
    Mailer,
    RegistrySource,
    RunMailLog,
    SupplierOutbox,
)

logger = logging.getLogger(__name__)
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Counts(BaseModel):
    """A gemeente's counts as Publish reports them (services.publish.GemeenteCounts, read
    without pyarrow)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    cases: int = 0
    nieuw: int = 0
    herhaald: int = 0
    crisis: int = 0


class RunPublished(BaseModel):
    """The workflow's Notify step: the Publish summary of a run (counts only)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    run_id: str
    as_of: date
    gemeenten: dict[str, Counts] = Field(default_factory=dict)


@dataclass(frozen=True)
class NotifyDeps:
    outbox: SupplierOutbox
    mail_log: RunMailLog
    coordinators: Coordinators
    mailer: Mailer
    registry: RegistrySource
    deliveries: Deliveries
    page_url: str


def tell_suppliers(outbox: SupplierOutbox, messages: Sequence[tuple[str, SupplierMessage]]) -> int:
    """Write each (leverancier, message) to the supplier's outbox, then rebuild the daily files of
    every (supplier, day) touched from that day's entries; returns the entries written."""
    outbox.send(messages)
    for leverancier, datum in sorted({(leverancier, message.datum) for leverancier, message in messages}):
        rebuild_day(outbox, leverancier, datum)
    return len(messages)


def rebuild_day(outbox: SupplierOutbox, leverancier: str, datum: date) -> list[str]:
    """The supplier's CSV and JSON file of `datum`, written from the entries of that day."""
    return outbox.write_daily(leverancier, datum, outbox.day(leverancier, datum))


@dataclass(frozen=True)
class Mailed:
    mailed: int = 0  # gemeenten mailed now
    already: int = 0  # gemeenten this run had mailed before (a redelivery)
    without_recipients: int = 0


def mail_run(deps: NotifyDeps, published: RunPublished) -> Mailed:
    """Mail each gemeente of the run with coordinators its counts and a link, once per
    (gemeente, run): a gemeente whose record exists is skipped; a failed send removes the record
    again and raises, so the redelivery tries it anew."""
    registry = deps.registry.registry()
    mailed = already = nobody = 0
    for code in sorted(published.gemeenten):
        counts = published.gemeenten[code]
        run_counts = RunCounts(run_id=published.run_id, as_of=published.as_of, gemeente=code, **counts.model_dump())
        to = deps.coordinators.addresses(code)
        if not to:
            nobody += 1
            continue
        record = {**run_counts.model_dump(mode="json"), "ontvangers": len(to)}
        if not deps.mail_log.claim(code, published.run_id, record):
            already += 1
            continue
        gemeente = registry.gemeente(code)
        mail = run_mail(run_counts, gemeente.naam if gemeente else code, deps.page_url)
        try:
            deps.mailer.send(to, mail.subject, mail.body)
        except Exception:
            deps.mail_log.release(code, published.run_id)
            raise
        mailed += 1
    logger.info(
        "run mailed", extra={"run_id": published.run_id, "mailed": mailed, "already": already, "without": nobody}
    )
    return Mailed(mailed=mailed, already=already, without_recipients=nobody)


def suppliers_missing(registry: RegistrySource, deliveries: Deliveries, today: date) -> list[MissingDelivery]:
    """Suppliers with a convenant active `today` and no accepted delivery in 35 days."""
    return missing_deliveries(registry.registry(), deliveries.last_delivered(), today)
