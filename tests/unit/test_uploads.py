"""The presigned POST a supplier gets: one key under its own prefix, a CSV, a size range, a short life.

moto accepts any presigned request, so the policy itself is what these tests read.
"""

import base64
import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config

from chalicelib.adapters.aws.presign import S3Presigner
from chalicelib.domain.upload import EXPIRES_SECONDS, UploadKey, new_levering_id, safe_filename

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


@pytest.fixture
def s3():
    return boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id="AKIATEST",
        aws_secret_access_key="secret",
        config=Config(signature_version="s3v4"),
    )


def _policy(presigned) -> dict:
    return json.loads(base64.b64decode(presigned.fields["policy"]))


def test_policy_binds_key_under_the_suppliers_prefix_content_type_and_size(s3):
    presigned = S3Presigner(s3, "uploads").presign("vivare", "levering okt.csv", 1234, NOW)
    key = UploadKey.parse(presigned.key)
    assert (key.leverancier, key.levering, key.bestand) == ("vivare", presigned.levering, "levering_okt.csv")
    conditions = _policy(presigned)["conditions"]
    assert {"key": presigned.key} in conditions
    assert {"Content-Type": "text/csv"} in conditions
    assert ["content-length-range", 1, 1234] in conditions
    assert {"bucket": "uploads"} in conditions
    assert presigned.fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_policy_expires_within_minutes(s3):
    presigned = S3Presigner(s3, "uploads").presign("vivare", "a.csv", 10, NOW)
    expiration = datetime.fromisoformat(_policy(presigned)["expiration"].replace("Z", "+00:00"))
    lifetime = (expiration - datetime.now(UTC)).total_seconds()
    assert 0 < lifetime <= EXPIRES_SECONDS


@pytest.mark.parametrize("size", [0, -1, 512 * 1024 * 1024 + 1])
def test_sizes_outside_the_delivery_limits_are_refused(s3, size):
    with pytest.raises(ValueError, match="size must be between"):
        S3Presigner(s3, "uploads").presign("vivare", "a.csv", size, NOW)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\data\\okt.csv", "okt.csv"),
        ("", "levering.csv"),
        ("a b;c.csv", "a_b_c.csv"),
    ],
)
def test_file_names_cannot_leave_the_prefix(name, safe):
    assert safe_filename(name) == safe


def test_levering_ids_sort_by_time_and_differ():
    first, second = new_levering_id(NOW), new_levering_id(NOW.replace(microsecond=1))
    assert first < second
    assert new_levering_id(NOW) != new_levering_id(NOW)
