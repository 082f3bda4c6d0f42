"""S3 adapters for uploads (incoming and quarantine) and the lake (signals and reports)."""

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError

from chalicelib.adapters.aws.casework import report_key
from chalicelib.domain.report import Report
from chalicelib.domain.upload import UploadKey


# Dictionary-encoding the unique columns (pseudonym, regel) only to fall back costs time.
_LOW_CARDINALITY = ["levering", "leverancier", "gemeente", "wijk", "buurt", "signaaltype"]




def signals_key(peildatum: str, leverancier: str, levering: str) -> str:
    """Hive-style partition by peildatum, so the monthly query prunes by date."""
    return f"signals/peildatum={peildatum}/{leverancier}_{levering}.parquet"


class S3Uploads:
    def __init__(self, s3, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def size(self, key: str) -> int | None:
        try:
            return self._s3.head_object(Bucket=self._bucket, Key=key)["ContentLength"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def read(self, key: str) -> bytes:
        return self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()

    def quarantine(self, key: str, upload: UploadKey, reason: str) -> str:
        target = upload.quarantine_key()
        self._s3.copy_object(
            Bucket=self._bucket,
            Key=target,
            CopySource={"Bucket": self._bucket, "Key": key},
            Metadata={"reden": reason},
            MetadataDirective="REPLACE",
        )
        self.delete(key)
        return target

    def delete(self, key: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=key)


class S3Lake:
    def __init__(self, s3, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def write_signals(self, signals: pa.Table, *, peildatum: str, leverancier: str, levering: str) -> str:
        key = signals_key(peildatum, leverancier, levering)
        body = io.BytesIO()
        pq.write_table(signals.drop_columns(["peildatum"]), body, compression="zstd", use_dictionary=_LOW_CARDINALITY)
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body.getvalue(), ContentType="application/vnd.apache.parquet")
        return key

    def write_report(self, report: Report) -> str:
        key = report_key(report.leverancier, report.levering)
        self._s3.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=report.model_dump_json().encode(),
            ContentType="application/json",
        )
        return key

    def read_report(self, leverancier: str, levering: str) -> Report | None:
        try:
            body = self._s3.get_object(Bucket=self._bucket, Key=report_key(leverancier, levering))["Body"].read()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        return Report.model_validate(json.loads(body))
