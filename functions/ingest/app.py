"""Ingest handler: SQS batches of S3 events → one ingest per uploaded object."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from chalicelib import bootstrap
from chalicelib.adapters.aws.events import S3EventNotification
from chalicelib.domain.report import Report
from chalicelib.services.ingest import Upload, ingest_upload

logger = Logger()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
idempotency = IdempotencyConfig(expires_after_seconds=7 * 24 * 3600)
persistence = DynamoDBPersistenceLayer(table_name=bootstrap.settings().idempotency_table)
_AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class ObjectVersion(BaseModel):
    """What makes an upload unique: the idempotency key."""

    bucket: str
    key: str
    version: str | None
    etag: str | None
    event_time: datetime


class Ingested(BaseModel):
    leverancier: str
    levering: str
    status: str


@idempotent_function(
    data_keyword_argument="obj",
    config=idempotency,
    persistence_store=persistence,
    output_serializer=PydanticSerializer(model=Ingested),
)
def ingest_object(obj: ObjectVersion) -> Ingested:
    today = datetime.now(UTC).astimezone(_AMSTERDAM).date()
    upload_date = obj.event_time.astimezone(_AMSTERDAM).date()
    report = ingest_upload(Upload(obj.key, obj.event_time), bootstrap.ingest(), upload_date=upload_date, today=today)
    _observe(report)
    return Ingested(leverancier=report.leverancier, levering=report.levering, status=report.status.value)


def _observe(report: Report) -> None:
    logger.info(
        "delivery ingested",
        extra={
            "leverancier": report.leverancier,
            "levering": report.levering,
            "status": report.status.value,
            "counts": report.counts.model_dump(),
        },
    )
    metrics.add_metric(name=f"Deliveries_{report.status.value}", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="RowsAccepted", unit=MetricUnit.Count, value=report.counts.accepted)
    metrics.add_metric(name="RowsRejected", unit=MetricUnit.Count, value=report.counts.rejected)


def record_handler(record: SQSRecord) -> None:
    event = parse(event=record.body, model=S3EventNotification)
    for item in event.Records:
        ingest_object(
            obj=ObjectVersion(
                bucket=item.s3.bucket.name,
                key=unquote_plus(item.s3.object.key),
                version=item.s3.object.versionId,
                etag=item.s3.object.eTag,
                event_time=item.eventTime,
            )
        )


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict, context: LambdaContext) -> dict:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
