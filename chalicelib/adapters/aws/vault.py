"""The vault: personal fields of a delivery, envelope-encrypted with a KMS data key.

One object per delivery, `vault/<leverancier>/<levering>.bin`: the records as an Arrow IPC
stream (zstd; about twice as fast to write as Parquet, and only ever read whole), sealed by
`envelope.seal` under a fresh data key of VaultKey (ingest seals batch by batch into a temporary
file, so no plaintext touches the disk, and puts it when the delivery is accepted). The encryption
context ({"purpose": "vault", leverancier, levering}) binds the key to the delivery, so a copied
blob will not open elsewhere, and its purpose is what the key policy grants on. S3VaultIndex lists
the vault's deliveries for retention, with each one's peildatum from its report (reports.py).

    vault bucket   vault/<leverancier>/<levering>.bin   a delivery's personal fields, sealed
"""

import io
import tempfile
from datetime import date

import pyarrow as pa
import pyarrow.ipc as ipc

from chalicelib.adapters.aws.envelope import Sealing, seal, unseal
from chalicelib.adapters.aws.reports import S3Reports

_PREFIX = "vault/"
_SUFFIX = ".bin"


def vault_key(leverancier: str, levering: str) -> str:
    return f"{_PREFIX}{leverancier}/{levering}{_SUFFIX}"


def _delivery(key: str) -> tuple[str, str] | None:
    """(leverancier, levering) of a vault key; None for any other key."""
    parts = key.split("/")
    if len(parts) == 3 and parts[2].endswith(_SUFFIX):
        return parts[1], parts[2][: -len(_SUFFIX)]
    return None


class KmsVault:
    def __init__(self, s3, kms, bucket: str, key_id: str) -> None:
        self._s3 = s3
        self._kms = kms
        self._bucket = bucket
        self._key_id = key_id

    def put(self, leverancier: str, levering: str, records: pa.Table) -> None:
        plain = io.BytesIO()
        with ipc.new_stream(plain, records.schema, options=ipc.IpcWriteOptions(compression="zstd")) as writer:
            writer.write_table(records)
        body = seal(self._kms, self._key_id, _context(leverancier, levering), plain.getvalue())
        self._s3.put_object(
            Bucket=self._bucket,
            Key=vault_key(leverancier, levering),
            Body=body,
            ContentType="application/octet-stream",
        )

    def stage(self, leverancier: str, levering: str) -> "StagedVault":
        return StagedVault(self._s3, self._kms, self._bucket, self._key_id, leverancier, levering)

    def get(self, leverancier: str, levering: str) -> pa.Table:
        body = self._s3.get_object(Bucket=self._bucket, Key=vault_key(leverancier, levering))["Body"].read()
        plain = unseal(self._kms, self._key_id, _context(leverancier, levering), body)
        return ipc.open_stream(plain).read_all()

    def delete(self, leverancier: str, levering: str) -> None:
        self._s3.delete_object(Bucket=self._bucket, Key=vault_key(leverancier, levering))


class StagedVault:
    """One delivery's records sealed as they are written, into a temporary file."""

    def __init__(self, s3, kms, bucket: str, key_id: str, leverancier: str, levering: str) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._key = vault_key(leverancier, levering)
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by commit or discard)
        self._sealing = Sealing(kms, key_id, _context(leverancier, levering), self._file)
        self._writer: ipc.RecordBatchStreamWriter | None = None

    def write(self, records: pa.Table) -> None:
        if self._writer is None:
            options = ipc.IpcWriteOptions(compression="zstd")
            self._writer = ipc.new_stream(self._sealing, records.schema, options=options)
        self._writer.write_table(records)

    def commit(self) -> None:
        if self._writer is None:
            raise ValueError("nothing written: write at least the (empty) records of the delivery")
        self._writer.close()
        self._sealing.close()
        self._file.seek(0)
        try:
            self._s3.put_object(
                Bucket=self._bucket, Key=self._key, Body=self._file, ContentType="application/octet-stream"
            )
        finally:
            self._file.close()

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.close()  # its finaliser would write to the closed file otherwise
        self._file.close()


def _context(leverancier: str, levering: str) -> dict[str, str]:
    # "purpose" is what VaultKey's policy grants on (template.yaml): ingest may seal only this.
    return {"purpose": "vault", "leverancier": leverancier, "levering": levering}


class S3VaultIndex:
    """Which deliveries have a vault object, and how old each delivery is."""

    def __init__(self, s3, vault_bucket: str, lake_bucket: str) -> None:
        self._s3 = s3
        self._vault = vault_bucket
        self._reports = S3Reports(s3, lake_bucket)

    def present(self) -> set[tuple[str, str]]:
        """(leverancier, levering) of every vault object."""
        return {key for key, _ in self._objects()}

    def deliveries(self) -> list[tuple[str, str, date]]:
        """(leverancier, levering, date) per vault object: the peildatum from the delivery's
        report, else the day the object was last written."""
        found = []
        for (leverancier, levering), written in self._objects():
            report = self._reports.read(leverancier, levering)
            peildatum = report.peildatum if report is not None else None
            found.append((leverancier, levering, date.fromisoformat(peildatum) if peildatum else written))
        return found

    def _objects(self) -> list[tuple[tuple[str, str], date]]:
        pages = self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._vault, Prefix=_PREFIX)
        found = []
        for page in pages:
            for item in page.get("Contents", []):
                delivery = _delivery(item["Key"])
                if delivery is not None:
                    found.append((delivery, item["LastModified"].date()))
        return found
