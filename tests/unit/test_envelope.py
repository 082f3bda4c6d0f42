"""The records envelope: each record opens on its own, and nothing tampered with opens at all."""

import os
import secrets

import pytest
from cryptography.exceptions import InvalidTag

from chalicelib.adapters.aws.envelope import (
    NotSealed,
    open_index,
    open_record,
    open_records,
    seal,
    seal_records,
)

KEY = "alias/vault"
CONTEXT = {"run": "2026-11-01-a", "gemeente": "GM0202"}
RECORDS = {
    "a1b2c3d4e5f60718": b'[{"achternaam":"Jansen","telefoon":"0612345678"}]',
    "0f1e2d3c4b5a6978": b'[{"achternaam":"El Amrani"},{"achternaam":"de Vries"}]',
    "9999888877776666": b"[]",
}


class Refused(Exception):
    """What KMS answers when the key or the encryption context does not fit."""


class FakeKms:
    """KMS's data-key calls in memory: a wrapped key opens only under its own key and context."""

    def __init__(self) -> None:
        self._keys: dict[bytes, tuple[str, dict[str, str], bytes]] = {}
        self.calls: list[str] = []

    def generate_data_key(self, KeyId, KeySpec, EncryptionContext):
        assert KeySpec == "AES_256"
        self.calls.append("GenerateDataKey")
        plain, wrapped = os.urandom(32), secrets.token_bytes(48)
        self._keys[wrapped] = (KeyId, dict(EncryptionContext), plain)
        return {"Plaintext": plain, "CiphertextBlob": wrapped}

    def decrypt(self, CiphertextBlob, EncryptionContext, KeyId):
        self.calls.append("Decrypt")
        found = self._keys.get(CiphertextBlob)
        if found is None or found[:2] != (KeyId, dict(EncryptionContext)):
            raise Refused("InvalidCiphertextException")
        return {"Plaintext": found[2]}


@pytest.fixture
def kms() -> FakeKms:
    return FakeKms()


def _flip(body: bytes, at: int) -> bytes:
    return body[:at] + bytes([body[at] ^ 0x01]) + body[at + 1 :]


def test_each_record_opens_on_its_own_with_one_kms_call_to_seal_and_one_to_open(kms):
    body = seal_records(kms, KEY, CONTEXT, RECORDS)
    assert kms.calls == ["GenerateDataKey"]
    data_key, index = open_index(kms, KEY, CONTEXT, body)
    assert kms.calls == ["GenerateDataKey", "Decrypt"]
    assert set(index.spans) == set(RECORDS)
    for name, (start, end) in index.spans.items():
        assert open_record(data_key, CONTEXT, name, body[start:end]) == RECORDS[name]
    assert open_records(kms, KEY, CONTEXT, body) == RECORDS
    assert all(plain not in body for plain in (b"Jansen", b"0612345678", b"Amrani"))


def test_the_index_opens_from_the_objects_head_alone_and_names_no_case_in_the_clear(kms):
    body = seal_records(kms, KEY, CONTEXT, RECORDS)
    _, whole = open_index(kms, KEY, CONTEXT, body)
    head = body[: min(start for start, _ in whole.spans.values())]
    _, from_head = open_index(kms, KEY, CONTEXT, head)
    assert from_head == whole
    assert all(name.encode() not in body for name in RECORDS)  # the index is sealed too


def test_a_tampered_record_fails_and_the_other_records_still_open(kms):
    body = seal_records(kms, KEY, CONTEXT, RECORDS)
    data_key, index = open_index(kms, KEY, CONTEXT, body)
    victim = "0f1e2d3c4b5a6978"
    start, end = index.spans[victim]
    for at in (start, start + 12, end - 1):  # the nonce, the ciphertext, the tag
        tampered = _flip(body, at)
        with pytest.raises(InvalidTag):
            open_record(data_key, CONTEXT, victim, tampered[start:end])
        with pytest.raises(InvalidTag):
            open_records(kms, KEY, CONTEXT, tampered)
        for name, (s, e) in index.spans.items():
            if name != victim:
                assert open_record(data_key, CONTEXT, name, tampered[s:e]) == RECORDS[name]


def test_a_record_does_not_open_under_another_name_context_or_data_key(kms):
    body = seal_records(kms, KEY, CONTEXT, RECORDS)
    data_key, index = open_index(kms, KEY, CONTEXT, body)
    name = "a1b2c3d4e5f60718"
    start, end = index.spans[name]
    sealed = body[start:end]
    with pytest.raises(InvalidTag):
        open_record(data_key, CONTEXT, "0f1e2d3c4b5a6978", sealed)
    with pytest.raises(InvalidTag):
        open_record(data_key, CONTEXT | {"gemeente": "GM0268"}, name, sealed)
    other_key, _ = open_index(kms, KEY, CONTEXT, seal_records(kms, KEY, CONTEXT, RECORDS))
    with pytest.raises(InvalidTag):
        open_record(other_key, CONTEXT, name, sealed)
    assert open_record(data_key, CONTEXT, name, sealed) == RECORDS[name]


def test_kms_refuses_the_data_key_under_another_context_or_key(kms):
    body = seal_records(kms, KEY, CONTEXT, RECORDS)
    with pytest.raises(Refused):
        open_index(kms, KEY, CONTEXT | {"run": "2026-12-01-a"}, body)
    with pytest.raises(Refused):
        open_index(kms, "alias/other", CONTEXT, body)


def test_a_tampered_index_fails_to_open(kms):
    body = seal_records(kms, KEY, CONTEXT, RECORDS)
    _, index = open_index(kms, KEY, CONTEXT, body)
    first_record = min(start for start, _ in index.spans.values())
    wrapped_end = 6 + int.from_bytes(body[4:6], "big")
    for at in (wrapped_end + 4, wrapped_end + 4 + 20, first_record - 1):  # nonce, listing, tag
        with pytest.raises(InvalidTag):
            open_index(kms, KEY, CONTEXT, _flip(body, at))


def test_bytes_that_are_not_a_records_envelope_are_refused(kms):
    body = seal_records(kms, KEY, CONTEXT, RECORDS)
    data_key, _index = open_index(kms, KEY, CONTEXT, body)
    for wrong in (b"", b"VPR1", body[:40], seal(kms, KEY, CONTEXT, b"{}"), b"PK\x03\x04" + body[4:]):
        with pytest.raises(NotSealed):
            open_index(kms, KEY, CONTEXT, wrong)
    with pytest.raises(NotSealed):
        open_record(data_key, CONTEXT, "a1b2c3d4e5f60718", b"\x00" * 20)


def test_an_empty_set_of_records_seals_and_opens(kms):
    body = seal_records(kms, KEY, CONTEXT, {})
    assert open_records(kms, KEY, CONTEXT, body) == {}
    with pytest.raises(ValueError, match="needs a name"):
        seal_records(kms, KEY, CONTEXT, {"": b"[]"})
