"""The settings: the spec's retention periods unless an operator overrides one, and the page's
sign-in settings and upload origin from the SDK's own endpoint variables."""

import json
from datetime import date

import pytest

from chalicelib.config import PageUploads, Retention, SignIn
from chalicelib.domain.retention import RetentionPeriods
from infra.local.runtime import _replayed


def test_retention_periods_are_the_specs_unless_one_is_overridden(monkeypatch):
    for name in ("CASES_MONTHS", "OUTCOME_MONTHS", "UNPUBLISHED_DAYS", "SIGNALS_DAYS", "VAULT_DAYS"):
        monkeypatch.delenv(f"VINDPLAATS_RETENTION_{name}", raising=False)
    assert Retention().retention() == RetentionPeriods(6, 18, 1, 190, None)
    monkeypatch.setenv("VINDPLAATS_RETENTION_OUTCOME_MONTHS", "24")
    assert Retention().retention() == RetentionPeriods(outcome_months=24)


def test_a_retention_period_of_zero_is_refused(monkeypatch):
    monkeypatch.setenv("VINDPLAATS_RETENTION_CASES_MONTHS", "0")
    with pytest.raises(ValueError, match="retention_cases_months"):
        Retention()


def test_the_cognito_endpoint_prefers_the_services_own_variable(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    monkeypatch.setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://127.0.0.1:9229/x")
    settings = SignIn(user_pool_id="eu-west-1_AbC", user_pool_client_id="c")
    assert settings.cognito_origin == "http://127.0.0.1:9229"


def test_the_upload_origin_prefers_s3s_own_endpoint_and_is_aws_without_one(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    assert PageUploads(upload_bucket="b-1").upload_origin == "https://b-1.s3.amazonaws.com"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
    assert PageUploads(upload_bucket="b-1").upload_origin == "http://127.0.0.1:4566"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000/path")
    assert PageUploads(upload_bucket="b-1").upload_origin == "http://127.0.0.1:9000"


def test_a_replayed_upload_is_dated_on_the_replay_day_in_the_netherlands():
    body = json.dumps({"Records": [{"eventTime": "2026-12-04T23:30:00.000Z", "s3": {"object": {"key": "k"}}}]})
    replayed = json.loads(_replayed(body, date(2026, 4, 10)))["Records"][0]
    # 00:30 in Amsterdam on 5 December (winter time) becomes 00:30 on 10 April (summer time).
    assert replayed["eventTime"] == "2026-04-09T22:30:00.000Z"
    assert replayed["s3"] == {"object": {"key": "k"}}


def test_a_body_that_is_no_s3_notification_is_passed_on_as_it_is():
    assert _replayed("not json", date(2026, 4, 10)) == "not json"
