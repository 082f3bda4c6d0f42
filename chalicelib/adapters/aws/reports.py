"""A delivery's validation report in the lake: written by ingest, read by ingest (a retried
delivery), the supplier API, retention (a delivery's peildatum) and the operator's commands.

    lake bucket   reports/<leverancier>/<levering>.json   a delivery's Report (JSON)

No pyarrow here: the API reads reports. They are also the one record of when a supplier
delivered (`last_delivered`): a delivery is an upload whose report is not a rejection, dated by
its levering id (the day its upload was handed out).
"""

from __future__ import annotations

import json
from datetime import date

from botocore.exceptions import ClientError

from chalicelib.adapters.aws.objects import is_missing
from chalicelib.domain.report import Report, Status
from chalicelib.domain.upload import levering_date

_PREFIX = "reports/"


def report_key(leverancier: str, levering: str) -> str:
    return f"{_PREFIX}{leverancier}/{levering}.json"


class S3Reports:
    """Delivery reports, one JSON object each in the lake bucket. `may_list`: whether the
    function's role has s3:ListBucket on the lake (the API and ingest have not: to them a report
    not yet written is a 403 AccessDenied, read as "none yet")."""

    def __init__(self, s3, lake_bucket: str, *, may_list: bool = True) -> None:
        self._s3 = s3
        self._bucket = lake_bucket
        self._may_list = may_list

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
            if is_missing(exc, may_list=self._may_list):
                return None
            raise
        return Report.model_validate(json.loads(body))

    def last_delivered(self) -> dict[str, date]:
        """Per supplier, the day of its latest delivery that was not rejected. Lists `reports/`
        (needs s3:ListBucket there) and reads reports newest first until one was accepted."""
        by_supplier: dict[str, list[str]] = {}
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=_PREFIX):
            for item in page.get("Contents", []):
                leverancier, _, name = item["Key"][len(_PREFIX) :].partition("/")
                if name.endswith(".json") and "/" not in name:
                    by_supplier.setdefault(leverancier, []).append(name[: -len(".json")])
        latest = {}
        for leverancier, leveringen in by_supplier.items():
            for levering in sorted(leveringen, reverse=True):  # the ids sort by time
                day = levering_date(levering)
                report = self.read(leverancier, levering) if day is not None else None
                if day is not None and report is not None and report.status is not Status.REJECTED:
                    latest[leverancier] = day
                    break
        return latest
