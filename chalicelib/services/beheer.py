"""The operators' views: the suppliers that stopped delivering, every run with its counts, the
suppliers' deliveries of a month, what quarantine holds, and the registry.

Ids, dates, codes and counts only: no view shows a name of a person, an address, a klantnummer or
a file's contents. Each request is one audit event with the count it showed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.audit import Route
from chalicelib.domain.beheer import run_failure
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.identity import Identity, Role
from chalicelib.domain.leveringen import maand_prefix, newest_first
from chalicelib.domain.notify import MISSING_AFTER_DAYS, missing_deliveries
from chalicelib.domain.upload import levering_date
from chalicelib.domain.views import (
    BeheerRun,
    BeheerRuns,
    LeverancierMaand,
    Levering,
    LeveringenMaand,
    MissingDeliveries,
    Quarantaine,
    QuarantinedFile,
    Reden,
    Register,
    RegisterConvenant,
    RegisterLeverancier,
)
from chalicelib.ports import Deliveries, Quarantine, RegistrySource, RunRegistry
from chalicelib.services.audit import Auditor
from chalicelib.services.leveranciers import summaries
from chalicelib.services.rules import rule_of

MAX_RUNS = 36  # three years of monthly runs
MAX_MAAND_LEVERINGEN = 100  # per supplier in a month
MAX_QUARANTAINE = 200
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_NO_REASON = Reden(code="reason_unknown", message="Het rapport van deze levering noemt geen reden.")


class BeheerDesk:
    def __init__(
        self,
        registry: RegistrySource,
        deliveries: Deliveries,
        runs: RunRegistry,
        quarantine: Quarantine,
        auditor: Auditor,
        clock: Callable[[], datetime],
    ) -> None:
        self._registry = registry
        self._deliveries = deliveries
        self._runs = runs
        self._quarantine = quarantine
        self._auditor = auditor
        self._clock = clock

    def missing(self, viewer: Identity) -> MissingDeliveries:
        """The suppliers with a convenant active today and no accepted delivery in
        MISSING_AFTER_DAYS days (the rule `vindplaats status` and the daily alarm use)."""
        _operator(viewer)
        today = self._today()
        missing = missing_deliveries(self._registry.registry(), self._deliveries.last_delivered(), today)
        self._auditor.allowed(viewer, Route.MISSING_DELIVERIES, count=len(missing))
        return MissingDeliveries(peildatum=today, dagen=MISSING_AFTER_DAYS, leveranciers=missing)

    def runs(self, viewer: Identity) -> BeheerRuns:
        """The newest MAX_RUNS runs of any status; a stopped unpublished run says so."""
        _operator(viewer)
        now = self._clock()
        runs = self._runs.runs()
        shown = [
            BeheerRun(
                **run.model_dump(),
                cases=sum(run.gemeenten.values()),
                failure=run_failure(run, now),
            )
            for run in runs[:MAX_RUNS]
        ]
        self._auditor.allowed(viewer, Route.BEHEER_RUNS, count=len(shown))
        return BeheerRuns(runs=shown, truncated=len(runs) > MAX_RUNS)

    def leveringen(self, viewer: Identity, maand: str | None) -> LeveringenMaand:
        """Every registered supplier with its deliveries received in `maand` (YYYY-MM; None: this
        month), and whether it ontbreekt today (the missing-deliveries rule, domain.notify)."""
        _operator(viewer)
        today = self._today()
        maand = maand or f"{today:%Y-%m}"
        registry = self._registry.registry()
        last = self._deliveries.last_delivered()
        missing = {entry.leverancier for entry in missing_deliveries(registry, last, today)}
        active = {convenant.leverancier for convenant in registry.active_convenanten(today)}
        leveranciers = []
        for leverancier in sorted(registry.leveranciers, key=lambda entry: entry.id):
            received = newest_first(self._deliveries.leveringen(leverancier.id, maand_prefix(maand)))
            leveranciers.append(
                LeverancierMaand(
                    leverancier=leverancier.id,
                    naam=leverancier.naam,
                    convenant_actief=leverancier.id in active,
                    laatste_levering=last.get(leverancier.id),
                    ontbreekt=leverancier.id in missing,
                    leveringen=[
                        Levering.of(summary, day)
                        for summary, day in summaries(self._deliveries, leverancier.id, received[:MAX_MAAND_LEVERINGEN])
                    ],
                    truncated=len(received) > MAX_MAAND_LEVERINGEN,
                )
            )
        count = sum(len(entry.leveringen) for entry in leveranciers)
        self._auditor.allowed(viewer, Route.BEHEER_LEVERINGEN, count=count, filters={"maand": maand})
        return LeveringenMaand(maand=maand, peildatum=today, dagen=MISSING_AFTER_DAYS, leveranciers=leveranciers)

    def quarantaine(self, viewer: Identity) -> Quarantaine:
        """The newest MAX_QUARANTAINE uploads in quarantine, each with the rejection its report
        gives (code and Dutch message): the reason is in the report, the file only in quarantine."""
        _operator(viewer)
        held = sorted(
            ((q, day) for q in self._quarantine.quarantined() if (day := levering_date(q.upload.levering))),
            key=lambda item: (item[0].upload.levering, item[0].upload.leverancier, item[0].upload.bestand),
            reverse=True,
        )
        shown = []
        for quarantined, day in held[:MAX_QUARANTAINE]:
            upload = quarantined.upload
            summary = self._deliveries.summary(upload.leverancier, upload.levering)
            rejection = summary.rejection if summary is not None else None
            shown.append(
                QuarantinedFile(
                    leverancier=upload.leverancier,
                    levering=upload.levering,
                    bestand=upload.bestand,
                    ontvangen=day,
                    reden=_NO_REASON if rejection is None else Reden(code=rejection.code, message=rejection.message),
                    bytes=quarantined.bytes,
                )
            )
        self._auditor.allowed(viewer, Route.BEHEER_QUARANTAINE, count=len(shown))
        return Quarantaine(bestanden=shown, truncated=len(held) > MAX_QUARANTAINE)

    def register(self, viewer: Identity) -> Register:
        """The registry: gemeenten with their rules, suppliers, convenanten (active today or not)."""
        _operator(viewer)
        today = self._today()
        registry = self._registry.registry()
        self._auditor.allowed(viewer, Route.BEHEER_REGISTER)
        return Register(
            peildatum=today,
            gemeenten=[rule_of(gemeente) for gemeente in registry.gemeenten],
            leveranciers=[
                RegisterLeverancier(
                    id=entry.id,
                    naam=entry.naam,
                    signaaltype=entry.signaaltype,
                    max_fout_percentage=entry.max_fout_percentage,
                )
                for entry in registry.leveranciers
            ],
            convenanten=[
                RegisterConvenant(
                    gemeente=convenant.gemeente,
                    leverancier=convenant.leverancier,
                    vanaf=convenant.vanaf,
                    tot=convenant.tot,
                    actief=convenant.active_on(today),
                )
                for convenant in registry.convenanten
            ],
        )

    def _today(self) -> date:
        return self._clock().astimezone(_AMSTERDAM).date()


def _operator(viewer: Identity) -> None:
    if viewer.role != Role.OPERATOR:
        raise Forbidden()
