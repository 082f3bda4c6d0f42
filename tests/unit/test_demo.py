import csv
import io
import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.reference import parse_reference_csv
from chalicelib.domain.registry import parse_registry_toml
from infra.demo import DemoSummary, elfproef, generate

AS_OF = date(2026, 11, 1)


class File:
    """One generated delivery, read the way a tolerant reader would."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.leverancier = path.parent.name
        self.raw = path.read_bytes()
        try:
            self.text = self.raw.decode("utf-8-sig")
            self.utf8 = True
        except UnicodeDecodeError:
            self.text = self.raw.decode("cp1252")
            self.utf8 = False
        first = self.text.split("\n", 1)[0]
        self.delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=self.delimiter)
        self.header = [name.strip().lower() for name in next(reader)]
        self.rows = [dict(zip(self.header, record, strict=False)) for record in reader if record]

    def values(self, column: str) -> list[str]:
        return [row[column] for row in self.rows if column in row]


def parse_date(text: str) -> date:
    form = "%Y-%m-%d" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else "%d-%m-%Y"
    return datetime.strptime(text, form).date()


def household(row: dict[str, str]) -> tuple[str, int, str, str]:
    """The normalised address of delivery-format.md, written independently of the ingest code."""
    postcode = row["postcode"].replace(" ", "").upper()
    number = row["huisnummer"].strip()
    letter = row.get("huisletter", "").strip().upper()
    addition = re.sub(r"[\s/-]", "", row.get("huisnummertoevoeging", "")).upper()
    if not letter and not addition:
        digits, rest = re.match(r"(\d+)(.*)", number).groups()
        tokens = re.findall(r"[A-Za-z]+|\d+", rest)
        if tokens and len(tokens[0]) == 1 and tokens[0].isalpha():
            letter, tokens = tokens[0].upper(), tokens[1:]
        number, addition = digits, "".join(tokens).upper()
    return postcode, int(number), letter, addition


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, DemoSummary]:
    folder = tmp_path_factory.mktemp("demo")
    return folder, generate(folder)


@pytest.fixture(scope="module")
def files(demo) -> list[File]:
    folder, _ = demo
    return [File(path) for path in sorted((folder / "leveringen").glob("*/*.csv"))]


@pytest.fixture(scope="module")
def accepted(files, demo) -> list[File]:
    """The files a run uses: not rejected whole, and the latest per supplier."""
    _, summary = demo
    latest: dict[str, File] = {}
    for file in files:
        if f"{file.leverancier}/{file.path.name}" not in summary.afgewezen:
            latest[file.leverancier] = file
    return list(latest.values())


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_writes_byte_identical_files(demo, tmp_path):
    folder, summary = demo

    again = generate(tmp_path)

    assert snapshot(tmp_path) == snapshot(folder)
    assert again == summary


def test_another_seed_writes_other_data(demo, tmp_path):
    folder, summary = demo

    other = generate(tmp_path, seed=7)

    assert (tmp_path / "adressen.csv").read_bytes() != (folder / "adressen.csv").read_bytes()
    assert set(other.emails) != set(summary.emails)


def test_regenerating_replaces_old_deliveries(tmp_path):
    generate(tmp_path, as_of=date(2026, 6, 1))
    summary = generate(tmp_path)

    on_disk = sorted(str(p.relative_to(tmp_path / "leveringen")) for p in (tmp_path / "leveringen").rglob("*.csv"))
    assert on_disk == sorted(summary.leveringen)


def test_folder_has_the_layout_of_vindplaats_run(demo, files):
    folder, summary = demo
    registry = parse_registry_toml((folder / "registry.toml").read_text(encoding="utf-8"))

    assert (folder / "adressen.csv").is_file()
    assert {f.leverancier for f in files} == {leverancier.id for leverancier in registry.leveranciers}
    assert sorted(f"{f.leverancier}/{f.path.name}" for f in files) == sorted(summary.leveringen)
    assert summary.rijen == sum(len(f.rows) for f in files)


def test_registry_parses_and_shows_each_rule(demo):
    folder, summary = demo
    registry = parse_registry_toml((folder / "registry.toml").read_text(encoding="utf-8"))

    assert [(g.code, g.naam) for g in registry.gemeenten] == [
        ("GM0202", "Arnhem"),
        ("GM0268", "Nijmegen"),
        ("GM0796", "'s-Hertogenbosch"),
    ]
    assert registry.gemeente("GM0202").min_bedrag == 75
    assert registry.gemeente("GM0268").venster == {"Water": (30, 3650)}
    default = registry.gemeente("GM0796")
    assert (default.min_leveranciers, default.min_bedrag, default.venster, default.signaaltypen) == (2, 0, {}, ())
    assert len(registry.leveranciers) >= 6
    assert len({leverancier.signaaltype for leverancier in registry.leveranciers}) >= 5
    pairs = {(c.gemeente, c.leverancier) for c in registry.convenanten}
    assert len(pairs) < len(registry.gemeenten) * len(registry.leveranciers)
    active = {(c.gemeente, c.leverancier) for c in registry.active_convenanten(AS_OF)}
    assert len(pairs - active) == 1
    assert summary.convenanten == len(registry.convenanten)


def test_reference_parses_with_three_gemeenten_and_both_kinds_of_rows(demo):
    folder, summary = demo

    reference = parse_reference_csv((folder / "adressen.csv").read_bytes())

    assert reference.num_rows == summary.adressen
    assert set(reference["gemeente"].to_pylist()) == {"GM0202", "GM0268", "GM0796"}
    prefixes = {"GM0202": "68", "GM0268": "65", "GM0796": "52"}
    assert all(row["postcode"].startswith(prefixes[row["gemeente"]]) for row in reference.to_pylist())
    whole = {row["postcode"]: row["buurt"] for row in reference.to_pylist() if row["huisnummer"] is None}
    exact_elsewhere = {
        row["postcode"]
        for row in reference.to_pylist()
        if row["huisnummer"] is not None and whole.get(row["postcode"], row["buurt"]) != row["buurt"]
    }
    assert whole and exact_elsewhere
    assert len(set(reference["buurt"].to_pylist())) >= 12


@pytest.mark.parametrize(
    "pattern",
    [r"\d+[A-Z]", r"\d+ [a-z]", r"\d+-[A-Z]", r"\d+-\d", r"\d+/\d", r"\d+ bis", r"\d+-hs", r"\d+[A-Z]-\d"],
)
def test_every_combined_huisnummer_form_is_written(files, pattern):
    assert any(re.fullmatch(pattern, value) for f in files for value in f.values("huisnummer"))


@pytest.mark.parametrize("pattern", [r"[1-9]\d{3}[A-Z]{2}", r"[1-9]\d{3} [a-z]{2}", r"[1-9]\d{3} [A-Z]{2}"])
def test_every_postcode_form_is_written(files, pattern):
    assert any(re.fullmatch(pattern, value) for f in files for value in f.values("postcode"))


def test_separate_huisletter_and_toevoeging_columns_are_used(files):
    assert any(f.values("huisletter") and any(f.values("huisletter")) for f in files)
    assert any(any(f.values("huisnummertoevoeging")) for f in files)


@pytest.mark.parametrize(
    "pattern",
    [r"\d{1,3},\d{2}", r"\d{1,3}\.\d{3},\d{2}", r"€ \d{1,3}\.\d{3},\d{2}", r"\d{1,3},\d{3}\.\d{2}", r"\d+\.\d{2}"],
)
def test_every_amount_form_is_written(files, pattern):
    assert any(re.fullmatch(pattern, value) for f in files for value in f.values("bedrag"))


def test_both_date_forms_are_written(files):
    dates = [value for f in files for value in f.values("achterstand_sinds")]
    assert any(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert any(re.fullmatch(r"\d{2}-\d{2}-\d{4}", d) for d in dates)


def test_households_recur_across_suppliers_in_other_forms(accepted):
    suppliers: dict[tuple, set[str]] = defaultdict(set)
    forms: dict[tuple, set[tuple]] = defaultdict(set)
    for f in accepted:
        for row in f.rows:
            if re.fullmatch(r"[1-9]\d{3} ?[A-Za-z]{2}", row["postcode"]):
                key = household(row)
                suppliers[key].add(f.leverancier)
                forms[key].add(
                    (row["postcode"], row["huisnummer"], row.get("huisletter"), row.get("huisnummertoevoeging"))
                )
    counts = [len(s) for s in suppliers.values()]
    assert counts.count(1) and counts.count(2) and sum(n >= 3 for n in counts) >= 5
    assert sum(len(f) >= 2 for f in forms.values()) >= 10


def test_households_of_deliveries_are_in_the_reference_except_one(demo, accepted):
    folder, _ = demo
    reference = parse_reference_csv((folder / "adressen.csv").read_bytes()).to_pylist()
    known = {(r["postcode"], r["huisnummer"]) for r in reference} | {(r["postcode"], None) for r in reference}
    missing = {
        household(row)[:2]
        for f in accepted
        for row in f.rows
        if re.fullmatch(r"[1-9]\d{3} ?[A-Za-z]{2}", row["postcode"])
        and household(row)[:2] not in known
        and (household(row)[0], None) not in known
    }
    assert len(missing) == 1


def test_encodings_line_endings_and_delimiters_vary(files):
    cp1252 = [f for f in files if not f.utf8]
    assert len(cp1252) == 1 and "é" in cp1252[0].text
    assert any(f.raw.startswith(b"\xef\xbb\xbf") for f in files)
    assert any(b"\r\n" in f.raw for f in files) and any(b"\r\n" not in f.raw for f in files)
    assert {f.delimiter for f in files} == {";", ","}


def test_one_file_has_an_unknown_column(files):
    known = {
        "klantnummer",
        "postcode",
        "huisnummer",
        "huisletter",
        "huisnummertoevoeging",
        "bedrag",
        "achterstand_sinds",
        "peildatum",
        "signaaltype",
        "crisissignaal",
        "voorletters",
        "tussenvoegsel",
        "achternaam",
        "geboortedatum",
        "straat",
        "woonplaats",
        "telefoon",
        "email",
        "bsn",
    }
    assert any(set(f.header) - known - {"openstaand"} for f in files)


def test_peildatum_is_one_date_within_the_month_before_as_of_except_in_one_file(demo, files):
    _, summary = demo
    without = [f for f in files if "peildatum" not in f.header]
    assert [f"{f.leverancier}/{f.path.name}" for f in without] == list(summary.zonder_peildatum)
    for f in files:
        if f not in without:
            (peildatum,) = {parse_date(value) for value in f.values("peildatum")}
            assert AS_OF - timedelta(days=31) <= peildatum <= AS_OF


def test_one_file_is_to_be_rejected_whole_for_a_missing_bedrag_column(demo, files):
    _, summary = demo
    rejected = [f for f in files if f"{f.leverancier}/{f.path.name}" in summary.afgewezen]
    assert len(rejected) == 1 and "bedrag" not in rejected[0].header


def test_each_kind_of_bad_row_is_present_and_stays_under_the_threshold(demo, files):
    folder, summary = demo
    registry = parse_registry_toml((folder / "registry.toml").read_text(encoding="utf-8"))
    found: dict[str, int] = defaultdict(int)
    for f in files:
        bad = set()
        seen = set()
        for i, row in enumerate(f.rows):
            if not re.fullmatch(r"[1-9]\d{3} ?[A-Za-z]{2}", row["postcode"]):
                found["postcode"] += 1
                bad.add(i)
            if "bedrag" in row and re.fullmatch(r"[€ ]*0+([.,]0+)?", row["bedrag"]):
                found["bedrag"] += 1
                bad.add(i)
            peil = parse_date(row["peildatum"]) if row.get("peildatum") else AS_OF
            if parse_date(row["achterstand_sinds"]) > peil:
                found["datum"] += 1
                bad.add(i)
            if row["klantnummer"] in seen:
                found["dubbel"] += 1
                bad.add(i)
            seen.add(row["klantnummer"])
            if row.get("bsn") and not elfproef(row["bsn"]):
                found["bsn"] += 1
                bad.add(i)
        assert len(bad) * 100 <= registry.leverancier(f.leverancier).max_fout_percentage * len(f.rows)
    assert dict(found) == {"postcode": 1, "bedrag": 1, "datum": 1, "dubbel": 1, "bsn": 1}
    assert summary.foute_rijen == 5


def test_bsns_come_only_from_zorg_and_pass_the_elfproef_but_one(demo, files):
    folder, summary = demo
    registry = parse_registry_toml((folder / "registry.toml").read_text(encoding="utf-8"))
    bsns = [value for f in files for value in f.values("bsn")]

    assert {registry.leverancier(f.leverancier).signaaltype for f in files if "bsn" in f.header} == {"Zorg"}
    assert [b for b in bsns if not elfproef(b)] == [summary.bsn_ongeldig]
    assert set(summary.bsns) == set(bsns) - {summary.bsn_ongeldig}
    assert len(bsns) > 100


def test_the_later_vivare_delivery_supersedes_the_earlier(files):
    earlier, later = [f for f in files if f.leverancier == "vivare"]
    assert parse_date(earlier.values("peildatum")[0]) < parse_date(later.values("peildatum")[0])
    before, after = set(earlier.values("klantnummer")), set(later.values("klantnummer"))
    assert before & after and before - after and after - before


def test_summary_lists_every_personal_value_written(demo, files):
    _, summary = demo
    values = set(summary.persoonsgegevens())
    for f in files:
        for column in ("achternaam", "straat", "telefoon", "email", "bsn"):
            assert set(f.values(column)) <= values
    assert "06" + re.sub(r"\D", "", next(v for f in files for v in f.values("telefoon") if "+31" in v))[-8:] in values
    assert summary.huishoudens_met_meerdere_leveranciers >= 50
    assert str(summary).startswith("3 gemeenten, 7 leveranciers")


def test_personal_values_do_not_occur_in_shared_reference_data(demo):
    folder, summary = demo
    shared = (folder / "adressen.csv").read_text(encoding="utf-8") + (folder / "registry.toml").read_text(
        encoding="utf-8"
    )

    assert [v for v in summary.persoonsgegevens() if v in shared] == []
    assert min(len(name) for name in summary.achternamen) >= 5


def test_elfproef():
    assert elfproef("111222333") and elfproef("123456782")
    assert not elfproef("123456781") and not elfproef("12345678") and not elfproef("12345678a")
