"""Fixtures of every ring: the registry the tests share."""

import pytest

from chalicelib.domain.registry import Registry, parse_registry_toml
from tests.fakes import REGISTRY_FILE


@pytest.fixture(scope="session")
def registry_toml() -> str:
    """tests/fixtures/registry.toml as text: Arnhem and Nijmegen, vivare, vitens and eneco, Arnhem's convenanten."""
    return REGISTRY_FILE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def registry(registry_toml) -> Registry:
    return parse_registry_toml(registry_toml)
