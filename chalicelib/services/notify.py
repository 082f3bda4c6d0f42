"""Tell each gemeente that a new run is ready (product.md, flow step 6): counts only.

The message goes into mail, so it carries nothing about a household: the run, its as-of date
and how many cases the gemeente has, new and herhaald, and in crisis. Suppliers' messages
(approached customers, outcomes) come with the API's case actions.
"""

from __future__ import annotations

from typing import Any

from chalicelib.ports import Notifier
from chalicelib.services.publish import PublishedRun


def gemeente_message(published: PublishedRun, gemeente: str) -> dict[str, Any]:
    """The counts-only message for one gemeente of a published run."""
    counts = published.gemeenten[gemeente]
    return {
        "soort": "run_gepubliceerd",
        "run": published.run_id,
        "as_of": published.as_of.isoformat(),
        "gemeente": gemeente,
        "aantal_cases": counts.cases,
        "nieuw": counts.nieuw,
        "herhaald": counts.herhaald,
        "crisis": counts.crisis,
    }


def notify_run(published: PublishedRun, notifier: Notifier) -> int:
    """Send every gemeente counted in the run its message (also when it has no cases); returns
    the number sent. Sending again overwrites: one message per gemeente and run."""
    for gemeente in sorted(published.gemeenten):
        notifier.send(gemeente, published.run_id, gemeente_message(published, gemeente))
    return len(published.gemeenten)
