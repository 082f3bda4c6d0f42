"""The case store's BSN object on moto (S3 and KMS through boto3): written apart from the
contacts, read only for the wanted cases, kept and deleted with the run's other objects."""

import boto3
import pytest
from moto import mock_aws

from chalicelib.adapters.aws.cases import S3CaseStore, bsns_key, contacts_key
from tests.fakes import PEOPLE, RUN, UTRECHT

REGION = "eu-west-1"
BUCKET = "vault"
BSNS = {UTRECHT[0].id: {0: "123456782"}, UTRECHT[2].id: {0: "876543210", 2: "111222333"}}


@pytest.fixture
def store():
    with mock_aws():
        s3, kms = boto3.client("s3", region_name=REGION), boto3.client("kms", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        store = S3CaseStore(s3, kms, BUCKET, key_id)
        store.write(RUN, "GM0202", UTRECHT, {c.id: PEOPLE[c.id] for c in UTRECHT if c.id in PEOPLE}, BSNS)
        yield store, s3


def test_bsns_are_sealed_apart_and_read_only_for_the_wanted_cases(store):
    store, s3 = store
    body = s3.get_object(Bucket=BUCKET, Key=bsns_key(RUN, "GM0202"))["Body"].read()
    contacts = s3.get_object(Bucket=BUCKET, Key=contacts_key(RUN, "GM0202"))["Body"].read()
    for bsn in ("123456782", "876543210"):
        assert bsn.encode() not in body and bsn.encode() not in contacts
    assert store.bsns(RUN, "GM0202", [UTRECHT[2].id, UTRECHT[1].id]) == {
        UTRECHT[2].id: {0: "876543210", 2: "111222333"}
    }
    assert store.bsns(RUN, "GM0202", []) == {}
    assert store.bsns(RUN, "GM0268", [UTRECHT[0].id]) == {}  # another gemeente's object does not exist
    for case in UTRECHT:  # the contact view never carries one
        assert "123456782" not in repr(store.contacts(RUN, "GM0202", case.id))


def test_keep_and_delete_take_the_bsns_along(store):
    store, s3 = store
    store.keep(RUN, "GM0202", [UTRECHT[2].id])
    assert store.bsns(RUN, "GM0202", [c.id for c in UTRECHT]) == {UTRECHT[2].id: BSNS[UTRECHT[2].id]}
    assert store.delete_run(RUN) == 3
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_a_rewrite_without_bsns_removes_the_object(store):
    store, s3 = store
    store.write(RUN, "GM0202", UTRECHT, {})
    assert store.bsns(RUN, "GM0202", [c.id for c in UTRECHT]) == {}
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="bsn/")["KeyCount"] == 0
