"""Building cases and contacts from a run's matches and the matched vault records."""

import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from chalicelib.domain.cases import (
    STATUS_NIEUW,
    Case,
    Person,
    add_months,
    build_bsns,
    build_cases,
    build_contacts,
    case_id,
)
from chalicelib.domain.matching import MATCH_SCHEMA
from chalicelib.domain.reference import parse_reference_csv
from chalicelib.domain.registry import parse_registry_toml
from chalicelib.domain.signals import VAULT_COLUMNS
from tests.fakes import REGISTRY_FILE

RUN = "2026-11-01-a"
AS_OF = date(2026, 11, 1)
PEIL = date(2026, 10, 28)

REGISTRY = parse_registry_toml(REGISTRY_FILE.read_text(encoding="utf-8"))
REFERENCE = parse_reference_csv(
    b"postcode,huisnummer,gemeentecode,wijkcode,wijknaam,buurtcode,buurtnaam\n"
    b"6811AB,,GM0202,WK020201,Centrum,BU02020101,Binnenstad\n"
    b"6822CD,,GM0202,WK020202,Klarendal,BU02020201,Klarendal\n"
    b"6511EF,,GM0268,WK026801,Centrum,BU02680101,Stadscentrum\n"
)

# Households: (gemeente, huishouden, wijk, buurt, aantal, totaal, oudste, herhaald, crisis, rank)
A = ("GM0202", "a" * 32, "WK020201", "BU02020101", 2, 30_050, date(2026, 9, 1), False, False, 2)
B = ("GM0202", "b" * 32, "WK020202", "BU02020201", 2, 15_000, date(2026, 8, 15), True, True, 1)
C = ("GM0268", "c" * 32, "WK026801", "BU02680101", 2, 20_001, date(2026, 9, 20), False, False, 1)
# Signals: (household, leverancier, levering, regel, signaaltype, bedrag_cent, sinds, crisis)
SIGNALS = [
    (A, "vivare", "L1", 2, "Huur", 25_000, date(2026, 9, 1), False),
    (A, "eneco", "L3", 4, "Energie", 5_050, date(2026, 10, 1), False),
    (B, "vitens", "L2", 3, "Water", 2_000, date(2026, 8, 15), True),
    (B, "vivare", "L1", 5, "Huur", 10_000, date(2026, 9, 10), False),
    (B, "vivare", "L1", 6, "Huur", 3_000, date(2026, 9, 10), False),
    (C, "vitens", "L2", 7, "Water", 1, date(2026, 9, 20), False),
    (C, "eneco", "L3", 8, "Energie", 20_000, date(2026, 10, 2), False),
]


def _matches(signals=SIGNALS) -> pa.Table:
    rows = []
    for (gemeente, huishouden, wijk, buurt, aantal, totaal, oudste, herhaald, crisis, rank), *signal in signals:
        leverancier, levering, regel, signaaltype, bedrag, sinds, signal_crisis = signal
        rows.append(
            {
                "gemeente": gemeente,
                "huishouden": huishouden,
                "wijk": wijk,
                "buurt": buurt,
                "leverancier": leverancier,
                "levering": levering,
                "regel": regel,
                "signaaltype": signaaltype,
                "bedrag_cent": bedrag,
                "achterstand_sinds": sinds,
                "peildatum": PEIL,
                "crisis": signal_crisis,
                "aantal_leveranciers": aantal,
                "totaal_bedrag_cent": totaal,
                "oudste_achterstand": oudste,
                "herhaald": herhaald,
                "case_crisis": crisis,
                "case_rank": rank,
            }
        )
    return pa.Table.from_pylist(rows[::-1], schema=MATCH_SCHEMA)


def _record(regel, klantnummer, postcode, huisnummer, achternaam, *, huisletter="", toevoeging="", **extra):
    record = dict.fromkeys(VAULT_COLUMNS, "")
    record.update(
        regel=regel,
        klantnummer=klantnummer,
        postcode=postcode,
        huisnummer=huisnummer,
        huisletter=huisletter,
        toevoeging=toevoeging,
        achternaam=achternaam,
        geboortedatum=None,
        bsn=None,
    )
    record.update(extra)
    return record


def _vault(*records) -> pa.Table:
    schema = pa.schema(
        [
            (
                name,
                pa.int32()
                if name in ("regel", "huisnummer")
                else pa.date32()
                if name == "geboortedatum"
                else pa.string(),
            )
            for name in VAULT_COLUMNS
        ]
    )
    return pa.Table.from_pylist(list(records), schema=schema)


VAULT = {
    ("vivare", "L1"): _vault(
        _record(1, "V-unmatched", "6811AB", 1, "Nietgematcht", bsn="111222333"),
        _record(
            2,
            "  V-1002 ",
            "6811AB",
            12,
            "  Jansen ",
            huisletter="A",
            voorletters=" J. ",
            telefoon=" 0612345678 ",
            straat="Ketelstraat",
            woonplaats="Arnhem",
            bsn="123456782",
            geboortedatum=date(1980, 2, 29),
        ),
        _record(5, "V-1005", "6822CD", 3, "Vries", tussenvoegsel="de", email="devries@example.com"),
        _record(6, "V-1006", "6822CD", 3, "Vries ", tussenvoegsel="de", email=" devries@example.com"),
    ),
    ("vitens", "L2"): _vault(
        _record(3, "W-3", "6822CD", 3, "Vries", tussenvoegsel="de", email="devries@example.com"),
        _record(7, "W-7", "6511EF", 9, "", toevoeging="2"),
    ),
    ("eneco", "L3"): _vault(
        _record(
            4,
            "E-4",
            "6811AB",
            12,
            "Jansen",
            huisletter="A",
            voorletters="J.",
            telefoon="0612345678",
            straat="Ketelstraat",
            woonplaats="Arnhem",
            geboortedatum=date(1980, 2, 29),
        ),
        _record(8, "E-8", "6511EF", 9, "Bakker", toevoeging="2"),
    ),
}


def _cases(**overrides) -> list[Case]:
    arguments = {
        "matches": _matches(),
        "vault_records": VAULT,
        "registry": REGISTRY,
        "reference": REFERENCE,
        "run_id": RUN,
        "as_of": AS_OF,
    } | overrides
    return build_cases(**arguments)


def test_one_case_per_household_by_gemeente_then_rank():
    cases = _cases()
    assert [(c.gemeente, c.rank) for c in cases] == [("GM0202", 1), ("GM0202", 2), ("GM0268", 1)]
    b, a, _c = cases
    assert [s.klantnummer for s in a.signalen] == ["E-4", "V-1002"]
    assert [s.klantnummer for s in b.signalen] == ["W-3", "V-1005", "V-1006"]
    assert (b.aantal_leveranciers, b.crisis, b.herhaald) == (2, True, True)
    assert (a.crisis, a.herhaald) == (False, False)
    assert all(case.run == RUN and case.as_of == AS_OF for case in cases)


def test_signals_are_ordered_by_leverancier_with_names_and_trimmed_klantnummer():
    a = _cases()[1]
    assert [(s.leverancier, s.leverancier_naam, s.klantnummer, s.signaaltype) for s in a.signalen] == [
        ("eneco", "Eneco", "E-4", "Energie"),
        ("vivare", "Vivare", "V-1002", "Huur"),
    ]
    assert a.signalen[1].achterstand_sinds == date(2026, 9, 1)
    assert a.signalen[1].peildatum == PEIL


def test_wijk_and_buurt_carry_their_names_from_the_reference():
    b, a, c = _cases()
    assert (a.wijk.code, a.wijk.naam, a.buurt.code, a.buurt.naam) == ("WK020201", "Centrum", "BU02020101", "Binnenstad")
    assert (b.wijk.naam, b.buurt.naam) == ("Klarendal", "Klarendal")
    assert (c.wijk.naam, c.buurt.naam) == ("Centrum", "Stadscentrum")


def test_address_is_normalised_with_empty_strings_for_absent_parts():
    _b, a, c = _cases()
    assert a.adres.model_dump() == {"postcode": "6811AB", "huisnummer": 12, "huisletter": "A", "toevoeging": ""}
    assert c.adres.model_dump() == {"postcode": "6511EF", "huisnummer": 9, "huisletter": "", "toevoeging": "2"}


def test_amounts_are_euros_with_cents_and_dates_iso_in_json():
    _b, a, c = _cases()
    assert a.totaal_bedrag == Decimal("300.50")
    assert [s.bedrag for s in c.signalen] == [Decimal("200.00"), Decimal("0.01")]
    document = json.loads(a.model_dump_json())
    assert document["totaal_bedrag"] == 300.5
    assert [s["bedrag"] for s in document["signalen"]] == [50.5, 250.0]
    assert document["oudste_achterstand"] == "2026-09-01"
    assert document["signalen"][0]["achterstand_sinds"] == "2026-10-01"
    assert Case.model_validate_json(a.model_dump_json()) == a


def test_a_new_case_is_not_yet_picked_up_and_has_no_team_attempts_or_outcome():
    for case in _cases():
        assert (case.status, case.team, case.contactpogingen, case.resultaat) == (STATUS_NIEUW, None, [], None)
    assert STATUS_NIEUW == "Nog niet opgepakt"


def test_case_id_is_stable_per_run_and_does_not_reveal_the_pseudonym():
    first, again = _cases(), _cases()
    assert [c.id for c in first] == [c.id for c in again]
    assert first[1].id == case_id(RUN, "GM0202", "a" * 32)
    assert len({c.id for c in first}) == 3
    assert all(len(c.id) == 16 and int(c.id, 16) >= 0 for c in first)
    assert [c.id for c in _cases(run_id="2026-12-01-a")] != [c.id for c in first]
    everything = "".join(c.model_dump_json() for c in first)
    assert not any(h * 32 in everything for h in "abc")


def test_contacts_are_kept_apart_trimmed_deduplicated_and_without_empty_fields():
    cases = _cases()
    contacts = build_contacts(_matches(), VAULT, RUN)
    b, a, c = cases
    assert set(contacts) == {a.id, b.id, c.id}
    assert contacts[a.id] == [
        Person(
            leverancier="eneco",
            voorletters="J.",
            achternaam="Jansen",
            geboortedatum=date(1980, 2, 29),
            straat="Ketelstraat",
            woonplaats="Arnhem",
            telefoon="0612345678",
        ),
        Person(
            leverancier="vivare",
            voorletters="J.",
            achternaam="Jansen",
            geboortedatum=date(1980, 2, 29),
            straat="Ketelstraat",
            woonplaats="Arnhem",
            telefoon="0612345678",
        ),
    ]
    assert contacts[b.id] == [
        Person(leverancier="vitens", tussenvoegsel="de", achternaam="Vries", email="devries@example.com"),
        Person(leverancier="vivare", tussenvoegsel="de", achternaam="Vries", email="devries@example.com"),
    ]
    assert contacts[c.id] == [Person(leverancier="eneco", achternaam="Bakker")]
    assert contacts[a.id][0].model_dump(mode="json", exclude_none=True) == {
        "leverancier": "eneco",
        "voorletters": "J.",
        "achternaam": "Jansen",
        "geboortedatum": "1980-02-29",
        "straat": "Ketelstraat",
        "woonplaats": "Arnhem",
        "telefoon": "0612345678",
    }


def test_no_bsn_anywhere_and_no_contact_data_in_cases():
    cases_json = "".join(c.model_dump_json() for c in _cases())
    contacts = build_contacts(_matches(), VAULT, RUN)
    contacts_json = json.dumps({k: [p.model_dump(mode="json") for p in v] for k, v in contacts.items()})
    for bsn in ("123456782", "111222333"):
        assert bsn not in cases_json and bsn not in contacts_json
    assert "bsn" not in cases_json and "bsn" not in contacts_json
    for personal in ("Jansen", "Vries", "Bakker", "Ketelstraat", "0612345678", "devries@example.com", "J."):
        assert personal not in cases_json
    assert "Nietgematcht" not in contacts_json and "V-unmatched" not in cases_json


def test_a_signal_whose_record_is_gone_keeps_its_figures_without_klantnummer():
    vault = {key: table for key, table in VAULT.items() if key != ("eneco", "L3")}
    _b, _a, c = _cases(vault_records=vault)
    assert [(s.leverancier, s.klantnummer, s.bedrag) for s in c.signalen] == [
        ("eneco", "", Decimal("200.00")),
        ("vitens", "W-7", Decimal("0.01")),
    ]
    assert c.adres.postcode == "6511EF"
    nothing = _cases(vault_records={})
    assert nothing[0].adres.model_dump() == {"postcode": "", "huisnummer": None, "huisletter": "", "toevoeging": ""}
    assert build_contacts(_matches(), {}, RUN) == {}


def test_unknown_supplier_and_area_fall_back_to_code_and_empty_name():
    (gemeente, huishouden, _, _, *rest) = C
    stray = ((gemeente, huishouden, "WK999999", "BU99999999", *rest), "nieuw", "L9", 1, "Zorg", 100, PEIL, False)
    [case] = _cases(matches=_matches([stray]), vault_records={})
    assert (case.wijk.naam, case.buurt.naam) == ("", "")
    assert case.signalen[0].leverancier_naam == "nieuw"


def test_no_matches_give_no_cases():
    assert _cases(matches=MATCH_SCHEMA.empty_table()) == []


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 5, 31), 6, date(2026, 11, 30)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 11, 1), 18, date(2028, 5, 1)),
        (date(2026, 1, 15), 0, date(2026, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert add_months(day, months) == expected
    assert add_months(day, months) - timedelta(days=1) < expected


def test_the_api_can_read_cases_without_pyarrow():
    code = (
        "import sys; import chalicelib.domain.cases, chalicelib.adapters.aws.cases, chalicelib.adapters.aws.runs; "
        "sys.exit('pyarrow' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_build_bsns_keeps_a_bsn_per_signal_only_from_a_type_that_may_deliver_one():
    # The same BSN on a Huur row (vivare) and on a Zorg row: only the Zorg signal's is kept.
    zorg = [(A, "cz", "L9", 1, "Zorg", 1_000, date(2026, 9, 1), False), *SIGNALS]
    vault = {
        **VAULT,
        ("cz", "L9"): _vault(_record(1, "Z-1", "6811AB", 12, "Jansen", huisletter="A", bsn=" 123456782 ")),
    }
    matches = _matches(zorg)
    cases = {case.id: case for case in build_cases(matches, vault, REGISTRY, REFERENCE, RUN, AS_OF)}
    bsns = build_bsns(matches, vault, RUN)
    assert list(bsns) == [case_id(RUN, "GM0202", A[1])]
    ((case, places),) = bsns.items()
    assert places == {0: "123456782"}
    assert cases[case].signalen[0].signaaltype == "Zorg"  # the place is the signal's in the case
    assert build_bsns(_matches(), VAULT, RUN) == {}  # vivare (Huur) delivered BSNs: none kept
    # A vault object written before BSNs were kept has no column: no BSN, no error.
    old = {key: table.drop_columns(["bsn"]) for key, table in vault.items()}
    assert build_bsns(matches, old, RUN) == {}
