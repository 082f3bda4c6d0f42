"""A delivery's validation report in the lake: written by ingest, read by ingest (a retried
delivery), the supplier API, retention (a delivery's peildatum) and the operator's commands.

    lake bucket   reports/<leverancier>/<levering>.json   a delivery's Report (JSON)

No pyarrow here: the API reads reports. They are also the one record of what a supplier
delivered (`leveringen`, `summary`) and when (`last_delivered`): a delivery is an upload whose
report is not a rejection, dated by its levering id (the day its upload was handed out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

from botocore.exceptions import ClientError
from pydantic import ValidationError

from chalicelib.adapters.aws.objects import is_missing
from chalicelib.domain.report import Report, ReportSummary, Status
from chalicelib.domain.upload import levering_date

_PREFIX = "reports/"
# A report is stored as Report.model_dump_json writes it: every field before its finding lists,
# so a summary is in the first bytes. A bestand is at most 100 characters and a rejection's
# message a few hundred; the lists of a rejected file can make the whole report a megabyte.
_HEAD_BYTES = 16 * 1024
_LISTS = b',"errors":'  # an unescaped quote: only the report's own key, never inside a string


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

    def leveringen(self, leverancier: str, prefix: str = "") -> list[str]:
        """The supplier's levering ids with a report that start with `prefix`, oldest first
        (lists reports/<leverancier>/<prefix>: needs s3:ListBucket there)."""
        return sorted(levering for _, levering in self._listed(f"{leverancier}/{prefix}"))

    def summary(self, leverancier: str, levering: str) -> ReportSummary | None:
        """The report without its findings, from its first bytes (the whole report when they do
        not hold it); None when there is none."""
        try:
            head = self._s3.get_object(
                Bucket=self._bucket, Key=report_key(leverancier, levering), Range=f"bytes=0-{_HEAD_BYTES - 1}"
            )["Body"].read()
        except ClientError as exc:
            if is_missing(exc, may_list=self._may_list):
                return None
            raise
        cut = head.find(_LISTS)
        if cut != -1:
            try:
                return ReportSummary.model_validate_json(head[:cut] + b"}")
            except ValidationError:
                pass  # not written as Report writes it now: read it whole
        report = self.read(leverancier, levering)
        return None if report is None else ReportSummary.of(report)

    def last_delivered(self) -> dict[str, date]:
        """Per supplier, the day of its latest delivery that was not rejected. Lists `reports/`
        (needs s3:ListBucket there) and reads summaries newest first until one was accepted."""
        by_supplier: dict[str, list[str]] = {}
        for leverancier, levering in self._listed(""):
            by_supplier.setdefault(leverancier, []).append(levering)
        latest = {}
        for leverancier, leveringen in by_supplier.items():
            for levering in sorted(leveringen, reverse=True):  # the ids sort by time
                day = levering_date(levering)
                summary = self.summary(leverancier, levering) if day is not None else None
                if day is not None and summary is not None and summary.status is not Status.REJECTED:
                    latest[leverancier] = day
                    break
        return latest

    def _listed(self, prefix: str) -> Iterator[tuple[str, str]]:
        """(leverancier, levering) of every report under reports/<prefix>."""
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=_PREFIX + prefix):
            for item in page.get("Contents", []):
                leverancier, _, name = item["Key"][len(_PREFIX) :].partition("/")
                if name.endswith(".json") and "/" not in name:
                    yield leverancier, name[: -len(".json")]
