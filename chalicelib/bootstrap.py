"""The composition root: builds the adapters from Settings, once per cold start.

boto3 honours AWS_ENDPOINT_URL, so the same root serves AWS and the local stack (moto).
"""

import os
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlparse

import boto3
from botocore.config import Config

from chalicelib.adapters.aws.lake import S3Lake
from chalicelib.adapters.aws.reference import S3ReferenceSource
from chalicelib.adapters.aws.registry import DynamoRegistrySource
from chalicelib.adapters.aws.uploads import S3Uploads
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


def lake_filesystem():
    """pyarrow's S3 filesystem, pointed at AWS_ENDPOINT_URL when set (the local stack)."""
    import pyarrow.fs as pafs

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    region = session().region_name or os.environ.get("AWS_REGION", "eu-west-1")
    if not endpoint:
        return pafs.S3FileSystem(region=region)
    url = urlparse(endpoint)
    credentials = session().get_credentials()
    return pafs.S3FileSystem(
        endpoint_override=url.netloc, scheme=url.scheme, region=region,
        access_key=credentials.access_key, secret_key=credentials.secret_key,
    )


@dataclass(frozen=True)
class MatchDeps:
    """What the match workflow's steps use; built once per cold start."""

    settings: Settings
    s3: object
    registry: DynamoRegistrySource
    reference: S3ReferenceSource
    parameters: object
    runs: object
    run_lake: object
    store: object
    vault: KmsVault
    vault_index: object
    outbox: object


@lru_cache(maxsize=1)
def match_deps() -> MatchDeps:
    from chalicelib.adapters.aws.cases import S3CaseStore
    from chalicelib.adapters.aws.outbox import S3GemeenteOutbox
    from chalicelib.adapters.aws.runs import DynamoRunRegistry, S3RunLake
    from chalicelib.adapters.aws.vault import S3VaultIndex
    from chalicelib.adapters.aws.parameters import S3GlueParameters

    config = settings()
    s3 = s3_client()
    kms = session().client("kms")
    dynamodb = session().resource("dynamodb")
    return MatchDeps(
        settings=config,
        s3=s3,
        registry=DynamoRegistrySource(dynamodb.Table(config.registry_table), max_age_seconds=0),
        reference=S3ReferenceSource(s3, config.lake_bucket),
        parameters=S3GlueParameters(s3, session().client("glue"), config.lake_bucket, config.glue_database),
        runs=DynamoRunRegistry(dynamodb.Table(config.cases_table)),
        run_lake=S3RunLake(s3, config.lake_bucket),
        store=S3CaseStore(s3, kms, config.vault_bucket, config.vault_key_id),
        vault=KmsVault(s3, kms, config.vault_bucket, config.vault_key_id),
        vault_index=S3VaultIndex(s3, config.vault_bucket, config.lake_bucket),
        outbox=S3GemeenteOutbox(s3, config.lake_bucket),
    )


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
