"""Match workflow handlers: the Lambda steps of infra/statemachine/match.asl.json.

Each handler takes the payload the state machine hands it and returns what the next state
selects; the work is in chalicelib.steps. Only Publish makes a run visible.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from chalicelib import steps

logger = Logger()
metrics = Metrics()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def prepare(event: dict, context: LambdaContext) -> dict:
    """{"as_of"?: "YYYY-MM-DD"} → {"run_id", "as_of", "query", "output"}."""
    run = steps.prepare(event)
    logger.info("run prepared", extra={"run_id": run["run_id"], "as_of": run["as_of"]})
    metrics.add_metric(name="RunsPrepared", unit=MetricUnit.Count, value=1)
    return run


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def publish(event: dict, context: LambdaContext) -> dict:
    """{"run_id", "as_of", "output", "query_execution_id"} → a summary (counts, no personal data)."""
    logger.append_keys(run_id=event["run_id"])
    summary = steps.publish(event)
    logger.info("run published", extra={"summary": summary})
    metrics.add_metric(name="RunsPublished", unit=MetricUnit.Count, value=1)
    return summary


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def notify(event: dict, context: LambdaContext) -> dict:
    """{"run_id", "as_of", "publish"} → a summary of the notifications sent."""
    logger.append_keys(run_id=event["run_id"])
    summary = steps.notify(event)
    logger.info("gemeenten notified", extra={"summary": summary})
    metrics.add_metric(name="RunsNotified", unit=MetricUnit.Count, value=1)
    return summary


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def retention(event: dict, context: LambdaContext) -> dict:
    """{"run_id", "as_of"} → a summary of what was deleted."""
    logger.append_keys(run_id=event["run_id"])
    summary = steps.retention(event)
    logger.info("retention applied", extra={"summary": summary})
    metrics.add_metric(name="RetentionRuns", unit=MetricUnit.Count, value=1)
    return summary
