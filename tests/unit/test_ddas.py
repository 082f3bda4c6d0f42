"""The DDAS export's document (chalicelib.domain.ddas), checked against the JSON Schema written
from ddas.md (docs/ddas-uitwisselmodel-v1.2.schema.json), with its counts read back."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from chalicelib.domain import ddas, matching
from chalicelib.domain.cases import Contactpoging
from chalicelib.domain.ddas import Contactpersoon, WorkedRun, build_export, check_period, whole_euros
from chalicelib.domain.errors import InvalidRequest
from tests.fakes import make_case

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "ddas-uitwisselmodel-v1.2.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
NOW = datetime(2026, 12, 4, 18, 0, 5, 123456, tzinfo=UTC)
AFZENDER = Contactpersoon(naam="Coördinator Utrecht", email="c@example.invalid", functietitel="Coördinator")


def valid(document):
    errors = sorted(VALIDATOR.iter_errors(document), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return document


def export(runs, bsns=None, van=date(2026, 1, 1), tot=date(2026, 12, 31)):
    return build_export(
        gemeente="GM0202",
        gemeente_naam="Arnhem",
        van=van,
        tot=tot,
        runs=runs,
        bsns=bsns or {},
        afzender=AFZENDER,
        now=NOW,
    )


def worked(case, **state):
    return case.model_copy(update=state)


NOV = [
    worked(
        make_case(1, signalen=(("cz", "Zorg", "74.50"), ("vitens", "Water", "120.49"))),
        status="Opgepakt",
        approached_on=date(2026, 11, 5),
        resultaat="Vervolghulp en/of verwijzing financieel",
        contactpogingen=[
            Contactpoging(soort="Brief", bereikt=False, datum=date(2026, 11, 6)),
            Contactpoging(soort="Huisbezoek", bereikt=True, datum=date(2026, 11, 9), dagdeel="Avond"),
        ],
    ),
    make_case(2, signalen=(("gemeente", "Gemeentebelasting", "0.49"), ("eneco", "Energie", "1000.00")), crisis=True),
    worked(make_case(3, signalen=(("cz", "Zorg", "10.00"), ("vivare", "Huur", "850.00"))), status="Opgepakt"),
]
OKT = [make_case(4, run="r-okt", signalen=(("menzis", "CAK Zorgverzekeringen", "99.99"), ("vitens", "Water", "5")))]


def test_every_export_validates_against_the_schema_written_from_ddas_md():
    for runs in ([], [WorkedRun(date(2026, 11, 1), NOV)], [WorkedRun(date(2026, 10, 1), OKT)]):
        valid(export(runs, {NOV[0].id: {0: "123456782"}}).document)


def test_counts_round_trip_cases_signals_and_contact_attempts_per_case():
    result = export([WorkedRun(date(2026, 11, 1), NOV), WorkedRun(date(2026, 10, 1), OKT)])
    (levering,) = valid(result.document)["leveringen"]
    zaken, signalen = levering["vroegsignaalzaken"], levering["vroegsignalen"]
    cases = OKT + NOV  # oldest run first
    assert len(zaken) == len(cases) == len(result.case_ids)
    assert len(signalen) == sum(len(c.signalen) for c in cases) == result.signalen
    assert [len(z["contactpogingen"]) for z in zaken] == [len(c.contactpogingen) for c in cases]
    assert result.contactpogingen == 2
    by_id = {s["ID"]: s for s in signalen}
    assert len(by_id) == len(signalen)  # unique ids
    for zaak, case in zip(zaken, cases, strict=True):
        ids = [ref["ID"] for ref in zaak["vroegsignalen"]]
        assert all(i in by_id for i in ids)  # every reference resolves in the same levering
        assert sorted(by_id[i]["bedrag"] for i in ids) == sorted(whole_euros(s.bedrag) for s in case.signalen)
    assert levering["gemeentecode"] == "GM0202"
    assert levering["aanleverendeOrganisatie"]["naam"] == "Arnhem"
    assert result.document["aanleverdatumEnTijd"] == "2026-12-04T18:00:05Z"


def test_amounts_are_whole_euros_rounded_half_up():
    assert [whole_euros(Decimal(v)) for v in ("74.50", "74.49", "0.49", "0.50", "120.49", "1000.00")] == [
        75,
        74,
        0,
        1,
        120,
        1000,
    ]
    signalen = export([WorkedRun(date(2026, 11, 1), NOV)]).document["leveringen"][0]["vroegsignalen"]
    assert [s["bedrag"] for s in signalen] == [75, 120, 0, 1000, 10, 850]
    assert all(isinstance(s["bedrag"], int) for s in signalen)


def test_codes_are_verbatim_and_gemeentebelasting_is_overige():
    document = export([WorkedRun(date(2026, 11, 1), NOV)]).document
    (levering,) = document["leveringen"]
    types = [s["signaalpartner"]["type"] for s in levering["vroegsignalen"]]
    assert types == ["Zorg", "Water", "Overige", "Energie", "Zorg", "Huur"]
    assert "Gemeentebelasting" not in json.dumps(document)
    first = levering["vroegsignaalzaken"][0]
    assert first["resultaat"] == "Vervolghulp en/of verwijzing financieel"
    assert first["datumOpgepakt"] == "2026-11-05"
    assert first["contactpogingen"] == [
        {"soort": "Brief", "bereikt": False, "datum": "2026-11-06"},
        {"soort": "Huisbezoek", "bereikt": True, "datum": "2026-11-09", "dagdeel": "Avond"},
    ]
    assert [s["status"] for s in levering["vroegsignalen"]][:3] == ["Opgepakt", "Opgepakt", "Nog niet opgepakt"]
    assert (first["matchingsdatum"], first["startdatumMatchingperiode"], first["einddatumMatchingperiode"]) == (
        "2026-11-01",
        "2026-09-17",
        "2026-11-01",
    )


def test_a_bsn_only_for_a_supplier_type_that_may_deliver_one_else_the_address():
    bsns = {
        NOV[0].id: {0: "123456782", 1: "111222333"},  # place 1 is Water: never a BSN
        NOV[1].id: {0: "999999990"},  # Gemeentebelasting: never
        OKT[0].id: {0: "876543210"},  # CAK Zorgverzekeringen: yes
    }
    document = export([WorkedRun(date(2026, 11, 1), NOV), WorkedRun(date(2026, 10, 1), OKT)], bsns).document
    clients = {s["ID"]: s["client"] for s in valid(document)["leveringen"][0]["vroegsignalen"]}
    assert clients[f"{NOV[0].id}-1"] == {"burgerservicenummer": "123456782"}
    assert clients[f"{OKT[0].id}-1"] == {"burgerservicenummer": "876543210"}
    assert clients[f"{NOV[0].id}-2"] == {"postcode": "6811AB", "huisnummer": 1}
    assert clients[f"{NOV[1].id}-1"] == {"postcode": "6811AB", "huisnummer": 2}
    assert clients[f"{NOV[2].id}-1"] == {"postcode": "6811AB", "huisnummer": 3}  # Zorg, but no BSN came
    for never in ("111222333", "999999990"):
        assert never not in json.dumps(document)


def test_huisletter_and_toevoeging_make_the_huisnummertoevoeging():
    def adres(letter, toevoeging):
        case = make_case(5)
        return case.model_copy(
            update={"adres": case.adres.model_copy(update={"huisletter": letter, "toevoeging": toevoeging})}
        )

    cases = [adres("A", "2"), adres("A", ""), adres("", "BIS")]
    cases = [c.model_copy(update={"id": f"{i:016x}"}) for i, c in enumerate(cases)]
    signalen = valid(export([WorkedRun(date(2026, 11, 1), cases)]).document)["leveringen"][0]["vroegsignalen"]
    assert [s["client"].get("huisnummertoevoeging") for s in signalen] == ["A-2", "A", "BIS"]


def test_a_signal_with_neither_bsn_nor_address_is_left_out_and_counted():
    bare = make_case(6)
    bare = bare.model_copy(update={"adres": bare.adres.model_copy(update={"postcode": "", "huisnummer": None})})
    result = export([WorkedRun(date(2026, 11, 1), [bare, NOV[2]])])
    levering = valid(result.document)["leveringen"][0]
    assert result.left_out == 1
    assert [z["vroegsignalen"][0]["ID"] for z in levering["vroegsignaalzaken"]] == [f"{NOV[2].id}-1"]
    assert result.case_ids == [NOV[2].id]


def test_only_runs_with_as_of_in_the_period():
    result = export([WorkedRun(date(2026, 11, 1), NOV), WorkedRun(date(2026, 10, 1), OKT)], van=date(2026, 10, 2))
    assert result.case_ids == [case.id for case in NOV]
    assert valid(result.document)["startdatumLevering"] == "2026-10-02"


def test_a_case_of_another_gemeente_is_refused_not_exported():
    with pytest.raises(ValueError, match="another gemeente"):
        export([WorkedRun(date(2026, 11, 1), [make_case(1, "GM0268")])])


@pytest.mark.parametrize(("van", "tot"), [(date(2026, 2, 1), date(2026, 1, 31)), (date(2025, 1, 1), date(2026, 1, 2))])
def test_a_period_backwards_or_over_a_year_is_refused(van, tot):
    with pytest.raises(InvalidRequest):
        check_period(van, tot)
    check_period(date(2025, 1, 2), date(2026, 1, 1))  # 365 days
    check_period(date(2024, 1, 1), date(2024, 12, 31))  # 366 days, a leap year


def test_the_schema_itself_refuses_what_ddas_md_forbids():
    document = export([WorkedRun(date(2026, 11, 1), NOV)], {NOV[0].id: {0: "123456782"}}).document
    bad = json.loads(json.dumps(document))
    bad["leveringen"][0]["vroegsignalen"][0]["client"]["postcode"] = "6811AB"  # BSN and address together
    assert not VALIDATOR.is_valid(bad)
    bad = json.loads(json.dumps(document))
    bad["leveringen"][0]["vroegsignalen"][1]["signaalpartner"]["type"] = "Gemeentebelasting"
    assert not VALIDATOR.is_valid(bad)
    bad = json.loads(json.dumps(document))
    bad["leveringen"][0]["vroegsignalen"][1]["bedrag"] = 120.49
    assert not VALIDATOR.is_valid(bad)
    bad = json.loads(json.dumps(document))
    bad["leveringen"][0]["extra"] = 1
    assert not VALIDATOR.is_valid(bad)


def test_the_matching_period_is_the_runs_own():
    assert ddas.LEVERING_DAGEN == matching.LEVERING_DAGEN
