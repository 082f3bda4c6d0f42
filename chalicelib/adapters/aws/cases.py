"""The case store: a run's published cases and contacts, one object each per gemeente, in the
vault bucket.

    cases/<run>/<gemeente>.json     {"run", "gemeente", "cases": [...]}, rank order, no contact
                                    data: a gemeente's month in one GET
    contacts/<run>/<gemeente>.bin   records envelope (envelope.py): per case id a sealed record of
                                    JSON [person], one data key of VaultKey with KMS
                                    encryption context {purpose: contacts, run, gemeente}
    bsn/<run>/<gemeente>.bin        records envelope: per case id a sealed record of JSON
                                    {signal place: BSN} for the signals whose supplier may deliver
                                    one (ddas.md export only); context {purpose: bsn, run, gemeente}.
                                    Apart from the contacts, so no contact view ever decrypts one.

Case state lives in the cases table (case_states.py); runs and their lake files in runs.py.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict

from chalicelib.adapters.aws.envelope import RecordIndex, open_index, open_record, open_records, seal_records, unwrap
from chalicelib.adapters.aws.objects import delete_keys, delete_prefix, is_missing, keys
from chalicelib.domain.cases import Case, Person

_CHANGED = ("412", "PreconditionFailed")
_UNCHANGED = ("304", "NotModified")


def cases_key(run_id: str, gemeente: str) -> str:
    return f"cases/{run_id}/{gemeente}.json"


def contacts_key(run_id: str, gemeente: str) -> str:
    return f"contacts/{run_id}/{gemeente}.bin"


def bsns_key(run_id: str, gemeente: str) -> str:
    return f"bsn/{run_id}/{gemeente}.bin"


class _GemeenteCases(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run: str
    gemeente: str
    cases: list[Case]


class S3CaseStore:
    """A run's cases and contacts, one object each per gemeente, in the vault bucket.

    A contact view decrypts one case's record only: a warm Lambda keeps each contacts object's
    index (case ids, byte ranges and the wrapped data key: nothing in plain text that names
    anyone) by ETag, and reads the one record with a ranged GET. The data key itself is
    unwrapped by KMS on every view and never kept.

    `may_list`: whether the function's role has s3:ListBucket on the vault bucket (the API has
    not: to it a gemeente without cases in a run is a 403 AccessDenied, read as "no cases").
    """

    _CACHED_OBJECTS = 8

    def __init__(self, s3, kms, vault_bucket: str, key_id: str, *, may_list: bool = True) -> None:
        self._s3 = s3
        self._kms = kms
        self._bucket = vault_bucket
        self._key_id = key_id
        self._may_list = may_list  # the role's s3:ListBucket on the bucket (objects.is_missing)
        # Parsing a gemeente's month (5,000 cases: 5 MB) costs hundreds of ms; a warm Lambda
        # keeps the parsed cases and revalidates them with a conditional GET (ETag).
        self._parsed: dict[str, tuple[str, list[Case]]] = {}
        self._indexes: dict[str, tuple[str, RecordIndex]] = {}

    def write(
        self,
        run_id: str,
        gemeente: str,
        cases: Sequence[Case],
        contacts: Mapping[str, Sequence[Person]],
        bsns: Mapping[str, Mapping[int, str]] | None = None,
    ) -> None:
        """Replace the gemeente's cases (given in rank order), the contacts of those cases and
        their BSNs (per case id, per signal place); no BSN object when none is given."""
        records = {
            case.id: json.dumps(
                [person.model_dump(mode="json", exclude_none=True) for person in contacts[case.id]],
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            for case in cases
            if contacts.get(case.id)
        }
        body = seal_records(self._kms, self._key_id, _context(run_id, gemeente), records)
        key = contacts_key(run_id, gemeente)
        self._indexes.pop(key, None)
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/octet-stream")
        self._write_bsns(run_id, gemeente, {case.id: bsns[case.id] for case in cases if (bsns or {}).get(case.id)})
        document = _GemeenteCases(run=run_id, gemeente=gemeente, cases=list(cases))
        self._s3.put_object(
            Bucket=self._bucket,
            Key=cases_key(run_id, gemeente),
            Body=document.model_dump_json().encode(),
            ContentType="application/json",
        )

    def cases(self, run_id: str, gemeente: str) -> list[Case]:
        """The gemeente's cases of the run in rank order; [] when it has none."""
        key = cases_key(run_id, gemeente)
        cached = self._parsed.get(key)
        try:
            response = self._s3.get_object(
                Bucket=self._bucket, Key=key, **({"IfNoneMatch": cached[0]} if cached else {})
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if cached is not None and code in _UNCHANGED:
                return list(cached[1])
            if is_missing(exc, may_list=self._may_list):
                self._parsed.pop(key, None)
                return []
            raise
        cases = _GemeenteCases.model_validate_json(response["Body"].read()).cases
        if len(self._parsed) >= self._CACHED_OBJECTS:
            self._parsed.pop(next(iter(self._parsed)))
        self._parsed[key] = (response["ETag"], cases)
        return list(cases)

    def contacts(self, run_id: str, gemeente: str, case_id: str) -> list[Person]:
        """The people named for one case; [] when there are none. One KMS Decrypt, and only this
        case's record is decrypted. Raises when the object, its index or the record was
        tampered with, or belongs to another run or gemeente."""
        key = contacts_key(run_id, gemeente)
        context = _context(run_id, gemeente)
        cached = self._indexes.get(key)
        if cached is not None:
            etag, index = cached
            span = index.spans.get(case_id)
            if span is None:
                if self._unchanged(key, etag):
                    return []
            else:
                sealed = self._ranged(key, etag, span)
                if sealed is not None:
                    data_key = unwrap(self._kms, self._key_id, context, index.wrapped_key)
                    return _people(open_record(data_key, context, case_id, sealed))
            del self._indexes[key]  # the object changed or went since: read it afresh
        response = self._get(key)
        if response is None:
            return []
        body = response["Body"].read()
        data_key, index = open_index(self._kms, self._key_id, context, body)
        if len(self._indexes) >= self._CACHED_OBJECTS:
            self._indexes.pop(next(iter(self._indexes)))
        self._indexes[key] = (response["ETag"], index)
        span = index.spans.get(case_id)
        return [] if span is None else _people(open_record(data_key, context, case_id, body[span[0] : span[1]]))

    def bsns(self, run_id: str, gemeente: str, case_ids: Collection[str]) -> dict[str, dict[int, str]]:
        """Per wanted case id that has any, its signals' BSNs by place. One KMS Decrypt, and
        only the wanted cases' records are decrypted."""
        body = self._read(bsns_key(run_id, gemeente)) if case_ids else None
        if body is None:
            return {}
        context = _bsn_context(run_id, gemeente)
        data_key, index = open_index(self._kms, self._key_id, context, body)
        found = {}
        for case_id in sorted(set(case_ids) & set(index.spans)):
            start, end = index.spans[case_id]
            found[case_id] = _places(open_record(data_key, context, case_id, body[start:end]))
        return found

    def gemeenten(self, run_id: str) -> list[str]:
        """The gemeenten that have a cases object in the run."""
        prefix = f"cases/{run_id}/"
        return sorted(key[len(prefix) : -len(".json")] for key in keys(self._s3, self._bucket, prefix))

    def keep(self, run_id: str, gemeente: str, case_ids: Collection[str]) -> int:
        """Rewrite the gemeente's objects with only `case_ids` (both deleted when none remain);
        returns how many cases were removed."""
        cases = self.cases(run_id, gemeente)
        kept = [case for case in cases if case.id in case_ids]
        if not kept:
            self.delete(run_id, gemeente)
        elif len(kept) < len(cases):
            body = self._read(contacts_key(run_id, gemeente))
            contacts = {} if body is None else self._all_contacts(run_id, gemeente, body)
            self.write(run_id, gemeente, kept, contacts, self.bsns(run_id, gemeente, [case.id for case in kept]))
        return len(cases) - len(kept)

    def delete(self, run_id: str, gemeente: str) -> None:
        keys = [cases_key(run_id, gemeente), contacts_key(run_id, gemeente), bsns_key(run_id, gemeente)]
        delete_keys(self._s3, self._bucket, keys)

    def delete_run(self, run_id: str) -> int:
        """Delete every cases and contacts object of the run; returns how many there were."""
        return sum(delete_prefix(self._s3, self._bucket, f"{kind}/{run_id}/") for kind in ("cases", "contacts", "bsn"))

    def _write_bsns(self, run_id: str, gemeente: str, bsns: Mapping[str, Mapping[int, str]]) -> None:
        key = bsns_key(run_id, gemeente)
        if not bsns:
            delete_keys(self._s3, self._bucket, [key])
            return
        records = {
            case_id: json.dumps({str(place): bsn for place, bsn in sorted(places.items())}).encode()
            for case_id, places in bsns.items()
        }
        body = seal_records(self._kms, self._key_id, _bsn_context(run_id, gemeente), records)
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body, ContentType="application/octet-stream")

    def _all_contacts(self, run_id: str, gemeente: str, body: bytes) -> dict[str, list[Person]]:
        """Every case's people in a contacts object, for rewriting it."""
        context = _context(run_id, gemeente)
        return {case: _people(plain) for case, plain in open_records(self._kms, self._key_id, context, body).items()}

    def _read(self, key: str) -> bytes | None:
        response = self._get(key)
        return None if response is None else response["Body"].read()

    def _get(self, key: str, **conditions: str) -> dict[str, Any] | None:
        """The GET response; None when the object is missing, or changed against `conditions`."""
        try:
            return self._s3.get_object(Bucket=self._bucket, Key=key, **conditions)
        except ClientError as exc:
            if is_missing(exc, may_list=self._may_list) or exc.response["Error"]["Code"] in _CHANGED:
                return None
            raise

    def _ranged(self, key: str, etag: str, span: tuple[int, int]) -> bytes | None:
        """The bytes [start, end) of the object as it was at `etag`; None if it changed or went."""
        response = self._get(key, IfMatch=etag, Range=f"bytes={span[0]}-{span[1] - 1}")
        return None if response is None else response["Body"].read()

    def _unchanged(self, key: str, etag: str) -> bool:
        """Whether the object still is the one at `etag` (a conditional GET of one byte)."""
        try:
            self._s3.get_object(Bucket=self._bucket, Key=key, IfNoneMatch=etag, Range="bytes=0-0")
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _UNCHANGED:
                return True
            if is_missing(exc, may_list=self._may_list):
                return False
            raise
        return False


def _people(plain: bytes) -> list[Person]:
    return [Person.model_validate(person) for person in json.loads(plain)]


def _context(run_id: str, gemeente: str) -> dict[str, str]:
    # "purpose" is what VaultKey's policy grants on (template.yaml): the API may open only these.
    return {"purpose": "contacts", "run": run_id, "gemeente": gemeente}


def _bsn_context(run_id: str, gemeente: str) -> dict[str, str]:
    return {"purpose": "bsn", "run": run_id, "gemeente": gemeente}


def _places(plain: bytes) -> dict[int, str]:
    return {int(place): bsn for place, bsn in json.loads(plain).items()}
