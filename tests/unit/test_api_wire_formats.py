"""The request models accept exactly what the OpenAPI document allows, no laxer spelling: findings
of schemathesis on the local stack (tests/e2e/test_schemathesis.py), pinned without a stack."""

import json
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.api.models import (
    BEDRAG_TEXT,
    MAX_BEDRAG,
    CasesQuery,
    ContactpogingRequest,
    MatchingRuleRequest,
    OutboxQuery,
    UploadRequest,
)
from chalicelib.api.openapi import OPERATIONS, document

RULE = {"min_leveranciers": 2, "min_dagen": 10, "max_dagen": 90, "min_bedrag": 50}
ATTEMPT = {"soort": "Telefoon", "bereikt": True, "datum": "2026-10-05", "dagdeel": "Middag"}


@pytest.mark.parametrize(
    ("model", "values"),
    [
        (CasesQuery, {"page": "1.0"}),
        (CasesQuery, {"page": " 2"}),
        (CasesQuery, {"page": "+2"}),
        (CasesQuery, {"page_size": "2_0"}),
        (CasesQuery, {"herhaald": "1"}),
        (CasesQuery, {"crisis": "yes"}),
        (CasesQuery, {"min_bedrag": "1e3"}),
        (CasesQuery, {"min_bedrag": "1_000"}),
        (CasesQuery, {"max_bedrag": ""}),
        (CasesQuery, {"max_bedrag": " 5"}),
        (CasesQuery, {"min_bedrag": "12.345"}),
        (CasesQuery, {"wijk": " WK020201"}),
        (OutboxQuery, {"since": "0"}),
        (OutboxQuery, {"since": "20261001"}),
    ],
)
def test_a_query_value_spelled_outside_the_document_is_refused(model, values):
    with pytest.raises(ValidationError):
        model.model_validate(values)


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (UploadRequest, {"filename": "a.csv", "size": True}),
        (UploadRequest, {"filename": "a.csv", "size": "5"}),
        (ContactpogingRequest, ATTEMPT | {"bereikt": "true"}),
        (ContactpogingRequest, ATTEMPT | {"bereikt": 1}),
        (ContactpogingRequest, ATTEMPT | {"datum": 0}),
        (MatchingRuleRequest, RULE | {"min_dagen": "10"}),
        (MatchingRuleRequest, RULE | {"venster": {"Energie": [-5, 10]}}),
        (MatchingRuleRequest, RULE | {"venster": {"energie": [5, 10]}}),
        (MatchingRuleRequest, RULE | {"signaaltypen": ["x-schemathesis-additional"]}),
        (MatchingRuleRequest, RULE | {"min_bedrag": 0.001}),
        (MatchingRuleRequest, RULE | {"min_bedrag": 1_000_000}),
        (MatchingRuleRequest, RULE | {"min_bedrag": ""}),
    ],
)
def test_a_body_value_outside_the_document_is_refused(model, body):
    with pytest.raises(ValidationError):
        model.model_validate_json(json.dumps(body))


def test_the_documented_spellings_are_read():
    query = CasesQuery.model_validate({"page": "2", "herhaald": "false", "min_bedrag": "0", "max_bedrag": "1250.5"})
    assert (query.page, query.herhaald, query.min_bedrag, query.max_bedrag) == (2, False, 0, Decimal("1250.5"))
    # The document sets no pattern on a signaaltype filter: one it does not know just matches nothing.
    assert CasesQuery.model_validate({"signaaltype": "\x0c"}).signaaltype == "\x0c"
    assert str(OutboxQuery.model_validate({"since": "2026-10-01"}).since) == "2026-10-01"
    rule = MatchingRuleRequest.model_validate_json(
        json.dumps(RULE | {"min_bedrag": "12.50", "venster": {"Energie": [5, 10]}})
    )
    assert (rule.min_bedrag, rule.venster) == (Decimal("12.50"), {"Energie": (5, 10)})
    assert UploadRequest.model_validate_json('{"filename": "a.csv", "size": 3.0}').size == 3


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.from_regex(BEDRAG_TEXT, fullmatch=True), st.text(alphabet="0123456789.,e_ -+\n", max_size=14)))
def test_a_bedrag_filter_is_read_exactly_when_the_documented_pattern_matches(text):
    documented = re.fullmatch(BEDRAG_TEXT, text) is not None  # `$` ends the text, as in JSON Schema
    try:
        CasesQuery.model_validate({"min_bedrag": text})
        read = True
    except ValidationError:
        read = False
    assert read == documented
    if read:
        assert Decimal(text) <= MAX_BEDRAG


def test_the_document_states_the_statuses_the_routes_answer():
    paths = document(OPERATIONS)["paths"]
    assert "404" in paths["/api/cases/approach"]["post"]["responses"]  # case ids of another gemeente
    assert "400" in paths["/api/runs"]["get"]["responses"]  # an unknown query parameter
    assert "404" in paths["/api/settings"]["put"]["responses"]  # a gemeente not in the registry
    assert "404" not in paths["/api/outbox"]["get"]["responses"]
    assert all("415" in op["responses"] for ops in paths.values() for op in ops.values())


def test_every_model_in_the_document_is_closed_and_has_no_tuple_form():
    schemas = document(OPERATIONS)["components"]["schemas"]
    objects = {name: schema for name, schema in schemas.items() if schema.get("type") == "object"}
    assert objects and all(schema["additionalProperties"] is not True for schema in objects.values())
    assert all(schema.get("additionalProperties") is False for schema in objects.values() if "properties" in schema)
    assert "prefixItems" not in json.dumps(schemas)
