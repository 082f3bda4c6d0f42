"""A delivery's validation report in the lake: written by ingest, read by ingest (a retried
delivery), the supplier API, retention (a delivery's peildatum) and the operator's commands.

    lake bucket   reports/<leverancier>/<levering>.json   a delivery's Report (JSON)

No pyarrow here: the API reads reports.
"""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from chalicelib.adapters.aws.objects import is_missing
from chalicelib.domain.report import Report


def report_key(leverancier: str, levering: str) -> str:
    return f"reports/{leverancier}/{levering}.json"


class S3Reports:
    """Delivery reports, one JSON object each in the lake bucket."""

    def __init__(self, s3, lake_bucket: str) -> None:
        self._s3 = s3
        self._bucket = lake_bucket

    def write(self, report: Report) -> str:
        """Store (or replace) the report of its delivery; returns the key."""
        key = report_key(report.leverancier, report.levering)
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=report.model_dump_json().encode(),
            ContentType="application/json",
        )
        return key

    def read(self, leverancier: str, levering: str) -> Report | None:
        """The delivery's report; None when ingest has not written one."""
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=report_key(leverancier, levering))["Body"].read()
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        return Report.model_validate(json.loads(body))
