"""The composition root: every runtime's dependencies, built from `Settings` in one place.

AWS and the local stack differ only in endpoint: boto3 honours `AWS_ENDPOINT_URL` (the local
stack sets it to moto), and `Aws` takes an explicit one for the `vindplaats` commands. Each
function builds what it needs once per cold start (`ingest()`, `match()`, `notify()`, `api()`); `reset()`
forgets it all, as a new cold start would (the local runtime calls it when a function starts
against another stack), and `use(api=...)` puts a test's (or the local API's) dependencies in use.
Nothing else knows which runtime it is in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

from chalicelib.api.page import SignInConfig
from chalicelib.config import ApiSettings, NotifySettings, PageSettings, Settings, SignIn
from chalicelib.domain.audit import RefusalLimit
from chalicelib.domain.casework import MAX_CONTACTPOGINGEN
from chalicelib.domain.retention import RetentionPeriods
from chalicelib.ports import (
    AuditLog,
    Authenticator,
    CaseStates,
    CaseStore,
    Deliveries,
    Gemeenten,
    IncomingUploads,
    NotifyEvents,
    Presigner,
    Quarantine,
    RefusalCounter,
    RegistrySource,
    Reports,
    RunRegistry,
    SupplierOutbox,
)
from chalicelib.services.audit import Auditor
from chalicelib.services.beheer import BeheerDesk
from chalicelib.services.cases import CaseReader
from chalicelib.services.casework import CaseWriter
from chalicelib.services.ddas import DdasExporter
from chalicelib.services.leveranciers import LeverancierDesk
from chalicelib.services.overview import CaseOverview
from chalicelib.services.rules import MatchingRules

if TYPE_CHECKING:  # loaded when used: pyarrow is not in the API function, boto3 costs its cold start
    import boto3

    from chalicelib.adapters.aws.jwks import TokenVerifier
    from chalicelib.services.ingest import IngestDeps
    from chalicelib.services.notify import NotifyDeps
    from chalicelib.services.workflow import MatchDeps


class Aws:
    """boto3 clients and resources of one session, each made once; `endpoint_url` None means
    what boto3 decides (AWS, or `AWS_ENDPOINT_URL` when set)."""

    def __init__(self, session: boto3.session.Session | None = None, endpoint_url: str | None = None) -> None:
        import boto3

        self.session = session or boto3.session.Session()
        self.endpoint_url = endpoint_url
        self._made: dict[tuple[str, str], Any] = {}

    def client(self, service: str) -> Any:
        key = ("client", service)
        if key not in self._made:
            from botocore.config import Config

            config = Config(signature_version="s3v4", retries={"mode": "standard"}) if service == "s3" else None
            self._made[key] = self.session.client(service, endpoint_url=self.endpoint_url, config=config)
        return self._made[key]

    def resource(self, service: str) -> Any:
        key = ("resource", service)
        if key not in self._made:
            self._made[key] = self.session.resource(service, endpoint_url=self.endpoint_url)
        return self._made[key]

    def table(self, name: str) -> Any:
        return self.resource("dynamodb").Table(name)

    def lake_filesystem(self) -> Any:
        """pyarrow's S3 filesystem on the same endpoint and credentials."""
        import pyarrow.fs as pafs

        endpoint = self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
        region = self.session.region_name or os.environ.get("AWS_REGION", "eu-west-1")
        if not endpoint:
            return pafs.S3FileSystem(region=region)
        url = urlparse(endpoint)
        credentials = self.session.get_credentials()
        return pafs.S3FileSystem(
            endpoint_override=url.netloc,
            scheme=url.scheme,
            region=region,
            access_key=credentials.access_key,
            secret_key=credentials.secret_key,
        )

    def secret(self, secret_id: str) -> bytes:
        return cast(str, self.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]).encode()


# What each function uses.


@dataclass(frozen=True)
class ApiDeps:
    """What the API's routes use: the caller's identity, and one service per side."""

    authenticate: Authenticator
    reader: CaseReader
    writer: CaseWriter
    overview: CaseOverview
    ddas: DdasExporter
    leveranciers: LeverancierDesk
    rules: MatchingRules
    beheer: BeheerDesk


def api_deps(
    *,
    authenticate: Authenticator,
    store: CaseStore,
    states: CaseStates,
    runs: RunRegistry,
    audit: AuditLog,
    outbox: SupplierOutbox,
    events: NotifyEvents,
    presigner: Presigner,
    reports: Reports,
    gemeenten: Gemeenten,
    refusals: RefusalCounter,
    registry: RegistrySource,
    deliveries: Deliveries,
    quarantine: Quarantine,
    incoming: IncomingUploads,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    retention: RetentionPeriods = RetentionPeriods(),  # noqa: B008 - frozen, so one default is safe
    refusal_limit: RefusalLimit = RefusalLimit(),  # noqa: B008 - frozen too
    max_contactpogingen: int = MAX_CONTACTPOGINGEN,
) -> ApiDeps:
    """The API's services over its ports: the one constructor the AWS root and tests share."""
    auditor = Auditor(audit, refusals, clock, refusal_limit)
    reader = CaseReader(store, states, runs, auditor)
    return ApiDeps(
        authenticate=authenticate,
        reader=reader,
        writer=CaseWriter(reader, states, events, clock, retention, max_contactpogingen),
        overview=CaseOverview(reader),
        ddas=DdasExporter(reader, store, gemeenten, clock),
        leveranciers=LeverancierDesk(presigner, reports, outbox, auditor, clock, deliveries, incoming),
        rules=MatchingRules(gemeenten, auditor),
        beheer=BeheerDesk(registry, deliveries, runs, quarantine, auditor, clock),
    )


def build_ingest(settings: Settings, aws: Aws) -> IngestDeps:
    from chalicelib.adapters.aws.lake import S3Lake
    from chalicelib.adapters.aws.reference import S3ReferenceSource
    from chalicelib.adapters.aws.registry import DynamoRegistrySource
    from chalicelib.adapters.aws.reports import S3Reports
    from chalicelib.adapters.aws.uploads import S3Uploads
    from chalicelib.adapters.aws.vault import KmsVault
    from chalicelib.domain.signals import Pseudonymiser
    from chalicelib.services.ingest import IngestDeps

    s3 = aws.client("s3")
    # The ingest role may not list its buckets: to it a missing object answers 403 (objects.is_missing).
    return IngestDeps(
        uploads=S3Uploads(s3, settings.upload_bucket, may_list=False),
        lake=S3Lake(s3, settings.lake_bucket),
        reports=S3Reports(s3, settings.lake_bucket, may_list=False),
        vault=KmsVault(s3, aws.client("kms"), settings.vault_bucket, settings.vault_key_id),
        registry=DynamoRegistrySource(aws.table(settings.registry_table)),
        reference=S3ReferenceSource(s3, settings.lake_bucket, may_list=False),
        pseudonymiser=Pseudonymiser(aws.secret(settings.pseudonym_secret_id)),
    )


def build_match(settings: Settings, aws: Aws) -> MatchDeps:
    from chalicelib.adapters.aws.case_states import DynamoCaseStates
    from chalicelib.adapters.aws.cases import S3CaseStore
    from chalicelib.adapters.aws.lake import S3Lake
    from chalicelib.adapters.aws.lake_scan import S3SignalFiles
    from chalicelib.adapters.aws.parameters import S3GlueParameters
    from chalicelib.adapters.aws.reference import S3ReferenceSource
    from chalicelib.adapters.aws.registry import DynamoRegistrySource
    from chalicelib.adapters.aws.runs import DynamoRunLock, DynamoRunRegistry, S3RunLake
    from chalicelib.adapters.aws.vault import KmsVault, S3VaultIndex
    from chalicelib.services.workflow import MatchDeps

    s3, kms = aws.client("s3"), aws.client("kms")
    return MatchDeps(
        retention=settings.retention(),
        registry=DynamoRegistrySource(aws.table(settings.registry_table), max_age_seconds=0),
        reference=S3ReferenceSource(s3, settings.lake_bucket),
        parameters=S3GlueParameters(s3, aws.client("glue"), settings.lake_bucket, settings.glue_database),
        runs=DynamoRunRegistry(aws.table(settings.cases_table)),
        run_lake=S3RunLake(s3, settings.lake_bucket),
        store=S3CaseStore(s3, kms, settings.vault_bucket, settings.vault_key_id),
        vault=KmsVault(s3, kms, settings.vault_bucket, settings.vault_key_id),
        vault_index=S3VaultIndex(s3, settings.vault_bucket, settings.lake_bucket),
        signal_files=S3SignalFiles(settings.lake_bucket, aws.lake_filesystem()),
        signals=S3Lake(s3, settings.lake_bucket),
        outcomes=DynamoCaseStates(aws.table(settings.cases_table)),
        lock=DynamoRunLock(aws.table(settings.cases_table)),
    )


def build_notify(settings: NotifySettings, aws: Aws) -> NotifyDeps:
    from chalicelib.adapters.aws.mail import CognitoCoordinators, SesMailer
    from chalicelib.adapters.aws.outbox import S3RunMailLog, S3SupplierOutbox
    from chalicelib.adapters.aws.registry import DynamoRegistrySource
    from chalicelib.adapters.aws.reports import S3Reports
    from chalicelib.services.notify import NotifyDeps

    s3 = aws.client("s3")
    return NotifyDeps(
        outbox=S3SupplierOutbox(s3, settings.lake_bucket),
        mail_log=S3RunMailLog(s3, settings.lake_bucket),
        coordinators=CognitoCoordinators(aws.client("cognito-idp"), settings.user_pool_id),
        mailer=SesMailer(aws.client("sesv2"), settings.mail_sender, settings.mail_configuration_set),
        registry=DynamoRegistrySource(aws.table(settings.registry_table)),
        deliveries=S3Reports(s3, settings.lake_bucket),
        page_url=settings.page_url,
    )


def token_verifier(settings: SignIn, **options: Any) -> TokenVerifier:
    """The verifier of the settings' user pool and app client; `options` go to TokenVerifier."""
    from chalicelib.adapters.aws.jwks import TokenVerifier

    options = {"max_stale_seconds": settings.jwks_max_stale_seconds} | options
    return TokenVerifier(settings.jwks, settings.issuer, settings.user_pool_client_id, **options)


def build_api(settings: ApiSettings, aws: Aws, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> ApiDeps:
    """Touches no network: the JWKS is fetched on the first token, the stores on first use.
    `clock` is the services' (the local demo replays casework on past days)."""
    from chalicelib.adapters.aws.audit import S3AuditLog
    from chalicelib.adapters.aws.case_states import DynamoCaseStates
    from chalicelib.adapters.aws.cases import S3CaseStore
    from chalicelib.adapters.aws.notify_events import SqsNotifyEvents
    from chalicelib.adapters.aws.outbox import S3SupplierOutbox
    from chalicelib.adapters.aws.presign import S3Presigner
    from chalicelib.adapters.aws.refusals import DynamoRefusalCounter
    from chalicelib.adapters.aws.registry import DynamoGemeenten, DynamoRegistrySource
    from chalicelib.adapters.aws.reports import S3Reports
    from chalicelib.adapters.aws.runs import DynamoRunRegistry
    from chalicelib.adapters.aws.uploads import S3Uploads

    s3 = aws.client("s3")
    cases_table = aws.table(settings.cases_table)
    # The API role may not list the vault, and lists the lake and the upload bucket only under a
    # few prefixes: to it a missing object answers 403 (objects.is_missing).
    reports = S3Reports(s3, settings.lake_bucket, may_list=False)
    uploads = S3Uploads(s3, settings.upload_bucket)
    return api_deps(
        authenticate=token_verifier(settings).identity,
        store=S3CaseStore(s3, aws.client("kms"), settings.vault_bucket, settings.vault_key_id, may_list=False),
        states=DynamoCaseStates(cases_table),
        runs=DynamoRunRegistry(cases_table),
        audit=S3AuditLog(s3, settings.audit_bucket),
        outbox=S3SupplierOutbox(s3, settings.lake_bucket),
        events=SqsNotifyEvents(aws.client("sqs"), settings.notify_queue_url),
        presigner=S3Presigner(s3, settings.upload_bucket),
        reports=reports,
        gemeenten=DynamoGemeenten(aws.table(settings.registry_table)),
        registry=DynamoRegistrySource(aws.table(settings.registry_table)),
        deliveries=reports,
        quarantine=uploads,
        incoming=uploads,
        clock=clock,
        refusals=DynamoRefusalCounter(cases_table),
        retention=settings.retention(),
        refusal_limit=settings.refusal_limit(),
        max_contactpogingen=settings.max_contactpogingen,
    )


def build_ddas_export(
    settings: Settings, aws: Aws, audit_bucket: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> DdasExporter:
    """The DDAS export as the operator's `vindplaats export ddas` runs it, on the stack's own
    stores and audit log."""
    from chalicelib.adapters.aws.audit import S3AuditLog
    from chalicelib.adapters.aws.case_states import DynamoCaseStates
    from chalicelib.adapters.aws.cases import S3CaseStore
    from chalicelib.adapters.aws.refusals import DynamoRefusalCounter
    from chalicelib.adapters.aws.registry import DynamoGemeenten
    from chalicelib.adapters.aws.runs import DynamoRunRegistry

    s3 = aws.client("s3")
    cases_table = aws.table(settings.cases_table)
    store = S3CaseStore(s3, aws.client("kms"), settings.vault_bucket, settings.vault_key_id)
    auditor = Auditor(S3AuditLog(s3, audit_bucket), DynamoRefusalCounter(cases_table), clock)
    reader = CaseReader(store, DynamoCaseStates(cases_table), DynamoRunRegistry(cases_table), auditor)
    return DdasExporter(reader, store, DynamoGemeenten(aws.table(settings.registry_table)), clock)


# The process's own, built once per cold start.

_built: dict[str, Any] = {}
_installed: dict[str, Any] = {}


def _once(name: str, build: Callable[[], Any]) -> Any:
    if name in _installed:
        return _installed[name]
    if name not in _built:
        _built[name] = build()
    return _built[name]


def aws() -> Aws:
    return cast(Aws, _once("aws", Aws))


def settings() -> Settings:
    """The function's settings, validated on first use (its cold start)."""
    return cast(Settings, _once("settings", lambda: Settings()))  # type: ignore[call-arg]  # from the environment


def api_settings() -> ApiSettings:
    return cast(ApiSettings, _once("api_settings", lambda: ApiSettings()))  # type: ignore[call-arg]


def ingest() -> IngestDeps:
    return cast("IngestDeps", _once("ingest", lambda: build_ingest(settings(), aws())))


def match() -> MatchDeps:
    return cast("MatchDeps", _once("match", lambda: build_match(settings(), aws())))


def notify_settings() -> NotifySettings:
    return cast(NotifySettings, _once("notify_settings", lambda: NotifySettings()))  # type: ignore[call-arg]


def notify() -> NotifyDeps:
    return cast("NotifyDeps", _once("notify", lambda: build_notify(notify_settings(), aws())))


def api() -> ApiDeps:
    return cast(ApiDeps, _once("api", lambda: build_api(api_settings(), aws())))


def sign_in() -> SignInConfig:
    """What the page signs in with and where it sends deliveries: the API's sign-in settings and
    the upload bucket's origin only, so the page needs no store."""
    return cast(SignInConfig, _once("sign_in", lambda: SignInConfig.of(PageSettings())))  # type: ignore[call-arg]


def reset() -> None:
    """Forget everything built, as a new cold start would (the local runtime, before it starts a
    function against a stack that may not be the last one's)."""
    _built.clear()


def use(
    *,
    api: ApiDeps | None = None,
    ingest: IngestDeps | None = None,
    match: MatchDeps | None = None,
    notify: NotifyDeps | None = None,
) -> None:
    """Use these dependencies instead of building them, until `use` is called again: a test's
    fakes, or the local API's own (it shares its process with the local runtime's resets)."""
    _installed.clear()
    given = {"api": api, "ingest": ingest, "match": match, "notify": notify}
    _installed.update({name: deps for name, deps in given.items() if deps is not None})
