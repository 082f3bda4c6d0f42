"""The parts of an S3 event notification ingest reads (AWS and moto send more; extras are ignored).

Powertools' own S3Model requires fields (userIdentity, requestParameters, ownerIdentity)
that moto's notifications leave out, so ingest parses with this narrower model.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class S3Bucket(_Lenient):
    name: str


class S3Object(_Lenient):
    key: str
    size: int | None = None
    eTag: str | None = None  # noqa: N815 (AWS's field name)
    versionId: str | None = None  # noqa: N815


class S3Entity(_Lenient):
    bucket: S3Bucket
    object: S3Object


class S3EventRecord(_Lenient):
    eventName: str  # noqa: N815
    eventTime: datetime  # noqa: N815
    s3: S3Entity


class S3EventNotification(_Lenient):
    Records: list[S3EventRecord] = []
