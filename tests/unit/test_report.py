"""Bounded reports: every finding counted, at most 1,000 of a code and 2,000 in all listed, under 1 MB."""

from chalicelib.domain.parsing import MESSAGES
from chalicelib.domain.report import (
    FILE_MESSAGES,
    MAX_FINDINGS,
    MAX_FINDINGS_PER_CODE,
    Finding,
    Findings,
    Report,
    Status,
    bound_report,
    bounded,
)


def _many(findings: Findings, code: str, n: int, *, column: str = "huisnummertoevoeging") -> None:
    message = MESSAGES.get(code) or FILE_MESSAGES[code]
    for line in range(2, n + 2):
        findings.add(Finding(line=999_999_999 - line, column=column, code=code, message=message), (line, 0))


def test_a_code_keeps_its_first_thousand_findings_and_counts_them_all():
    errors = Findings()
    _many(errors, "postcode_invalid", 5_000)
    listed, warnings, cut = bounded(errors, Findings())
    assert len(listed) == MAX_FINDINGS_PER_CODE and warnings == [] and cut
    assert errors.per_code == {"postcode_invalid": 5_000}


def test_the_lists_share_their_room_evenly_and_a_small_code_keeps_all_of_its_findings():
    errors, warnings = Findings(), Findings()
    _many(errors, "postcode_invalid", 3_000)
    _many(errors, "bedrag_invalid", 3_000)
    _many(errors, "email_invalid", 10)
    _many(warnings, "adres_niet_gevonden", 3_000, column="postcode")
    listed, warned, cut = bounded(errors, warnings)
    codes = [item.code for item in listed + warned]
    assert len(codes) == 10 + 3 * 663 <= MAX_FINDINGS and cut  # (2,000 - 10) shared by three
    assert codes.count("email_invalid") == 10
    assert {codes.count(code) for code in ("postcode_invalid", "bedrag_invalid", "adres_niet_gevonden")} == {663}


def test_nothing_is_cut_when_everything_fits():
    errors = Findings()
    _many(errors, "postcode_invalid", 5)
    listed, _, cut = bounded(errors, Findings())
    assert len(listed) == 5 and not cut


def test_a_report_with_every_code_at_its_most_and_the_longest_messages_stays_under_one_megabyte():
    errors, warnings = Findings(), Findings()
    for code in MESSAGES:
        _many(errors, code, 2 * MAX_FINDINGS_PER_CODE)
    longest = max(MESSAGES.values(), key=len)
    for line in range(2, 5_000):
        warnings.add(Finding(line=line, column="huisnummertoevoeging", code="adres_niet_gevonden", message=longest))
    listed, warned, cut = bounded(errors, warnings)
    report = Report(
        leverancier="x" * 40,
        levering="20261103T093000000000-abcd1234",
        bestand="x" * 100,
        status=Status.REJECTED,
        errors=listed,
        warnings=warned,
        errors_per_code=errors.per_code,
        warnings_per_code=warnings.per_code,
        truncated=cut,
    )
    assert len(report.model_dump_json().encode()) < 1_000_000


def test_a_large_report_stored_before_the_bound_is_bounded_on_the_way_out():
    errors = [Finding(line=i, code="postcode_invalid", message="m") for i in range(2, 3_002)]
    report = Report(leverancier="v", levering="l", bestand="b", status=Status.REJECTED, errors=errors)
    bounded_report = bound_report(report)
    assert len(bounded_report.errors) == MAX_FINDINGS_PER_CODE
    assert bounded_report.errors_per_code == {"postcode_invalid": 3_000} and bounded_report.truncated
    small = Report(leverancier="v", levering="l", bestand="b", status=Status.REJECTED, errors=errors[:10])
    assert bound_report(small) is small
