"""Envelope encryption with a KMS data key, in the vault's object format.

`VPV1`, the wrapped key's length (2 bytes, big-endian), the KMS-wrapped key, a 12-byte nonce,
then AES-256-GCM ciphertext. The encryption context binds the data key to what it protects and
is also the GCM associated data, so a blob copied under another name will not open.
KmsVault (vault.py) seals with it; this module does not import pyarrow, so the API can open
contact data without it.
"""

import os
import struct
from collections.abc import Mapping

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"VPV1"
_NONCE_BYTES = 12


class NotSealed(ValueError):
    """The bytes are not an envelope of this format."""


def seal(kms, key_id: str, context: Mapping[str, str], plain: bytes) -> bytes:
    """`plain` encrypted under a fresh data key of `key_id`, bound to `context`."""
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=dict(context))
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, plain, associated_data(context))
    wrapped = data_key["CiphertextBlob"]
    return MAGIC + struct.pack(">H", len(wrapped)) + wrapped + nonce + sealed


def unseal(kms, key_id: str, context: Mapping[str, str], body: bytes) -> bytes:
    """The plaintext of a `seal`ed body; one KMS Decrypt call. Raises NotSealed, or KMS's and
    cryptography's errors when the context or the bytes do not fit."""
    if not body.startswith(MAGIC) or len(body) < 6:
        raise NotSealed("not an envelope")
    (length,) = struct.unpack(">H", body[4:6])
    wrapped = body[6 : 6 + length]
    nonce = body[6 + length : 6 + length + _NONCE_BYTES]
    sealed = body[6 + length + _NONCE_BYTES :]
    data_key = kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=dict(context), KeyId=key_id)
    return AESGCM(data_key["Plaintext"]).decrypt(nonce, sealed, associated_data(context))


def associated_data(context: Mapping[str, str]) -> bytes:
    return "/".join(f"{k}={v}" for k, v in sorted(context.items())).encode()
