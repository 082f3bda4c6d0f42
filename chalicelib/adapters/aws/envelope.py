"""Envelope encryption with a KMS data key, in two object formats.

`VPV1` (`seal`, or `Sealing` piece by piece): the wrapped key's length (2 bytes, big-endian), the
KMS-wrapped key, a 12-byte nonce, then AES-256-GCM ciphertext. KmsVault (vault.py) seals with it.

`VPR1` (`seal_records`): many records under one data key, each opened on its own. The wrapped
key's length (2 bytes) and the wrapped key, the sealed index's length (4 bytes) and the sealed
index, then the records. The index and each record are a 12-byte nonce and AES-256-GCM
ciphertext; the index is JSON {name: [offset, length]}, offsets counted from the end of the
index. The case store keeps a gemeente's contacts so, one record per case.

The encryption context binds the data key to what it protects and is also the GCM associated
data, so a blob copied under another name will not open; a record's associated data adds its
name, so a record moved to another name (or an index edited to point elsewhere) will not open
either, and the index is sealed, so no entry can be dropped or added unnoticed. This module
does not import pyarrow, so the API can open contact data without it.
"""

import json
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"VPV1"
RECORDS_MAGIC = b"VPR1"
_NONCE_BYTES = 12
_TAG_BYTES = 16
# Random nonces under one key are safe to about 2**32 messages; a gemeente's month is thousands.
MAX_RECORDS = 2**24


class NotSealed(ValueError):
    """The bytes are not an envelope of this format."""


def seal(kms, key_id: str, context: Mapping[str, str], plain: bytes) -> bytes:
    """`plain` encrypted under a fresh data key of `key_id`, bound to `context`."""
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=dict(context))
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, plain, associated_data(context))
    wrapped = data_key["CiphertextBlob"]
    return MAGIC + struct.pack(">H", len(wrapped)) + wrapped + nonce + sealed


class Sealing:
    """`seal`'s format written as the plaintext comes: the header at once, ciphertext for every
    `write`, the GCM tag at `close`; so a large body is sealed without holding it. `unseal`
    opens the result."""

    def __init__(self, kms, key_id: str, context: Mapping[str, str], sink: BinaryIO) -> None:
        data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=dict(context))
        nonce = os.urandom(_NONCE_BYTES)
        self._encryptor = Cipher(algorithms.AES(data_key["Plaintext"]), modes.GCM(nonce)).encryptor()
        self._encryptor.authenticate_additional_data(associated_data(context))
        wrapped = data_key["CiphertextBlob"]
        sink.write(MAGIC + struct.pack(">H", len(wrapped)) + wrapped + nonce)
        self._sink = sink
        self.closed = False

    def write(self, plain: bytes) -> int:
        view = memoryview(plain).cast("B")  # pyarrow hands over its own buffers
        self._sink.write(self._encryptor.update(view))
        return len(view)

    def close(self) -> None:
        if not self.closed:
            self._sink.write(self._encryptor.finalize() + self._encryptor.tag)
            self.closed = True


def unseal(kms, key_id: str, context: Mapping[str, str], body: bytes) -> bytes:
    """The plaintext of a `seal`ed body; one KMS Decrypt call. Raises NotSealed, or KMS's and
    cryptography's errors when the context or the bytes do not fit."""
    if not body.startswith(MAGIC) or len(body) < 6:
        raise NotSealed("not an envelope")
    (length,) = struct.unpack(">H", body[4:6])
    wrapped = body[6 : 6 + length]
    nonce = body[6 + length : 6 + length + _NONCE_BYTES]
    sealed = body[6 + length + _NONCE_BYTES :]
    return AESGCM(unwrap(kms, key_id, context, wrapped)).decrypt(nonce, sealed, associated_data(context))


def unwrap(kms, key_id: str, context: Mapping[str, str], wrapped: bytes) -> bytes:
    """The plaintext data key of a wrapped one (one KMS Decrypt, which checks the context)."""
    return kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=dict(context), KeyId=key_id)["Plaintext"]


def associated_data(context: Mapping[str, str]) -> bytes:
    return "/".join(f"{k}={v}" for k, v in sorted(context.items())).encode()


@dataclass(frozen=True)
class RecordIndex:
    """Where each record of a `seal_records` body lies (absolute [start, end) byte offsets) and
    the data key as KMS wrapped it: no plaintext, so a warm Lambda may keep it."""

    wrapped_key: bytes
    spans: Mapping[str, tuple[int, int]]


def seal_records(kms, key_id: str, context: Mapping[str, str], records: Mapping[str, bytes]) -> bytes:
    """Each of `records` (name → plaintext) sealed on its own under one fresh data key of
    `key_id`, bound to `context` and to its name, behind a sealed index; one KMS call."""
    if len(records) > MAX_RECORDS:
        raise ValueError(f"more than {MAX_RECORDS} records under one data key")
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=dict(context))
    aead = AESGCM(data_key["Plaintext"])
    index: dict[str, list[int]] = {}
    parts: list[bytes] = []
    offset = 0
    for name, plain in records.items():
        if not name:
            raise ValueError("a record needs a name")
        nonce = os.urandom(_NONCE_BYTES)
        sealed = nonce + aead.encrypt(nonce, plain, _record_aad(context, name))
        index[name] = [offset, len(sealed)]
        parts.append(sealed)
        offset += len(sealed)
    nonce = os.urandom(_NONCE_BYTES)
    listing = json.dumps(index, separators=(",", ":")).encode()
    sealed_index = nonce + aead.encrypt(nonce, listing, _index_aad(context))
    wrapped = data_key["CiphertextBlob"]
    header = RECORDS_MAGIC + struct.pack(">H", len(wrapped)) + wrapped + struct.pack(">I", len(sealed_index))
    return b"".join([header, sealed_index, *parts])


def open_index(kms, key_id: str, context: Mapping[str, str], body: bytes) -> tuple[bytes, RecordIndex]:
    """The data key (one KMS Decrypt) and the index of a `seal_records` body; `body` may stop
    after the index. Raises NotSealed, or KMS's and cryptography's errors when the context, the
    key or the bytes do not fit."""
    if not body.startswith(RECORDS_MAGIC) or len(body) < 6:
        raise NotSealed("not a records envelope")
    (wrapped_length,) = struct.unpack(">H", body[4:6])
    index_at = 6 + wrapped_length + 4
    if len(body) < index_at:
        raise NotSealed("truncated records envelope")
    wrapped = body[6 : 6 + wrapped_length]
    (index_length,) = struct.unpack(">I", body[index_at - 4 : index_at])
    records_at = index_at + index_length
    if len(body) < records_at or index_length < _NONCE_BYTES + _TAG_BYTES:
        raise NotSealed("truncated records envelope")
    data_key = unwrap(kms, key_id, context, wrapped)
    nonce, sealed = body[index_at : index_at + _NONCE_BYTES], body[index_at + _NONCE_BYTES : records_at]
    listing = AESGCM(data_key).decrypt(nonce, sealed, _index_aad(context))
    spans = {name: (records_at + at, records_at + at + length) for name, (at, length) in json.loads(listing).items()}
    return data_key, RecordIndex(wrapped_key=wrapped, spans=spans)


def open_record(data_key: bytes, context: Mapping[str, str], name: str, sealed: bytes) -> bytes:
    """The plaintext of one record (its span's bytes); raises cryptography's InvalidTag when the
    bytes, the key, the context or the name do not fit."""
    if len(sealed) < _NONCE_BYTES + _TAG_BYTES:
        raise NotSealed("truncated record")
    return AESGCM(data_key).decrypt(sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:], _record_aad(context, name))


def open_records(kms, key_id: str, context: Mapping[str, str], body: bytes) -> dict[str, bytes]:
    """Every record of a `seal_records` body by name (one KMS Decrypt): for rewriting it."""
    data_key, index = open_index(kms, key_id, context, body)
    return {name: open_record(data_key, context, name, body[start:end]) for name, (start, end) in index.spans.items()}


def _index_aad(context: Mapping[str, str]) -> bytes:
    return associated_data(context) + b"\x00index"


def _record_aad(context: Mapping[str, str], name: str) -> bytes:
    return associated_data(context) + b"\x00record\x00" + name.encode()
