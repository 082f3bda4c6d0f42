"""The API's composition root: its dependencies, built from the environment once per cold start.

Tests (and the local stack) replace them with `override(ApiDeps(...))` or `overridden(...)`;
nothing else in the API knows which ones are in use. Building touches no network: the JWKS is
fetched on the first token, the case store on the first case request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol

from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.api.audit import AuditLog
from chalicelib.api.cases import CaseReader, CaseStates, CaseStore, RunRegistry, Viewer
from chalicelib.api.casework import CaseStateWriter, CaseWriter, SupplierOutbox
from chalicelib.api.settings import Gemeenten, SettingsDesk
from chalicelib.api.suppliers import OutboxReader, Presigner, Reports, SupplierDesk

# `(Authorization header or None) -> the caller`; raises identity.Unauthorized or Forbidden.
Authenticator = Callable[[str | None], Viewer]


class ApiSettings(BaseSettings):
    """What the API needs beyond chalicelib.config.Settings: `VINDPLAATS_AUDIT_BUCKET`."""

    model_config = SettingsConfigDict(env_prefix="VINDPLAATS_", frozen=True, extra="ignore")

    audit_bucket: str


@dataclass(frozen=True)
class ApiDeps:
    authenticate: Authenticator
    reader: CaseReader
    writer: CaseWriter | None = None  # None: the write routes answer 500 (a read-only setup)
    suppliers: SupplierDesk | None = None
    settings: SettingsDesk | None = None  # None: the settings routes answer 500


class CaseStateStore(CaseStates, CaseStateWriter, Protocol):
    """Reads (one Query per gemeente and run) and point writes of case state."""


class Outbox(SupplierOutbox, OutboxReader, Protocol):
    """The suppliers' outbox: written by the gemeente's routes, read by the supplier's."""


def build_deps(
    authenticate: Authenticator,
    store: CaseStore,
    runs: RunRegistry,
    audit: AuditLog,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    *,
    states: CaseStateStore | None = None,
    outbox: Outbox | None = None,
    presign: Presigner | None = None,
    reports: Reports | None = None,
    gemeenten: Gemeenten | None = None,
) -> ApiDeps:
    """The API's dependencies from its ports; the one constructor tests and AWS share. Without
    `states` and `outbox` the API is read-only; without `presign` and `reports` it has no
    supplier side; without `gemeenten` (the registry's rules) no settings."""
    reader = CaseReader(store, runs, audit, clock, states)
    writer = None if states is None or outbox is None else CaseWriter(reader, states, outbox, clock)
    suppliers = (
        None if presign is None or reports is None or outbox is None
        else SupplierDesk(presign, reports, outbox, audit, clock)
    )
    settings = None if gemeenten is None else SettingsDesk(gemeenten, audit, clock)
    return ApiDeps(authenticate=authenticate, reader=reader, writer=writer, suppliers=suppliers, settings=settings)


_override: ApiDeps | None = None


def api_deps() -> ApiDeps:
    """The dependencies in use: the override when set, else the AWS ones (built once)."""
    return _override if _override is not None else aws_deps()


def override(deps: ApiDeps | None) -> None:
    """Use `deps` for every request from now on; None goes back to the AWS ones."""
    global _override
    _override = deps


@contextmanager
def overridden(deps: ApiDeps) -> Iterator[ApiDeps]:
    previous = _override
    override(deps)
    try:
        yield deps
    finally:
        override(previous)


@lru_cache(maxsize=1)
def aws_deps() -> ApiDeps:
    import boto3
    from botocore.config import Config

    from chalicelib.adapters.aws.cases import S3CaseStore
    from chalicelib.adapters.aws.runs import DynamoRunRegistry
    from chalicelib.adapters.aws.case_states import DynamoCaseStates
    from chalicelib.adapters.aws.outbox import S3SupplierOutbox
    from chalicelib.adapters.aws.reports import S3Reports
    from chalicelib.adapters.aws.jwks import AuthSettings
    from chalicelib.adapters.aws.registry import DynamoGemeenten
    from chalicelib.api.audit import S3AuditLog
    from chalicelib.config import settings
    from chalicelib.services.uploads import presign_upload

    config = settings()
    session = boto3.session.Session()
    s3 = session.client("s3", config=Config(signature_version="s3v4", retries={"mode": "standard"}))
    dynamodb = session.resource("dynamodb")
    table = dynamodb.Table(config.cases_table)

    def presign(leverancier: str, filename: str, size: int, now: datetime):
        return presign_upload(s3, config.upload_bucket, leverancier=leverancier, filename=filename, size=size, now=now)

    return build_deps(
        authenticate=AuthSettings().verifier().identity,
        store=S3CaseStore(s3, session.client("kms"), config.vault_bucket, config.vault_key_id),
        runs=DynamoRunRegistry(table),
        audit=S3AuditLog(s3, ApiSettings().audit_bucket),
        states=DynamoCaseStates(table),
        outbox=S3SupplierOutbox(s3, config.lake_bucket),
        presign=presign,
        reports=S3Reports(s3, config.lake_bucket),
        gemeenten=DynamoGemeenten(dynamodb.Table(config.registry_table)),
    )
