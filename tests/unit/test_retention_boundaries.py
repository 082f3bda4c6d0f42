"""matching.md's retention table, one test per row, each at its boundary: the day before the
period ends the thing is kept, on the day itself it is gone.

What the monthly Retention step removes is driven through apply_retention with in-memory ports
on real dates; what S3 removes by itself is read from template.yaml's lifecycle rules and run
through S3's documented arithmetic (`s3_removes_on`). tests/functional/test_retention_boundaries.py
drives the same rows through the workflow step on moto, with the case states' TTL.
"""

from dataclasses import MISSING, fields
from datetime import UTC, date, datetime, time, timedelta
from fnmatch import fnmatch

import pytest

from chalicelib.domain.cases import STATUS_NIEUW, add_months
from chalicelib.domain.matching import DeliveryFile, no_later_run_reads
from chalicelib.domain.reference import parse_reference_csv
from chalicelib.domain.report import Status
from chalicelib.domain.retention import (
    AUDIT_YEARS,
    OUTBOX_DAYS,
    QUARANTINE_DAYS,
    RetentionPeriods,
    case_expires_on,
    picked_up,
)
from chalicelib.domain.signals import Pseudonymiser
from chalicelib.services.ingest import IngestDeps, Upload, ingest_upload
from chalicelib.services.retention import RetentionDeps, apply_retention
from chalicelib.services.workflow import MatchDeps
from infra.template import references
from tests.fakes import MemoryPublishedRuns, MemoryUploadBucket

PERIODS = RetentionPeriods()

# Times of day an object may be written at: S3 rounds the expiry up to a midnight whatever they are.
WRITTEN_AT = [time(0, 0, 1), time(9, 30), time(23, 59, 59)]


def s3_removes_on(written: datetime, expiration_days: int) -> date:
    """The first day an object written at `written` is gone under a lifecycle rule of
    `expiration_days` (S3 User Guide, "Lifecycle configuration elements": the rule's days are
    added to the object's creation time and the result is rounded up to the next midnight UTC)."""
    lapses = written + timedelta(days=expiration_days)
    midnight = datetime.combine(lapses.date(), time.min, UTC)
    return lapses.date() if lapses == midnight else lapses.date() + timedelta(days=1)


def lifecycle_days(body, bucket: str, prefix: str) -> int:
    rules = [
        rule
        for rule in body["Resources"][bucket]["Properties"]["LifecycleConfiguration"]["Rules"]
        if rule.get("Prefix") == prefix and "ExpirationInDays" in rule
    ]
    assert len(rules) == 1 and rules[0]["Status"] == "Enabled", (bucket, prefix)
    return rules[0]["ExpirationInDays"]


def assert_s3_keeps(body, bucket: str, prefix: str, days: int, written_on: date) -> None:
    """Written on `written_on` at any time of day: there the day before `days` have passed, gone on that day."""
    expiration = lifecycle_days(body, bucket, prefix)
    for at in WRITTEN_AT:
        gone = s3_removes_on(datetime.combine(written_on, at, UTC), expiration)
        assert gone == written_on + timedelta(days=days), (prefix, at)


def retention(runs: MemoryPublishedRuns, outcomes=None):
    """apply_retention over the in-memory runs, with the outcomes the case states hold."""
    deps = RetentionDeps(
        runs=runs,
        store=runs,
        lake=runs.lake,
        signals=runs.signals,
        vault=runs,
        vault_index=runs,
        outcomes=Outcomes(outcomes or {}),
    )
    return lambda today: apply_retention(today, deps, PERIODS)


class Outcomes:
    """CaseOutcomes: case id → the day of its outcome, None while it is worked; the same for every gemeente."""

    def __init__(self, outcomes: dict[str, date | None]) -> None:
        self._outcomes = outcomes

    def outcomes(self, run_id, gemeente):
        return self._outcomes


def test_the_retention_step_cannot_be_built_without_the_case_outcomes():
    """Without them every worked case would go with its run, six months after it."""
    for deps in (RetentionDeps, MatchDeps):
        (outcomes,) = [field for field in fields(deps) if field.name == "outcomes"]
        assert outcomes.default is MISSING and outcomes.default_factory is MISSING, deps


# ---------------------------------------------------------------- raw upload: deleted once ingested


REFERENCE = (
    b"postcode;huisnummer;gemeentecode;wijkcode;wijknaam;buurtcode;buurtnaam\n"
    b"6811AB;;GM0202;WK020201;Centrum;BU02020101;Binnenstad\n"
)
DELIVERY = (
    b"klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum\nK1;6811AB;1;120,00;2026-09-01;2026-10-28\n"
)


class _Source:
    def __init__(self, value) -> None:
        self._value = value

    def registry(self):
        return self._value

    def reference(self):
        return self._value


def _ingest(registry, key: str, body: bytes) -> MemoryUploadBucket:
    bucket = MemoryUploadBucket({key: body})
    deps = IngestDeps(
        uploads=bucket,
        lake=bucket,
        reports=bucket,
        vault=bucket,
        registry=_Source(registry),
        reference=_Source(parse_reference_csv(REFERENCE)),
        pseudonymiser=Pseudonymiser(b"k" * 32),
    )
    assert bucket.size(key) == len(body)  # kept until ingest has read it
    upload = Upload(key=key, uploaded_at=datetime(2026, 10, 29, 8, 0, tzinfo=UTC))
    ingest_upload(upload, deps, upload_date=date(2026, 10, 29), today=date(2026, 10, 29))
    return bucket


def test_a_raw_upload_is_gone_once_ingested_and_a_refused_one_is_kept_only_in_quarantine(registry):
    accepted = _ingest(registry, "incoming/vitens/20261029T080000-aaaaaa/januari.csv", DELIVERY)
    assert accepted.incoming == {} and accepted.quarantined == {}
    assert accepted.signals == {("vitens", "20261029T080000-aaaaaa"): 1}
    assert accepted.reports[("vitens", "20261029T080000-aaaaaa")].status is Status.ACCEPTED

    refused = _ingest(registry, "incoming/onbekend/20261029T080000-bbbbbb/januari.csv", DELIVERY)
    assert refused.incoming == {} and refused.signals == {} and refused.vault == {}
    assert refused.quarantined == {
        "quarantine/onbekend/20261029T080000-bbbbbb/januari.csv": (DELIVERY, "leverancier_unknown")
    }


# ---------------------------------------------------------------- quarantined upload: 30 days


@pytest.mark.parametrize("written_on", [date(2026, 1, 31), date(2026, 2, 28), date(2028, 2, 29)])
def test_a_quarantined_upload_is_kept_30_days_and_gone_on_the_30th(body, written_on):
    assert QUARANTINE_DAYS == 30
    assert_s3_keeps(body, "UploadBucket", "quarantine/", QUARANTINE_DAYS, written_on)


# ---------------------------------------------------------------- pseudonymised signals: 190 days


def test_signals_and_a_runs_pseudonymous_files_are_kept_190_days():
    """Counted from the signals' peildatum and from the run's as-of date."""
    assert PERIODS.signals_days == 190
    runs = MemoryPublishedRuns()
    runs.publish("run-mei", date(2026, 5, 31), {}, files=3)
    runs.signals.files = {date(2026, 5, 31): 2, date(2026, 6, 1): 1}
    apply = retention(runs)

    removed = apply(date(2026, 12, 6))  # day 189
    assert (removed.run_files, removed.signal_files) == (0, 0)
    removed = apply(date(2026, 12, 7))  # 2026-05-31 + 190 days
    assert (removed.run_files, removed.signal_files) == (3, 2)
    assert runs.files == {} and runs.signals.files == {date(2026, 6, 1): 1}


@pytest.mark.parametrize("written_on", [date(2026, 5, 31), date(2027, 12, 31)])
def test_the_lakes_signals_go_190_days_after_they_were_written_at_the_latest(body, written_on):
    """The lifecycle rule is the backstop of the Retention step: counted from the day written,
    never before the peildatum, so it never removes signals the step would keep."""
    assert_s3_keeps(body, "LakeBucket", "signals/", PERIODS.signals_days, written_on)
    assert_s3_keeps(body, "LakeBucket", "params/", PERIODS.signals_days, written_on)  # the runs' parameters with them


# ---------------------------------------------------------------- vault entries that did not match


def test_unmatched_vault_entries_go_when_the_last_run_that_reads_them_is_published():
    """A delivery of peildatum P is in the window of every run with as-of in [P, P + 45]: the
    run of P + 44 leaves its vault object whole for a later run, the run of P + 45 trims it to
    the matched records when it publishes; a superseded delivery is trimmed at once. The
    Retention step removes what is left the day after the last window."""
    peildatum = date(2026, 10, 28)
    read = DeliveryFile("vitens", "20261029T080000-aaaaaa", peildatum, latest=True)
    superseded = DeliveryFile("vitens", "20261020T080000-bbbbbb", date(2026, 10, 20), latest=False)
    assert no_later_run_reads([read, superseded], peildatum + timedelta(days=44)) == [
        ("vitens", "20261020T080000-bbbbbb")
    ]
    assert no_later_run_reads([read], peildatum + timedelta(days=45)) == [("vitens", "20261029T080000-aaaaaa")]

    runs = MemoryPublishedRuns()
    runs.vault[("vitens", "20261029T080000-aaaaaa")] = peildatum
    apply = retention(runs)
    assert apply(peildatum + timedelta(days=45)).vault_deliveries == 0
    assert apply(peildatum + timedelta(days=46)).vault_deliveries == 1
    assert runs.vault == {}


# ---------------------------------------------------------------- cases never picked up: 6 months after their run


@pytest.mark.parametrize(
    ("as_of", "gone_on"),
    [
        (date(2026, 5, 15), date(2026, 11, 15)),
        (date(2026, 1, 31), date(2026, 7, 31)),
        (date(2026, 5, 31), date(2026, 11, 30)),  # no 31 November: the month's end
        (date(2026, 8, 31), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2028, 2, 29)),
    ],
)
def test_cases_never_picked_up_go_six_months_after_their_run(as_of, gone_on):
    runs = MemoryPublishedRuns()
    runs.publish("run", as_of, {"GM0202": {"nieuw", "toegewezen"}, "GM0268": {"nieuw-ede"}})
    apply = retention(runs)

    assert apply(gone_on - timedelta(days=1)).cases == 0
    assert runs.kept("run", "GM0202") == {"nieuw", "toegewezen"}
    assert apply(gone_on).cases == 3
    assert runs.gemeenten("run") == []
    assert case_expires_on(as_of, picked_up(STATUS_NIEUW), None, PERIODS) == gone_on  # the state item's expiry


# ---------------------------------------------------------------- cases with an outcome: 18 months after it


@pytest.mark.parametrize(
    ("outcome", "gone_on"),
    [(date(2026, 7, 15), date(2028, 1, 15)), (date(2026, 8, 31), date(2028, 2, 29))],
)
def test_cases_with_an_outcome_go_eighteen_months_after_the_outcome(outcome, gone_on):
    runs = MemoryPublishedRuns()
    runs.publish("run", date(2026, 5, 31), {"GM0202": {"afgerond", "bezig", "nieuw"}})
    apply = retention(runs, {"afgerond": outcome, "bezig": None})

    assert apply(date(2026, 11, 30)).cases == 1  # the one nobody picked up goes with its run
    assert apply(gone_on - timedelta(days=1)).cases == 0
    assert runs.kept("run", "GM0202") == {"afgerond", "bezig"}
    assert apply(gone_on).cases == 1
    assert runs.kept("run", "GM0202") == {"bezig"}
    assert apply(add_months(gone_on, 120)).cases == 0  # worked without an outcome: kept
    assert case_expires_on(date(2026, 5, 31), True, outcome, PERIODS) == gone_on  # the state item's expiry


# ---------------------------------------------------------------- case-state items: their case's own expiry


def test_a_case_state_expires_on_the_day_the_retention_step_removes_its_case():
    """The state item's TTL comes from case_expires_on when it is written; the Retention step
    removes the case on that same day, whichever row applies."""
    as_of = date(2026, 8, 31)
    outcomes: dict[str, date | None] = {"afgerond": date(2026, 10, 31), "bezig": None}
    runs = MemoryPublishedRuns()
    runs.publish("run", as_of, {"GM0202": {"afgerond", "bezig", "nieuw"}})
    apply = retention(runs, outcomes)
    expires = {
        case: case_expires_on(as_of, case in outcomes, outcomes.get(case), PERIODS)
        for case in ("afgerond", "bezig", "nieuw")
    }
    assert expires == {"afgerond": date(2028, 4, 30), "bezig": None, "nieuw": date(2027, 2, 28)}

    for case in ("nieuw", "afgerond"):
        day = expires[case]
        assert day is not None
        apply(day - timedelta(days=1))
        assert case in runs.kept("run", "GM0202")
        apply(day)
        assert case not in runs.kept("run", "GM0202")
    assert runs.kept("run", "GM0202") == {"bezig"}


# ---------------------------------------------------------------- outbox files: 183 days


@pytest.mark.parametrize("written_on", [date(2026, 11, 3), date(2027, 6, 30)])
def test_outbox_files_go_183_days_after_they_were_written(body, written_on):
    """Both outboxes: a supplier's (klantnummers, pause, outcome) and a gemeente's run counts."""
    assert OUTBOX_DAYS == 183
    assert_s3_keeps(body, "LakeBucket", "outbox/", OUTBOX_DAYS, written_on)
    for rule in body["Resources"]["LakeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]:
        assert not rule.get("Prefix", "-").startswith("outbox/") or rule["Prefix"] == "outbox/", rule


# ---------------------------------------------------------------- audit log: 2 years, append-only

# What would remove an audit record or shorten its lock, and so no role of the stack may do.
_DESTRUCTIVE = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutObjectRetention",
    "s3:PutObjectLegalHold",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:DeleteBucket",
)


def _statements(value, path=()):
    """Every IAM statement under `value`, with where it was found."""
    if isinstance(value, dict):
        if "Effect" in value and "Action" in value:
            yield path, value
        for key, item in value.items():
            yield from _statements(item, (*path, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _statements(item, (*path, n))


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("written_on", [date(2026, 3, 10), date(2027, 3, 10), date(2027, 12, 31)])
def test_the_audit_log_is_locked_two_years_and_gone_once_the_lock_lapses(body, written_on):
    bucket = body["Resources"]["AuditBucket"]["Properties"]
    assert bucket["ObjectLockEnabled"] is True
    assert bucket["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": AUDIT_YEARS}},
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    lapses = add_months(written_on, 12 * AUDIT_YEARS)  # the lock's end, from a write during written_on
    for at in WRITTEN_AT:
        hidden = s3_removes_on(datetime.combine(written_on, at, UTC), lifecycle_days(body, "AuditBucket", "audit/"))
        assert hidden in (lapses, lapses + timedelta(days=1)), at
    (rule,) = [r for r in bucket["LifecycleConfiguration"]["Rules"] if "NoncurrentVersionExpiration" in r]
    assert rule["Prefix"] == "audit/" and rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}


def test_no_role_of_the_stack_may_delete_an_audit_record_or_loosen_its_lock(body):
    granted = []
    for logical_id, resource in body["Resources"].items():
        if resource["Type"] == "AWS::S3::BucketPolicy":
            continue  # the buckets' own policies only deny (TLS)
        for path, statement in _statements(resource.get("Properties", {})):
            if statement["Effect"] != "Allow":
                continue
            on_audit = any(
                "AuditBucket" in references(target) or target == "*" for target in _listed(statement.get("Resource"))
            )
            actions = _listed(statement["Action"])
            if on_audit:
                granted += [
                    (logical_id, path, action)
                    for action in actions
                    if any(fnmatch(destructive.lower(), str(action).lower()) for destructive in _DESTRUCTIVE)
                ]
    assert granted == []
    audit_writes = [
        statement
        for _, resource in body["Resources"].items()
        for _, statement in _statements(resource.get("Properties", {}))
        if statement["Effect"] == "Allow"
        and any("AuditBucket" in references(target) for target in _listed(statement.get("Resource")))
    ]
    assert [statement["Action"] for statement in audit_writes] == ["s3:PutObject"]  # append, nothing else
    policy = body["Resources"]["AuditBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert {statement["Effect"] for statement in policy} == {"Deny"}
