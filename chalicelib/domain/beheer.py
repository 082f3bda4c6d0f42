"""What operators are told about runs that the run registry does not record itself.

Pure: the time is an argument.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.cases import RunInfo, RunStatus

# A run publishes within minutes and holds its lock six hours at most (services.workflow.RUN_LOCK);
# one still publishing a day after it began has stopped. Nothing records why: the workflow's
# failure path reports the error to the alarm topic only.
STOPPED_AFTER = timedelta(days=1)
NOT_PUBLISHED = "niet gepubliceerd"


def run_failure(run: RunInfo, now: datetime) -> str | None:
    """Why the run is not published, in Dutch, when it has stopped; None while it may still be
    publishing and for a published run."""
    if run.status is RunStatus.PUBLISHED or run.begun_at is None:
        return None
    return NOT_PUBLISHED if now - run.begun_at > STOPPED_AFTER else None
