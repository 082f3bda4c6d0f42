"""Cases: a run's matched households as their gemeente works them (matching.md, "Results").

`build_cases` joins the run's pseudonymous matches (MATCH_SCHEMA) with the decrypted vault
records of the matched rows; `build_contacts` gives the people the suppliers named, kept apart
so that a case can be listed, filtered and exported without any contact data. The BSN is never
read into either: `build_bsns` keeps it apart, per signal, for the DDAS export (ddas.md) only.

Amounts are euros: `Decimal` to the cent in Python, a JSON number on the wire (`12.5` is
€ 12,50), as the `vindplaats run` output has them. Dates are ISO. pyarrow is imported only by
the builders, so the API reads cases without loading it.
"""

from __future__ import annotations

import hashlib
from calendar import monthrange
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from chalicelib.domain.signaaltype import BSN_SIGNAALTYPEN

if TYPE_CHECKING:
    import pyarrow as pa

    from chalicelib.domain.registry import Registry

STATUS_NIEUW = "Nog niet opgepakt"  # DDAS EnumSignaalstatus of a case nobody has picked up yet
CASE_ID_HEX_CHARS = 16
_CENT = Decimal("0.01")

Euro = Annotated[
    Decimal,
    AfterValidator(lambda value: value.quantize(_CENT)),
    PlainSerializer(float, return_type=float, when_used="json"),
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gebied(_Model):
    """A CBS wijk or buurt: its code and, from the address reference, its name ("" if unknown)."""

    code: str
    naam: str


class Adres(_Model):
    """The household's normalised BAG address; absent parts are ""."""

    postcode: str
    huisnummer: int | None
    huisletter: str
    toevoeging: str


class CaseSignal(_Model):
    """One eligible signal of the case, as its supplier delivered it."""

    leverancier: str
    leverancier_naam: str
    klantnummer: str
    signaaltype: str
    bedrag: Euro
    achterstand_sinds: date
    peildatum: date
    crisis: bool


class Contactpoging(_Model):
    """A contact attempt (DDAS: EnumContactsoort, bereikt, datum, EnumDagdeel)."""

    soort: str
    bereikt: bool
    datum: date
    dagdeel: str | None = None


class Case(_Model):
    """A matched household of one gemeente in one run, without contact data."""

    id: str
    run: str
    as_of: date
    gemeente: str
    wijk: Gebied
    buurt: Gebied
    adres: Adres
    signalen: list[CaseSignal]
    aantal_leveranciers: int
    totaal_bedrag: Euro
    oudste_achterstand: date
    herhaald: bool
    crisis: bool
    rank: int
    status: str = STATUS_NIEUW
    team: str | None = None
    contactpogingen: list[Contactpoging] = Field(default_factory=list)
    resultaat: str | None = None
    resultaat_op: date | None = None  # the day the outcome was recorded
    approached_on: date | None = None
    pause_until: date | None = None


class Person(_Model):
    """A person a supplier named for the household; fields it left empty are None (and omitted
    from JSON with `exclude_none`)."""

    leverancier: str
    voorletters: str | None = None
    tussenvoegsel: str | None = None
    achternaam: str | None = None
    geboortedatum: date | None = None
    straat: str | None = None
    woonplaats: str | None = None
    telefoon: str | None = None
    email: str | None = None


PERSON_FIELDS = tuple(name for name in Person.model_fields if name != "leverancier")
_TEXT_FIELDS = tuple(name for name in PERSON_FIELDS if name != "geboortedatum")


def case_id(run_id: str, gemeente: str, huishouden: str) -> str:
    """Stable for a run, gemeente and household; one-way, so it does not reveal the pseudonym."""
    digest = hashlib.sha256(f"{run_id}\x1f{gemeente}\x1f{huishouden}".encode()).hexdigest()
    return digest[:CASE_ID_HEX_CHARS]


def euro(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(_CENT)


VaultRecords = Mapping[tuple[str, str], "pa.Table"]


def build_cases(
    matches: pa.Table,
    vault_records: VaultRecords,
    registry: Registry,
    reference: pa.Table,
    run_id: str,
    as_of: date,
) -> list[Case]:
    """The run's cases, by gemeente then rank, each with its signals ordered by leverancier.

    `matches` holds MATCH_SCHEMA rows; `vault_records` the vault tables (VAULT_COLUMNS) of the
    matched deliveries by (leverancier, levering), whole or cut down to the matched regels. A
    signal whose record is missing keeps its figures, with klantnummer "". Supplier names come
    from `registry` (the id when unknown), wijk and buurt names from `reference`.
    """
    households = list(_households(matches, vault_records))
    wijken = _names(reference, "wijk", "wijknaam", {rows[0]["wijk"] for rows in households})
    buurten = _names(reference, "buurt", "buurtnaam", {rows[0]["buurt"] for rows in households})
    leveranciers = {leverancier.id: leverancier.naam for leverancier in registry.leveranciers}
    names = {"wijk": wijken, "buurt": buurten, "leverancier": leveranciers}
    return [_case(rows, names, run_id, as_of) for rows in households]


def build_contacts(matches: pa.Table, vault_records: VaultRecords, run_id: str) -> dict[str, list[Person]]:
    """Per case id, the distinct people the suppliers named (trimmed; empty fields None), in
    signal order. Cases without any named person are left out."""
    contacts: dict[str, list[Person]] = {}
    for rows in _households(matches, vault_records):
        people: dict[Person, None] = {}
        for row in rows:
            person = _person(row)
            if person is not None:
                people.setdefault(person)
        if people:
            first = rows[0]
            contacts[case_id(run_id, first["gemeente"], first["huishouden"])] = list(people)
    return contacts


def build_bsns(matches: pa.Table, vault_records: VaultRecords, run_id: str) -> dict[str, dict[int, str]]:
    """Per case id, the BSN of each signal (by its place in the case's signals) whose supplier is
    of a type that may deliver one (delivery-format.md) and did. Cases without any are left out."""
    bsns: dict[str, dict[int, str]] = {}
    for rows in _households(matches, vault_records, with_bsn=True):
        places = {
            place: row["bsn"].strip()
            for place, row in enumerate(rows)
            if row["signaaltype"] in BSN_SIGNAALTYPEN and (row["bsn"] or "").strip()
        }
        if places:
            first = rows[0]
            bsns[case_id(run_id, first["gemeente"], first["huishouden"])] = places
    return bsns


def _households(
    matches: pa.Table, vault_records: VaultRecords, *, with_bsn: bool = False
) -> Iterator[list[dict[str, Any]]]:
    """The matched signals with their vault records, grouped per household in case order.

    The join and sort are vectorised; the per-row loop that follows builds the output objects,
    one per signal (about 85,000 signals a month nationally: ddas.md).
    """
    import pyarrow as pa

    from chalicelib.domain.matching import MATCH_SCHEMA

    records_schema = _records_schema(with_bsn)
    vault_schema = pa.schema([field for field in records_schema if field.name not in ("leverancier", "levering")])
    parts = []
    for (leverancier, levering), records in vault_records.items():
        n = records.num_rows
        if with_bsn and "bsn" not in records.column_names:
            records = records.append_column("bsn", pa.nulls(n, pa.string()))
        table = records.select(vault_schema.names).cast(vault_schema)
        table = table.append_column("leverancier", pa.array([leverancier] * n, pa.string()))
        parts.append(table.append_column("levering", pa.array([levering] * n, pa.string())))
    records = pa.concat_tables(parts) if parts else records_schema.empty_table()
    joined = (
        matches.select(MATCH_SCHEMA.names)
        .cast(MATCH_SCHEMA)
        .join(records, keys=["leverancier", "levering", "regel"], join_type="left outer")
    )
    ordered = joined.sort_by(
        [(name, "ascending") for name in ("gemeente", "case_rank", "huishouden", "leverancier", "levering", "regel")]
    )
    for _, rows in groupby(ordered.to_pylist(), key=itemgetter("gemeente", "huishouden")):
        yield list(rows)


def _records_schema(with_bsn: bool = False) -> pa.Schema:
    """The vault columns a case or contact may use (never `bsn`, unless for `build_bsns`), then
    the delivery's keys."""
    import pyarrow as pa

    types = {"regel": pa.int32(), "huisnummer": pa.int32(), "geboortedatum": pa.date32()}
    bsn = ("bsn",) if with_bsn else ()
    names = ("regel", "klantnummer", "postcode", "huisnummer", "huisletter", "toevoeging", *PERSON_FIELDS, *bsn)
    fields = [pa.field(name, types.get(name, pa.string())) for name in names]
    return pa.schema([*fields, pa.field("leverancier", pa.string()), pa.field("levering", pa.string())])


def _names(reference: pa.Table, code: str, name: str, codes: set[str | None]) -> dict[str, str]:
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = sorted(c for c in codes if c)
    if not wanted:
        return {}
    rows = reference.filter(pc.is_in(reference[code], value_set=pa.array(wanted, pa.string())))
    firsts = rows.select([code, name]).group_by(code, use_threads=False).aggregate([(name, "first")])
    return dict(zip(firsts[code].to_pylist(), firsts[f"{name}_first"].to_pylist(), strict=True))


def _case(rows: list[dict[str, Any]], names: Mapping[str, Mapping[str, str]], run_id: str, as_of: date) -> Case:
    # One validation per case, from plain values: cheaper than building each nested model.
    first = rows[0]
    return Case.model_validate(
        {
            "id": case_id(run_id, first["gemeente"], first["huishouden"]),
            "run": run_id,
            "as_of": as_of,
            "gemeente": first["gemeente"],
            "wijk": {"code": first["wijk"] or "", "naam": names["wijk"].get(first["wijk"], "")},
            "buurt": {"code": first["buurt"] or "", "naam": names["buurt"].get(first["buurt"], "")},
            "adres": _adres(next((row for row in rows if row["postcode"] is not None), None)),
            "signalen": [_signal(row, names["leverancier"]) for row in rows],
            "aantal_leveranciers": first["aantal_leveranciers"],
            "totaal_bedrag": euro(first["totaal_bedrag_cent"]),
            "oudste_achterstand": first["oudste_achterstand"],
            "herhaald": first["herhaald"],
            "crisis": first["case_crisis"],
            "rank": first["case_rank"],
        }
    )


def _adres(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        return {"postcode": "", "huisnummer": None, "huisletter": "", "toevoeging": ""}
    return {
        "postcode": row["postcode"],
        "huisnummer": row["huisnummer"],
        "huisletter": row["huisletter"] or "",
        "toevoeging": row["toevoeging"] or "",
    }


def _signal(row: dict[str, Any], leveranciers: Mapping[str, str]) -> dict[str, Any]:
    return {
        "leverancier": row["leverancier"],
        "leverancier_naam": leveranciers.get(row["leverancier"], row["leverancier"]),
        "klantnummer": (row["klantnummer"] or "").strip(),
        "signaaltype": row["signaaltype"],
        "bedrag": euro(row["bedrag_cent"]),
        "achterstand_sinds": row["achterstand_sinds"],
        "peildatum": row["peildatum"],
        "crisis": row["crisis"],
    }


def _person(row: dict[str, Any]) -> Person | None:
    fields: dict[str, Any] = {name: (row[name] or "").strip() or None for name in _TEXT_FIELDS}
    fields["geboortedatum"] = row["geboortedatum"]
    if all(value is None for value in fields.values()):
        return None
    return Person(leverancier=row["leverancier"], **fields)


class RunStatus(StrEnum):
    PUBLISHING = "publishing"
    PUBLISHED = "published"


class RunInfo(_Model):
    """A run as the run registry knows it; `gemeenten` counts its cases per gemeente code."""

    run_id: str
    as_of: date
    status: RunStatus
    begun_at: datetime | None = None
    published_at: datetime | None = None
    gemeenten: dict[str, int] = Field(default_factory=dict)


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the month's end (31 Aug + 6 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))
