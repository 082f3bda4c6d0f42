"""The composition root: builds the adapters from Settings, once per cold start.

boto3 honours AWS_ENDPOINT_URL, so the same root serves AWS and the local stack (moto).
"""

from functools import lru_cache

import boto3
from botocore.config import Config

from chalicelib.adapters.aws.sources import DynamoRegistrySource, S3ReferenceSource
from chalicelib.adapters.aws.storage import S3Lake, S3Uploads
from chalicelib.adapters.aws.vault import KmsVault
from chalicelib.config import Settings, settings
from chalicelib.domain.signals import Pseudonymiser
from chalicelib.services.ingest import IngestDeps

_S3_CONFIG = Config(signature_version="s3v4", retries={"mode": "standard"})


@lru_cache(maxsize=1)
def session() -> boto3.session.Session:
    return boto3.session.Session()


def s3_client():
    return session().client("s3", config=_S3_CONFIG)


def pseudonym_key(config: Settings) -> bytes:
    secret = session().client("secretsmanager").get_secret_value(SecretId=config.pseudonym_secret_id)
    return secret["SecretString"].encode("utf-8")


@lru_cache(maxsize=1)
def ingest_deps() -> IngestDeps:
    config = settings()
    s3 = s3_client()
    return IngestDeps(
        uploads=S3Uploads(s3, config.upload_bucket),
        lake=S3Lake(s3, config.lake_bucket),
        vault=KmsVault(s3, session().client("kms"), config.vault_bucket, config.vault_key_id),
        registry=DynamoRegistrySource(session().resource("dynamodb").Table(config.registry_table)),
        reference=S3ReferenceSource(s3, config.lake_bucket),
        pseudonymiser=Pseudonymiser(pseudonym_key(config)),
    )
