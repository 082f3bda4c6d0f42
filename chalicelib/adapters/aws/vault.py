"""The vault: personal fields of a delivery, envelope-encrypted with a KMS data key.

One object per delivery, `vault/<leverancier>/<levering>.bin`: the records as an Arrow IPC
stream (zstd; about twice as fast to write as Parquet, and only ever read whole),
sealed with AES-256-GCM under a fresh data key whose KMS-encrypted copy travels with it.
The encryption context binds the key to the delivery, so a copied blob will not open elsewhere.
"""

import io
import os
import struct

import pyarrow as pa
import pyarrow.ipc as ipc
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_MAGIC = b"VPV1"
_NONCE_BYTES = 12


def vault_key(leverancier: str, levering: str) -> str:
    return f"vault/{leverancier}/{levering}.bin"


class KmsVault:
    def __init__(self, s3, kms, bucket: str, key_id: str) -> None:
        self._s3 = s3
        self._kms = kms
        self._bucket = bucket
        self._key_id = key_id

    def put(self, leverancier: str, levering: str, records: pa.Table) -> None:
        context = {"leverancier": leverancier, "levering": levering}
        data_key = self._kms.generate_data_key(KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=context)
        plain = io.BytesIO()
        with ipc.new_stream(plain, records.schema, options=ipc.IpcWriteOptions(compression="zstd")) as writer:
            writer.write_table(records)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, plain.getvalue(), _aad(context))
        wrapped = data_key["CiphertextBlob"]
        body = _MAGIC + struct.pack(">H", len(wrapped)) + wrapped + nonce + sealed
        self._s3.put_object(
            Bucket=self._bucket,
            Key=vault_key(leverancier, levering),
            Body=body,
            ContentType="application/octet-stream",
        )

    def get(self, leverancier: str, levering: str) -> pa.Table:
        context = {"leverancier": leverancier, "levering": levering}
        body = self._s3.get_object(Bucket=self._bucket, Key=vault_key(leverancier, levering))["Body"].read()
        if not body.startswith(_MAGIC):
            raise ValueError("not a vault object")
        (length,) = struct.unpack(">H", body[4:6])
        wrapped = body[6 : 6 + length]
        nonce = body[6 + length : 6 + length + _NONCE_BYTES]
        sealed = body[6 + length + _NONCE_BYTES :]
        data_key = self._kms.decrypt(CiphertextBlob=wrapped, EncryptionContext=context, KeyId=self._key_id)
        plain = AESGCM(data_key["Plaintext"]).decrypt(nonce, sealed, _aad(context))
        return ipc.open_stream(plain).read_all()

    def delete(self, leverancier: str, levering: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=vault_key(leverancier, levering))


def _aad(context: dict[str, str]) -> bytes:
    return "/".join(f"{k}={v}" for k, v in sorted(context.items())).encode()
