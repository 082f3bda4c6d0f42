"""The ingest service streams a file: what only shows late in a large file still decides the whole."""

from tests.corpus import peak

HEADER = "klantnummer;postcode;huisnummer;bedrag;achterstand_sinds;peildatum;achternaam\n"


def _row(i: int, naam: str = "Jansen", peildatum: str = "2026-11-01") -> str:
    return f"K{i:07d};6811AB;{i % 999 + 1};12,50;2026-10-01;{peildatum};{naam}\n"


def _rows(start: int, stop: int) -> str:
    return "".join(_row(i) for i in range(start, stop))


def test_windows_1252_after_utf8_text_in_a_large_file_is_read_again_as_windows_1252(tmp_path):
    """delivery-format.md converts a file whole: the first 8 MiB were read as UTF-8 (with an é) before
    a Windows-1252 byte came; the file is read again from the start and accepted with the warning."""
    path = tmp_path / "levering.csv"
    data = (HEADER + _row(0, "José") + _rows(1, 200_000)).encode() + _row(200_000, "René").encode("cp1252")
    assert len(data) > 8 * 1024 * 1024
    path.write_bytes(data)
    result = peak.service(path, "Huur", 10)
    report = result["report"]
    assert (report["status"], report["counts"]["accepted"]) == ("accepted", 200_001)
    assert [w["code"] for w in report["warnings"]] == ["encoding_windows_1252"]
    assert sorted(key.split("/")[0] for key in result["stored"]) == ["signals", "vault"]


def test_a_peildatum_that_differs_late_in_a_large_file_rejects_it_and_stores_nothing(tmp_path):
    path = tmp_path / "levering.csv"
    path.write_text(HEADER + _rows(0, 150_000) + _row(150_000, peildatum="2026-10-01"), encoding="utf-8")
    result = peak.service(path, "Huur", 10)
    report = result["report"]
    assert report["status"] == "rejected"
    assert (report["rejection"]["code"], report["rejection"]["line"]) == ("peildatum_mismatch", 150_002)
    assert result["stored"] == []


def test_a_klantnummer_repeated_a_batch_later_is_a_row_error(tmp_path):
    path = tmp_path / "levering.csv"
    path.write_text(HEADER + _rows(0, 150_000) + _row(7), encoding="utf-8")
    report = peak.service(path, "Huur", 10)["report"]
    assert report["status"] == "accepted_with_errors"
    assert [(e["line"], e["code"]) for e in report["errors"]] == [(150_002, "klantnummer_duplicate")]
