"""Notify handler: SQS batches from the notify queue → suppliers' outboxes, gemeenten's mail,
and the daily check for suppliers that stopped delivering (chalicelib.services.notify).

No pyarrow: this function has no requirements.txt, only the SharedLayer (tests/unit/test_packaging.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field, TypeAdapter

from chalicelib import bootstrap
from chalicelib.domain.casework import SupplierMessage
from chalicelib.services import notify
from chalicelib.services.notify import RunPublished

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class Told(BaseModel):
    leverancier: str
    bericht: SupplierMessage


class SuppliersTold(BaseModel):
    soort: Literal["leveranciers"]
    berichten: list[Told]


class RunPublishedEvent(BaseModel):
    soort: Literal["run_gepubliceerd"]
    publish: RunPublished


class Daily(BaseModel):
    soort: Literal["dagelijks"]


Event = TypeAdapter(Annotated[SuppliersTold | RunPublishedEvent | Daily, Field(discriminator="soort")])


def record_handler(record: SQSRecord) -> None:
    event = Event.validate_json(record.body)
    deps = bootstrap.notify()
    if isinstance(event, SuppliersTold):
        written = notify.tell_suppliers(deps.outbox, [(t.leverancier, t.bericht) for t in event.berichten])
        metrics.add_metric(name="SupplierMessages", unit=MetricUnit.Count, value=written)
    elif isinstance(event, RunPublishedEvent):
        mailed = notify.mail_run(deps, event.publish)
        metrics.add_metric(name="GemeentenMailed", unit=MetricUnit.Count, value=mailed.mailed)
    else:
        daily()


def daily() -> None:
    """The daily check: one metric per supplier that stopped delivering, and their number."""
    deps = bootstrap.notify()
    today = datetime.now(UTC).astimezone(_AMSTERDAM).date()
    missing = notify.suppliers_missing(deps.registry, deps.deliveries, today)
    metrics.add_metric(name="SuppliersWithoutDelivery", unit=MetricUnit.Count, value=len(missing))
    for entry in missing:
        days = entry.dagen if entry.dagen is not None else -1  # -1: never delivered
        with single_metric(name="DaysWithoutDelivery", unit=MetricUnit.Count, value=days) as metric:
            metric.add_dimension(name="leverancier", value=entry.leverancier)
    logger.info("deliveries checked", extra={"missing": [m.leverancier for m in missing]})


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
