"""The coordinator's reports: the filtered list as a CSV for a wijkteam (audited), and counts
for the gemeente with small cells suppressed.

Both read the run's worked cases through the CaseReader, so tenant, scope and filters are the
list's own. The CSV holds no contact data; a cell a spreadsheet would read as a formula is
neutralised with a leading quote (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable

from chalicelib.domain.audit import Route
from chalicelib.domain.caselist import CaseFilter, filter_cases, filter_summary, in_scope
from chalicelib.domain.cases import Case
from chalicelib.domain.errors import Forbidden, RunNotFound
from chalicelib.domain.identity import Identity, Role
from chalicelib.domain.views import Count, Stats
from chalicelib.services.cases import CaseReader

SUPPRESS_BELOW = 5
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EXPORT_COLUMNS = (
    "case_id",
    "wijk",
    "wijk_naam",
    "buurt",
    "buurt_naam",
    "postcode",
    "huisnummer",
    "huisletter",
    "toevoeging",
    "aantal_leveranciers",
    "totaal_bedrag",
    "oudste_achterstand",
    "herhaald",
    "crisis",
    "status",
    "team",
    "leveranciers",
)


def neutralised(cell: str) -> str:
    """The cell with a leading `'` when a spreadsheet would start a formula with it."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def export_row(case: Case) -> list[str]:
    """One case as the export's cells, each neutralised; no contact data, no klantnummer."""
    cells = (
        case.id,
        case.wijk.code,
        case.wijk.naam,
        case.buurt.code,
        case.buurt.naam,
        case.adres.postcode,
        "" if case.adres.huisnummer is None else str(case.adres.huisnummer),
        case.adres.huisletter,
        case.adres.toevoeging,
        str(case.aantal_leveranciers),
        f"{case.totaal_bedrag:.2f}",
        case.oudste_achterstand.isoformat(),
        _flag(case.herhaald),
        _flag(case.crisis),
        case.status,
        case.team or "",
        ";".join(sorted({s.leverancier for s in case.signalen})),
    )
    return [neutralised(cell) for cell in cells]


def export_csv(cases: Iterable[Case]) -> str:
    """The cases as CSV text with a header row (RFC 4180 quoting, CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_row(case) for case in cases)
    return out.getvalue()


def suppressed(counter: Counter[str]) -> dict[str, Count]:
    return {key: _count(value) for key, value in sorted(counter.items())}


def _count(value: int) -> Count:
    if value < SUPPRESS_BELOW:
        return Count(count=None, suppressed=True)
    return Count(count=value, suppressed=False)


def _flag(value: bool) -> str:
    return "ja" if value else "nee"


class CaseOverview:
    """The export and the stats over the reader's cases; both for a coordinator only."""

    def __init__(self, reader: CaseReader) -> None:
        self._reader = reader

    def export(self, viewer: Identity, run_id: str | None, wanted: CaseFilter) -> tuple[str, str]:
        """(filename, CSV text) of the run's cases passing the filters, in rank order. One audit
        event records the export, its filters, its row count and every case id in it before the
        text is returned: what leaves in a file is named in the log, as a list page's ids are."""
        gemeente = _coordinator_gemeente(viewer)
        run = self._reader.run_for(viewer, run_id, Route.EXPORT)
        if run is None:
            raise RunNotFound()
        visible = [c for c in self._reader.worked_cases(run.run_id, gemeente) if in_scope(c, viewer)]
        chosen = filter_cases(visible, wanted)
        text = export_csv(chosen)
        self._reader.auditor.allowed(
            viewer,
            Route.EXPORT,
            case_ids=[case.id for case in chosen],
            all_ids=True,
            run=run.run_id,
            count=len(chosen),
            filters=filter_summary(wanted),
        )
        return f"cases-{gemeente}-{run.run_id}.csv", text

    def stats(self, viewer: Identity, run_id: str | None) -> Stats:
        """Counts of the run's cases per dimension, and per month the published runs' counts up
        to the run (from the registry's per-gemeente counts, so no older run is read)."""
        gemeente = _coordinator_gemeente(viewer)
        run = self._reader.run_for(viewer, run_id, Route.STATS)
        cases = [] if run is None else self._reader.worked_cases(run.run_id, gemeente)
        counts: dict[str, Counter[str]] = {
            name: Counter() for name in ("wijk", "signaaltype", "leverancier", "status", "resultaat")
        }
        for case in cases:
            counts["wijk"][case.wijk.code] += 1
            counts["signaaltype"].update({s.signaaltype for s in case.signalen})
            counts["leverancier"].update({s.leverancier for s in case.signalen})
            counts["status"][case.status] += 1
            if case.resultaat is not None:
                counts["resultaat"][case.resultaat] += 1
        maand: Counter[str] = Counter()
        if run is not None:
            for published in self._reader.published_runs(gemeente):
                if published.as_of <= run.as_of:
                    maand[f"{published.as_of:%Y-%m}"] += published.gemeenten.get(gemeente, 0)
        return Stats(
            run=run.run_id if run else None,
            as_of=run.as_of if run else None,
            threshold=SUPPRESS_BELOW,
            total=_count(len(cases)),
            maand=suppressed(maand),
            **{name: suppressed(counter) for name, counter in counts.items()},
        )


def _coordinator_gemeente(viewer: Identity) -> str:
    if viewer.role != Role.COORDINATOR or not viewer.gemeente:
        raise Forbidden()
    return viewer.gemeente
