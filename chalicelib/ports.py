"""Every port: what the services ask of storage, identity and the outside world, each defined
once. chalicelib/adapters/aws implements them for AWS (and the local stack, which differs only in
endpoint); tests implement them in memory (tests/fakes.py).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.audit import AuditEvent
from chalicelib.domain.cases import Case, Contactpoging, Person, RunInfo
from chalicelib.domain.casework import CaseState, SupplierMessage
from chalicelib.domain.identity import Identity
from chalicelib.domain.registry import Gemeente, Registry
from chalicelib.domain.report import Report, ReportSummary
from chalicelib.domain.upload import PresignedUpload, QuarantinedUpload, UploadKey

if TYPE_CHECKING:  # the API loads the ports without pyarrow
    import pyarrow as pa

    from chalicelib.domain.matching import DeliveryFile

LeveringKey = tuple[str, str]  # (leverancier, levering): one delivery


# Identity and audit


class Authenticator(Protocol):
    def __call__(self, authorization: str | None) -> Identity:
        """The caller of an `Authorization` header (None: absent); raises
        chalicelib.domain.errors.Unauthorized or Forbidden."""
        ...


class AuditLog(Protocol):
    def record(self, event: AuditEvent) -> None:
        """Store the event durably, or raise: a caller must not show data it could not log."""
        ...


class RefusalCounter(Protocol):
    """Refused requests per user, shared by every container (RefusalLimit)."""

    def count(self, subject: str, window_start: datetime, expires: datetime) -> int:
        """Count one refusal of `subject` in the window starting at `window_start` (kept until
        `expires`); returns the window's count, this one included."""
        ...


# Deliveries


class Uploads(Protocol):
    def size(self, key: str) -> int | None: ...
    def read(self, key: str) -> bytes: ...
    def chunks(self, key: str) -> Iterator[bytes]:
        """The object's bytes in pieces of a few MiB, read as they are taken."""
        ...

    def quarantine(self, key: str, upload: UploadKey, reason: str) -> str: ...
    def delete(self, key: str) -> None: ...


class Presigner(Protocol):
    def presign(self, leverancier: str, filename: str, size: int, now: datetime) -> PresignedUpload:
        """A POST policy for one CSV of at most `size` bytes under the supplier's own prefix."""
        ...


class Lake(Protocol):
    def write_signals(self, signals: pa.Table, *, peildatum: str, leverancier: str, levering: str) -> str: ...
    def stage_signals(self, *, leverancier: str, levering: str) -> StagedSignals:
        """A delivery's signals written batch by batch, stored only when committed."""
        ...


class StagedSignals(Protocol):
    def write(self, signals: pa.Table) -> None: ...
    def commit(self, *, peildatum: str) -> str:
        """Store what was written as the delivery's one signals object; returns its key."""
        ...

    def discard(self) -> None:
        """Drop what was written; nothing is stored."""
        ...


class SignalPartitions(Protocol):
    """The lake's signals by peildatum, as retention removes them."""

    def peildatums(self) -> list[date]: ...
    def delete_peildatum(self, peildatum: date) -> int:
        """Delete every delivery's signals of that peildatum; returns how many files there were."""
        ...


class Reports(Protocol):
    """Each delivery's validation report: written by ingest, read by its supplier."""

    def write(self, report: Report) -> str: ...
    def read(self, leverancier: str, levering: str) -> Report | None:
        """The report; None until ingest wrote it."""
        ...


class Vault(Protocol):
    def put(self, leverancier: str, levering: str, records: pa.Table) -> None: ...
    def stage(self, leverancier: str, levering: str) -> StagedRecords:
        """A delivery's records written batch by batch (sealed as they come), stored only when committed."""
        ...

    def get(self, leverancier: str, levering: str) -> pa.Table: ...
    def delete(self, leverancier: str, levering: str) -> None: ...


class StagedRecords(Protocol):
    def write(self, records: pa.Table) -> None: ...
    def commit(self) -> None:
        """Store what was written as the delivery's one vault object."""
        ...

    def discard(self) -> None:
        """Drop what was written; nothing is stored."""
        ...


class VaultIndex(Protocol):
    def present(self) -> set[LeveringKey]: ...
    def deliveries(self) -> list[tuple[str, str, date]]:
        """(leverancier, levering, peildatum or the day it was written) per vault object."""
        ...


class SignalFiles(Protocol):
    def in_window(self, first: date, last: date) -> list[DeliveryFile]:
        """Every delivery in the lake with peildatum in [first, last], the ones a run reads marked."""
        ...


# The registry and the address reference


class RegistrySource(Protocol):
    def registry(self) -> Registry: ...


class ReferenceSource(Protocol):
    def reference(self) -> pa.Table: ...


class Gemeenten(Protocol):
    """Point access to one gemeente's entry in the registry."""

    def get(self, code: str) -> Gemeente | None: ...
    def put(self, gemeente: Gemeente) -> bool:
        """Replace the entry; False (nothing written) when it is no longer registered."""
        ...


# Runs


class ParameterStore(Protocol):
    def put(self, name: str, run_id: str, table: pa.Table) -> str:
        """Store one parameter table for the run; returns its location (a prefix)."""
        ...

    def point(self, name: str, location: str) -> None:
        """Make the catalogue's table `name` read `location`."""
        ...

    def window(self, first: date, last: date) -> None:
        """Limit the partitions of `signals` the catalogue offers to [first, last]."""
        ...


class RunLake(Protocol):
    """A run's pseudonymous files: the match output and the match history."""

    def matches_location(self, run_id: str) -> str:
        """Where the run's match query writes its output (an s3:// prefix)."""
        ...

    def read_matches(self, run_id: str) -> pa.Table: ...
    def read_history(self, run_id: str) -> pa.Table: ...
    def write_match_history(self, run_id: str, history: pa.Table) -> str: ...
    def delete_run(self, run_id: str) -> int: ...


class RunRegistry(Protocol):
    def begin(self, run_id: str, as_of: date) -> bool: ...
    def publish(self, run_id: str, counts: Mapping[str, int]) -> RunInfo: ...
    def latest(self) -> RunInfo | None: ...
    def published(self, since: date) -> list[RunInfo]: ...
    def runs_for(self, gemeente: str) -> list[RunInfo]: ...
    def runs(self) -> list[RunInfo]: ...
    def discard(self, run_id: str) -> bool: ...


class RunLock(Protocol):
    """One monthly run at a time."""

    def acquire(self, run_id: str, now: datetime, until: datetime) -> tuple[str, datetime] | None:
        """Hold the lock until `until`; None when taken, else (the run holding it, until when)."""
        ...

    def release(self, run_id: str) -> bool:
        """Give the lock back if `run_id` holds it."""
        ...


class NotifyEvents(Protocol):
    """Hands events to the notify function: a case's news for its suppliers (the API), a
    published run (the workflow, through its own SQS task)."""

    def suppliers_told(self, messages: Sequence[tuple[str, SupplierMessage]]) -> int:
        """Queue the (leverancier, message) pairs; returns the number of queue messages sent."""
        ...


class RunMailLog(Protocol):
    """One record per (gemeente, run) mailed: what makes a replayed run-published event mail once."""

    def claim(self, gemeente: str, run_id: str, record: Mapping[str, Any]) -> bool:
        """Write the record unless it exists; False when it did (already mailed or being mailed)."""
        ...

    def release(self, gemeente: str, run_id: str) -> None:
        """Remove the record again (the send failed, so a redelivery may try again)."""
        ...


class Coordinators(Protocol):
    def addresses(self, gemeente: str) -> list[str]:
        """The e-mail addresses of the gemeente's coordinators."""
        ...


class Mailer(Protocol):
    def send(self, to: Sequence[str], subject: str, body: str) -> str:
        """Send one plain-text mail; returns the message id."""
        ...


class Deliveries(Protocol):
    """What suppliers delivered, as their reports record it."""

    def last_delivered(self) -> dict[str, date]:
        """Per supplier, the day of its latest accepted delivery."""
        ...

    def leveringen(self, leverancier: str, prefix: str = "") -> list[str]:
        """The supplier's levering ids that have a report and start with `prefix`, oldest first
        (they sort by time: `YYYYMM` selects a month)."""
        ...

    def summary(self, leverancier: str, levering: str) -> ReportSummary | None:
        """The delivery's report without its findings; None when there is none."""
        ...


class Quarantine(Protocol):
    def quarantined(self) -> list[QuarantinedUpload]:
        """Every upload held in quarantine (a refused one, kept 30 days), in no set order."""
        ...


class IncomingUploads(Protocol):
    def pending(self, leverancier: str, levering: str) -> bool:
        """Whether the supplier's upload of that delivery is in the upload bucket, not yet ingested."""
        ...


# Cases


class CaseStore(Protocol):
    """A run's published cases and their contacts, per gemeente."""

    def write(
        self,
        run_id: str,
        gemeente: str,
        cases: Sequence[Case],
        contacts: Mapping[str, Sequence[Person]],
        bsns: Mapping[str, Mapping[int, str]] | None = None,
    ) -> None: ...
    def cases(self, run_id: str, gemeente: str) -> list[Case]: ...
    def contacts(self, run_id: str, gemeente: str, case_id: str) -> list[Person]: ...
    def bsns(self, run_id: str, gemeente: str, case_ids: Collection[str]) -> dict[str, dict[int, str]]:
        """Per wanted case that has any, the BSN of each signal that came with one, by the
        signal's place in the case (ddas.md export only; never shown)."""
        ...

    def gemeenten(self, run_id: str) -> list[str]: ...
    def keep(self, run_id: str, gemeente: str, case_ids: Collection[str]) -> int: ...
    def delete(self, run_id: str, gemeente: str) -> None: ...
    def delete_run(self, run_id: str) -> int: ...


class CaseStates(Protocol):
    """What a gemeente recorded about its cases (status, team, attempts, outcome)."""

    def states(self, gemeente: str, run_id: str) -> dict[str, CaseState]: ...
    def state(self, gemeente: str, run_id: str, case_id: str) -> CaseState | None: ...
    def update(
        self,
        gemeente: str,
        run_id: str,
        case_id: str,
        fields: Mapping[str, Any],
        *,
        by: str,
        at: datetime,
        contactpoging: Contactpoging | None = None,
        max_contactpogingen: int | None = None,
    ) -> None:
        """Set `fields` and append `contactpoging`; with `max_contactpogingen`, an append to a case
        already holding that many raises LimitReached and writes nothing (checked atomically)."""
        ...


class CaseOutcomes(Protocol):
    def outcomes(self, run_id: str, gemeente: str) -> Mapping[str, date | None]:
        """For the cases of a run in a gemeente that were picked up: case id → the date their
        outcome was recorded, or None while they are still being worked (kept)."""
        ...


class SupplierOutbox(Protocol):
    """News for suppliers about their own customers: written by the notify function (each
    message and the supplier's daily files), read by the supplier's routes."""

    def send(self, messages: Sequence[tuple[str, SupplierMessage]]) -> list[str]: ...
    def day(self, leverancier: str, datum: date) -> list[SupplierMessage]: ...
    def write_daily(self, leverancier: str, datum: date, messages: Sequence[SupplierMessage]) -> list[str]: ...
    def since(
        self, leverancier: str, since: date, limit: int, after: str | None = None
    ) -> tuple[list[SupplierMessage], bool]: ...
