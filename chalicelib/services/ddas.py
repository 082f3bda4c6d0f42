"""The DDAS export (ddas.md): a gemeente's signals and cases of a period, for CBS.

A coordinator exports the own gemeente (the API); an operator names one (`vindplaats export
ddas`). Either way the period's published runs (as-of in [van, tot]) are read with their recorded
state, the BSNs only of cases with a signal of a type that may carry one are decrypted, and one
audit event records the export before the document is returned: its period, the number of cases,
signals and contact attempts, and every case id with their SHA-256 (audit.named_ids).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime

from chalicelib.domain.audit import Outcome, Route
from chalicelib.domain.ddas import (
    Contactpersoon,
    DdasExport,
    WorkedRun,
    build_export,
    check_period,
    needs_bsn,
)
from chalicelib.domain.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.domain.identity import Identity, Role
from chalicelib.domain.ids import GEMEENTE_CODE
from chalicelib.ports import CaseStore, Gemeenten
from chalicelib.services.cases import CaseReader

logger = logging.getLogger(__name__)

CLI_ROUTE = "CLI vindplaats export ddas"  # the audit event's route for the operator's command
_FUNCTIE = {Role.COORDINATOR: "Coördinator vroegsignalering", Role.OPERATOR: "Beheerder vindplaats"}


class DdasExporter:
    """Builds and audits DDAS exports over the reader's runs and cases."""

    def __init__(
        self, reader: CaseReader, store: CaseStore, gemeenten: Gemeenten, clock: Callable[[], datetime]
    ) -> None:
        self._reader = reader
        self._store = store
        self._gemeenten = gemeenten
        self._clock = clock

    def for_coordinator(self, viewer: Identity, van: date, tot: date) -> tuple[str, DdasExport]:
        """(filename, export) of the coordinator's own gemeente; Forbidden for any other role."""
        if viewer.role != Role.COORDINATOR or not viewer.gemeente:
            raise Forbidden()  # the route refuses (and audits) other roles before this
        return self._export(viewer, viewer.gemeente, van, tot, Route.EXPORT_DDAS)

    def for_operator(self, operator: Identity, gemeente: str, van: date, tot: date) -> tuple[str, DdasExport]:
        """(filename, export) of a registered gemeente, for the operator's command; NotFound
        (audited) when the gemeente is not registered."""
        if operator.role != Role.OPERATOR:
            raise Forbidden()
        if not GEMEENTE_CODE.fullmatch(gemeente):
            raise InvalidRequest("Een gemeentecode is GM gevolgd door vier cijfers, bijvoorbeeld GM0202.")
        if self._gemeenten.get(gemeente) is None:
            self._reader.auditor.refused(operator, CLI_ROUTE, Outcome.NOT_FOUND)
            raise NotFound(f"Gemeente {gemeente} staat niet in het register.")
        return self._export(operator, gemeente, van, tot, CLI_ROUTE)

    def _export(self, actor: Identity, gemeente: str, van: date, tot: date, route: str) -> tuple[str, DdasExport]:
        check_period(van, tot)
        runs: list[WorkedRun] = []
        bsns: dict[str, dict[int, str]] = {}
        for run in self._reader.published_runs(gemeente):
            if not van <= run.as_of <= tot:
                continue
            cases = self._reader.worked_cases(run.run_id, gemeente)
            runs.append(WorkedRun(run.as_of, cases))
            wanted = [case.id for case in cases if needs_bsn(case)]
            if wanted:  # only these cases' BSNs are decrypted
                bsns.update(self._store.bsns(run.run_id, gemeente, wanted))
        registered = self._gemeenten.get(gemeente)
        export = build_export(
            gemeente=gemeente,
            gemeente_naam=registered.naam if registered else gemeente,
            van=van,
            tot=tot,
            runs=runs,
            bsns=bsns,
            afzender=Contactpersoon(
                naam=actor.display_name or actor.subject, email=actor.email, functietitel=_FUNCTIE.get(actor.role, "")
            ),
            now=self._clock(),
        )
        filters = {
            "gemeente": gemeente,
            "van": van.isoformat(),
            "tot": tot.isoformat(),
            "runs": str(len(runs)),
            "signalen": str(export.signalen),
            "contactpogingen": str(export.contactpogingen),
            "weggelaten": str(export.left_out),
        }
        # Every case id, as the CSV export's event has them: what leaves in a file is named in the log.
        self._reader.auditor.allowed(
            actor, route, case_ids=sorted(export.case_ids), all_ids=True, count=len(export.case_ids), filters=filters
        )
        logger.info(
            "ddas export",
            extra={"gemeente": gemeente, "runs": len(runs), "cases": len(export.case_ids), "signalen": export.signalen},
        )
        return f"ddas-{gemeente}-{van.isoformat()}-{tot.isoformat()}.json", export
