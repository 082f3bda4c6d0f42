"""Configuration: the environment template.yaml sets, as one model composed from small mixins and
validated once at cold start (chalicelib.bootstrap). Every function has `Settings` (the
template's Globals); the API function adds its own sign-in and audit settings (`ApiSettings`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.domain.audit import RefusalLimit
from chalicelib.domain.casework import MAX_CONTACTPOGINGEN
from chalicelib.domain.retention import RetentionPeriods

_POOL_ID = re.compile(r"([a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+", re.ASCII)


class _Environment(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VINDPLAATS_", frozen=True, extra="ignore", populate_by_name=True)


class Storage(_Environment):
    """Where the data lives: buckets, tables, keys."""

    upload_bucket: str
    lake_bucket: str
    vault_bucket: str
    registry_table: str
    cases_table: str
    idempotency_table: str
    # VaultKey (template.yaml): the vault's and the contacts' envelopes only; buckets, tables and
    # the pseudonym secret are encrypted at rest with DataKey, which the code never names.
    vault_key_id: str
    pseudonym_secret_id: str


class Catalogue(_Environment):
    """The lake's Glue catalogue and the Athena workgroup the match runs in."""

    glue_database: str
    athena_workgroup: str


class Retention(_Environment):
    """The retention periods, each overridable as VINDPLAATS_RETENTION_<NAME>; the defaults are
    the domain's (matching.md)."""

    retention_cases_months: int = Field(default=RetentionPeriods.cases_months, ge=1)
    retention_outcome_months: int = Field(default=RetentionPeriods.outcome_months, ge=1)
    retention_unpublished_days: int = Field(default=RetentionPeriods.unpublished_days, ge=1)
    retention_signals_days: int = Field(default=RetentionPeriods.signals_days, ge=1)
    retention_vault_days: int | None = Field(default=RetentionPeriods.vault_days, ge=1)

    def retention(self) -> RetentionPeriods:
        return RetentionPeriods(
            cases_months=self.retention_cases_months,
            outcome_months=self.retention_outcome_months,
            unpublished_days=self.retention_unpublished_days,
            signals_days=self.retention_signals_days,
            vault_days=self.retention_vault_days,
        )


class SignIn(_Environment):
    """The Cognito user pool the API verifies tokens of and the page signs in against. The JWKS
    URL and issuer default to Cognito's for the pool's region; the endpoint follows the AWS
    SDKs' own `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` / `AWS_ENDPOINT_URL` (the local stack
    sets the latter to moto)."""

    user_pool_id: str
    user_pool_client_id: str
    jwks_url: str | None = None
    # How long the API keeps verifying with the last key set it fetched while the JWKS cannot be
    # reached (a key Cognito retired stays trusted that long at most).
    jwks_max_stale_seconds: int = Field(default=24 * 3600, ge=3600, le=7 * 24 * 3600)
    token_issuer: str | None = None
    aws_region: str | None = Field(default=None, validation_alias=AliasChoices("aws_region", "AWS_REGION"))
    endpoint_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("endpoint_url", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL"),
    )

    @field_validator("user_pool_id")
    @classmethod
    def _pool_id(cls, value: str) -> str:
        if not _POOL_ID.fullmatch(value):
            raise ValueError("not a Cognito user pool id (<region>_<id>)")
        return value

    @property
    def region(self) -> str:
        return self.aws_region or self.user_pool_id.split("_", 1)[0]

    @property
    def issuer(self) -> str:
        if self.token_issuer:
            return self.token_issuer
        region = self.user_pool_id.split("_", 1)[0]
        return f"https://cognito-idp.{region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks(self) -> str:
        return self.jwks_url or f"{self.issuer}/.well-known/jwks.json"

    @property
    def cognito_origin(self) -> str:
        """The origin the page sends Cognito's InitiateAuth to."""
        endpoint = self.endpoint_url or f"https://cognito-idp.{self.region}.amazonaws.com"
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"


class PageUploads(_Environment):
    """Where the page sends a delivery: the upload bucket, whose origin the page's CSP allows
    (`connect-src`). boto3's presigned POST names the bucket's virtual-hosted endpoint on AWS
    (`https://<bucket>.s3.amazonaws.com/`) and the SDK's endpoint itself, path-style, where one is
    set (`AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`: the local stack's moto);
    tests/functional/test_page.py holds this to what boto3 hands out."""

    upload_bucket: str
    s3_endpoint_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("s3_endpoint_url", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"),
    )

    @property
    def upload_origin(self) -> str:
        """The origin a presigned POST of the upload bucket goes to."""
        if self.s3_endpoint_url:
            parts = urlsplit(self.s3_endpoint_url)
            return f"{parts.scheme}://{parts.netloc}"
        return f"https://{self.upload_bucket}.s3.amazonaws.com"


class PageSettings(SignIn, PageUploads):
    """What the page is served with: the sign-in settings and the upload bucket's origin."""


class Audit(_Environment):
    """The audit log, the limit on refused requests per user (each refusal is an event), and the
    cap on a case's contact attempts (its state item's size)."""

    audit_bucket: str
    refusal_limit_count: int = Field(default=RefusalLimit.limit, ge=1, le=10_000)
    refusal_window_seconds: int = Field(default=RefusalLimit.window_seconds, ge=60, le=86_400)
    max_contactpogingen: int = Field(default=MAX_CONTACTPOGINGEN, ge=1, le=1000)

    def refusal_limit(self) -> RefusalLimit:
        return RefusalLimit(limit=self.refusal_limit_count, window_seconds=self.refusal_window_seconds)


class NotifyQueue(_Environment):
    """The queue the API hands case events to (template.yaml `NotifyQueue`)."""

    notify_queue_url: str


class Mail(_Environment):
    """The gemeenten's mail: the SES sender and configuration set, the page the mail links to,
    and the user pool whose coordinators receive it."""

    mail_sender: str
    mail_configuration_set: str | None = None
    page_url: str
    user_pool_id: str


class Settings(Storage, Catalogue, Retention):
    """What every function reads (template.yaml's Globals)."""


class ApiSettings(Settings, SignIn, Audit, NotifyQueue):
    """The API function's: everything's, plus sign-in, the audit log and the notify queue."""


class NotifySettings(Settings, Mail):
    """The notify function's: everything's, plus its mail."""
