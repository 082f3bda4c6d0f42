"""Fixtures of the unit tests: the template as parsed."""

import pytest

from infra.template import TEMPLATE_PATH, load_template


@pytest.fixture(scope="module")
def body():
    """template.yaml, parsed with its CloudFormation tags (one copy per test module)."""
    return load_template(TEMPLATE_PATH)
