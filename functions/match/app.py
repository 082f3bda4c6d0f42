"""Match workflow handlers: the Lambda steps of infra/statemachine/match.asl.json.

Each takes the payload the state machine hands it and returns what the next state selects; the
work is in chalicelib.services.workflow. Only Publish makes a run visible.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from chalicelib import bootstrap
from chalicelib.services import workflow

logger = Logger()
metrics = Metrics()
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class PrepareEvent(BaseModel):
    as_of: date | None = None  # an operator's rerun names its date


class RunEvent(BaseModel):
    """Every step after Prepare gets the run and its date (and more, which it ignores)."""

    run_id: str
    as_of: date


class RetentionEvent(RunEvent):
    failed: bool = False  # the failure path's call: give the run's lock back, remove nothing


E = TypeVar("E", bound=BaseModel)


def step(
    model: type[E], done: str, metric: str
) -> Callable[[Callable[[E], dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """A workflow step's handler: the payload parsed as `model`, Powertools' context and metrics,
    the run id on every log line, one log line `done` with the step's summary, one `metric`."""

    def wrap(work: Callable[[E], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @logger.inject_lambda_context(clear_state=True)
        @metrics.log_metrics
        @functools.wraps(work)
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            parsed = model.model_validate(event)
            if isinstance(parsed, RunEvent):
                logger.append_keys(run_id=parsed.run_id)
            summary = work(parsed)
            logger.info(done, extra={"summary": summary})
            metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
            return summary

        return handler

    return wrap


def _today() -> date:
    return datetime.now(UTC).astimezone(_AMSTERDAM).date()


@step(PrepareEvent, "run prepared", "RunsPrepared")
def prepare(event: PrepareEvent) -> dict[str, Any]:
    """{"as_of"?: "YYYY-MM-DD"} → {"run_id", "as_of", "query", "output"}: an operator's rerun
    names its date, the monthly schedule takes today in the Netherlands."""
    run = workflow.prepare(bootstrap.match(), event.as_of or _today(), datetime.now(UTC))
    return {"run_id": run.run_id, "as_of": run.as_of.isoformat(), "query": run.query, "output": run.output}


@step(RunEvent, "run published", "RunsPublished")
def publish(event: RunEvent) -> dict[str, Any]:
    """{"run_id", "as_of", "output", "query_execution_id"} → a summary (counts, no personal data)."""
    return workflow.publish(bootstrap.match(), event.run_id, event.as_of).model_dump(mode="json")


@step(RetentionEvent, "retention applied", "RetentionRuns")
def retention(event: RetentionEvent) -> dict[str, Any]:
    """{"run_id", "as_of"} → a summary of what was deleted: what is due on the run's own date; the
    run's lock is given back. {"run_id", "as_of", "failed": true} (a failed run) → only the latter."""
    if event.failed:
        return {"run_id": event.run_id, "released": workflow.release(bootstrap.match(), event.run_id)}
    removed = workflow.retention(bootstrap.match(), event.run_id, event.as_of)
    return {"run_id": event.run_id, "removed": removed.model_dump(mode="json")}
