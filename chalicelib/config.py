"""Configuration from the environment template.yaml sets, validated once at cold start."""

from datetime import date
from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every function reads the same names; template.yaml's Globals set them."""

    model_config = SettingsConfigDict(env_prefix="VINDPLAATS_", frozen=True)

    upload_bucket: str
    lake_bucket: str
    vault_bucket: str
    registry_table: str
    idempotency_table: str
    vault_key_id: str
    pseudonym_secret_id: str
    cases_table: str
    glue_database: str
    athena_workgroup: str
    # Only for replaying a past month locally (`vindplaats run --as-of`): the date a file
    # without peildatum takes as its upload date. Never set in the cloud.
    vandaag: date | None = None


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings()
