"""Seeded synthetic demo data: a registry, an address reference and supplier deliveries.

`generate` writes the folder `vindplaats run` reads (matching.md): `registry.toml`,
`adressen.csv` and `leveringen/<leverancier-id>/*.csv`. Every person, number and amount is made
up with `random.Random(seed)`; the same seed and as-of date give byte-identical files. The
files carry on purpose what real deliveries carry: many address and amount forms, other
encodings and line endings, an unknown column, a few bad rows and one file to reject whole.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

# (code, naam, wijken); a wijk is (suffix, naam, buurten); a buurt (suffix, naam, pc4, straten).
PLACES = (
    (
        "GM0202",
        "Arnhem",
        (
            (
                "01",
                "Centrum",
                (
                    ("01", "Binnenstad", "6811", ("Ketelstraat", "Bakkerstraat")),
                    ("02", "Sint Marten", "6821", ("Hommelstraat", "Sonsbeeksingel")),
                ),
            ),
            (
                "02",
                "Klarendal",
                (
                    ("01", "Klarendal", "6822", ("Klarendalseweg", "Rosendaalsestraat")),
                    ("02", "Spijkerkwartier", "6828", ("Spijkerstraat", "Driekoningendwarsstraat")),
                ),
            ),
            (
                "03",
                "Presikhaaf",
                (
                    ("01", "Presikhaaf-West", "6825", ("Hanzestraat", "Kempenaerstraat")),
                    ("02", "Presikhaaf-Oost", "6826", ("Slochterenweg", "Stegelmanstraat")),
                ),
            ),
            (
                "04",
                "Malburgen",
                (
                    ("01", "Malburgen-Oost", "6832", ("Huissensestraat", "Tarthorst")),
                    ("02", "Malburgen-West", "6833", ("Batavierenweg", "Lorentzstraat")),
                ),
            ),
        ),
    ),
    (
        "GM0268",
        "Nijmegen",
        (
            (
                "01",
                "Centrum",
                (
                    ("01", "Stadscentrum", "6511", ("Burchtstraat", "Lange Hezelstraat")),
                    ("02", "Benedenstad", "6512", ("Waalkade", "Lage Markt")),
                ),
            ),
            (
                "02",
                "Oost",
                (
                    ("01", "Altrade", "6522", ("Tooropstraat", "Berg en Dalseweg")),
                    ("02", "Galgenveld", "6523", ("Groesbeekseweg", "Heyendaalseweg")),
                ),
            ),
            (
                "03",
                "Dukenburg",
                (
                    ("01", "Meijhorst", "6537", ("Lankforst", "Beukenlaan")),
                    ("02", "Tolhuis", "6536", ("Merellaan", "Zwanenveld")),
                ),
            ),
            (
                "04",
                "Lindenholt",
                (
                    ("01", "Leuvensbroek", "6545", ("Vossenveld", "Koolemans Beijnenstraat")),
                    ("02", "Worsum", "6546", ("Kastanjelaan", "Rietgors")),
                ),
            ),
        ),
    ),
    (
        "GM0796",
        "'s-Hertogenbosch",
        (
            (
                "01",
                "Binnenstad",
                (
                    ("01", "Binnenstad-Centrum", "5211", ("Hinthamerstraat", "Vughterstraat")),
                    ("02", "Het Zand", "5213", ("Stationsweg", "Emmaplein")),
                ),
            ),
            (
                "02",
                "Noord",
                (
                    ("01", "De Hambaken", "5221", ("Zwanenberg", "Hambakenwetering")),
                    ("02", "Orthenpoort", "5231", ("Orthenseweg", "Zuiderpark")),
                ),
            ),
            (
                "03",
                "West",
                (
                    ("01", "Boschveld", "5223", ("Edelweisstraat", "Copernicuslaan")),
                    ("02", "Paleiskwartier", "5224", ("Onderwijsboulevard", "Magistratenlaan")),
                ),
            ),
            (
                "04",
                "Rosmalen Zuid",
                (
                    ("01", "Maliskamp", "5244", ("Dorpsstraat", "Kerkdijk")),
                    ("02", "Sparrenburg", "5242", ("Hooghuisstraat", "Molenstraat")),
                ),
            ),
        ),
    ),
)
ACHTERNAMEN = (
    ("", "Jansen"),
    ("de", "Vries"),
    ("van den", "Broek"),
    ("", "Bakker"),
    ("", "Visser"),
    ("", "Smits"),
    ("", "Meijer"),
    ("de", "Groot"),
    ("", "Mulder"),
    ("van der", "Meulen"),
    ("", "Dekker"),
    ("", "Brouwer"),
    ("van", "Leeuwen"),
    ("", "Dijkstra"),
    ("de", "Bruijn"),
    ("", "Hendriks"),
    ("van der", "Heijden"),
    ("", "Peters"),
    ("", "Willems"),
    ("van den", "Heuvel"),
    ("", "Hoekstra"),
    ("", "Koster"),
    ("", "Kuipers"),
    ("", "Huisman"),
    ("", "Schouten"),
    ("", "Verhoeven"),
    ("", "Jacobs"),
    ("de", "Graaf"),
    ("van", "Vliet"),
    ("ter", "Horst"),
    ("", "Wouters"),
    ("", "Postma"),
    ("", "Yilmaz"),
    ("", "Öztürk"),
    ("", "Bouzid"),
    ("", "Tahiri"),
    ("", "Nguyen"),
    ("", "Kartosen"),
    ("el", "Idrissi"),
    ("", "Timmermans"),
)
LETTERS = "ABCDEFGHJKLMNPRSTVW"
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
E_MAIL_DOMAINS = ("example.com", "example.net", "example.org")


@dataclass(frozen=True)
class Person:
    voorletters: str
    tussenvoegsel: str
    achternaam: str
    geboortedatum: date
    telefoon: str
    email: str
    bsn: str

    @property
    def naam(self) -> str:
        return " ".join(part for part in (self.voorletters, self.tussenvoegsel, self.achternaam) if part)


@dataclass(frozen=True)
class Household:
    gemeente: str
    woonplaats: str
    straat: str
    postcode: str
    huisnummer: int
    huisletter: str
    toevoeging: str
    personen: tuple[Person, ...]

    @property
    def kind(self) -> str:
        if self.huisletter:
            return "letter_cijfer" if self.toevoeging else "letter"
        return {"": "plain", "HS": "hs", "BIS": "bis"}.get(self.toevoeging, "cijfer")


@dataclass(frozen=True)
class DemoLeverancier:
    """A supplier of the demo and the way its export writes files."""

    id: str
    naam: str
    signaaltype: str
    gemeenten: tuple[str, ...]
    klantnummer: str
    columns: tuple[str, ...]
    delimiter: str = ";"
    newline: str = "\n"
    encoding: str = "utf-8"
    postcodes: tuple[str, ...] = ("compact",)
    amounts: tuple[str, ...] = ("nl",)
    dates: str = "iso"
    telefoon: str = "06{}"
    # Per address kind, the forms a combined huisnummer field takes; None: separate columns.
    numbers: dict[str, tuple[str, ...]] | None = None
    max_fout_percentage: int = 10


_NAME = ("voorletters", "tussenvoegsel", "achternaam")
_SPLIT = ("postcode", "huisnummer", "huisletter", "huisnummertoevoeging")
SUPPLIERS = (
    DemoLeverancier(
        "vivare",
        "Vivare",
        "Huur",
        ("GM0202",),
        "H{:06d}",
        (
            "Klantnummer",
            *(c.capitalize() for c in _SPLIT),
            "Bedrag",
            "Achterstand_sinds",
            "Peildatum",
            *(c.capitalize() for c in _NAME),
            "Straat",
            "Woonplaats",
            "Telefoon",
            "Email",
        ),
        postcodes=("spaced", "compact"),
        amounts=("nl", "euro"),
        dates="dmy",
        telefoon="06-{}",
    ),
    DemoLeverancier(
        "talis",
        "Talis",
        "Huur",
        ("GM0268",),
        "T-{:07d}",
        (
            "klantnummer",
            "postcode",
            "huisnummer",
            "bedrag",
            "achterstand_sinds",
            "peildatum",
            *_NAME,
            "telefoon",
            "email",
        ),
        delimiter=",",
        newline="\r\n",
        postcodes=("compact", "spaced_lower"),
        amounts=("dot", "en"),
        numbers={
            "letter": ("{n}{L}", "{n} {l}"),
            "cijfer": ("{n}-{t}",),
            "bis": ("{n} bis",),
            "hs": ("{n} hs",),
            "letter_cijfer": ("{n}{L}-{t}",),
        },
    ),
    DemoLeverancier(
        "vitens",
        "Vitens",
        "Water",
        ("GM0202", "GM0268"),
        "{:010d}",
        (
            "klantnummer",
            "aansluitnummer",
            "postcode",
            "huisnummer",
            "bedrag",
            "achterstand_sinds",
            "peildatum",
            "achternaam",
            "straat",
            "woonplaats",
            "email",
        ),
        delimiter=",",
        encoding="utf-8-sig",
        postcodes=("spaced_lower", "compact"),
        amounts=("comma",),
        dates="dmy",
        numbers={
            "letter": ("{n}-{L}",),
            "cijfer": ("{n}/{t}",),
            "bis": ("{n}-bis",),
            "hs": ("{n}-hs",),
            "letter_cijfer": ("{n} {L} {t}",),
        },
    ),
    DemoLeverancier(
        "eneco",
        "Eneco",
        "Energie",
        ("GM0202", "GM0268", "GM0796"),
        "E{:09d}",
        ("klantnummer", *_SPLIT, "bedrag", "achterstand_sinds", "crisissignaal", *_NAME, "telefoon", "email"),
        amounts=("euro", "nl"),
        telefoon="+31 6 {}",
    ),
    DemoLeverancier(
        "cz",
        "CZ",
        "Zorg",
        ("GM0202", "GM0268", "GM0796"),
        "CZ{:08d}",
        (
            "klantnummer",
            "bsn",
            *_NAME,
            "geboortedatum",
            "postcode",
            "huisnummer",
            "bedrag",
            "achterstand_sinds",
            "peildatum",
            "signaaltype",
            "telefoon",
            "email",
        ),
        postcodes=("compact", "spaced"),
        amounts=("nl",),
        dates="dmy",
        telefoon="06 {}",
        numbers={
            "letter": ("{n}{L}",),
            "cijfer": ("{n}-{t}",),
            "bis": ("{n} BIS",),
            "hs": ("{n}-HS",),
            "letter_cijfer": ("{n}{L}{t}",),
        },
    ),
    DemoLeverancier(
        "menzis",
        "Menzis",
        "Zorg",
        ("GM0202", "GM0268", "GM0796"),
        "M{:08d}",
        (
            "klantnummer",
            "bsn",
            *_NAME,
            "geboortedatum",
            "postcode",
            "huisnummer",
            "bedrag",
            "achterstand_sinds",
            "peildatum",
            "telefoon",
            "email",
        ),
        delimiter=",",
        amounts=("dot",),
        max_fout_percentage=5,
        numbers={
            "letter": ("{n} {l}",),
            "cijfer": ("{n}/{t}",),
            "bis": ("{n} bis",),
            "hs": ("{n}-hs",),
            "letter_cijfer": ("{n}{L}-{t}",),
        },
    ),
    DemoLeverancier(
        "belastingsamenwerking-gelderland",
        "Belastingsamenwerking Gelderland",
        "Gemeentebelasting",
        ("GM0202", "GM0268"),
        "2026{:06d}",
        ("klantnummer", *_SPLIT, "bedrag", "achterstand_sinds", "peildatum", *_NAME, "straat", "woonplaats"),
    ),
)


SUPPLIER = {supplier.id: supplier for supplier in SUPPLIERS}


@dataclass(frozen=True)
class DemoFile:
    """One file to write: its name, peildatum (days before as-of; None: no column) and flaws."""

    leverancier: str
    name: str
    peildatum_days_before: int | None
    earlier: bool = False
    encoding: str | None = None
    rename: tuple[tuple[str, str], ...] = ()
    bad: tuple[str, ...] = ()


# In name order per supplier, as `vindplaats run` delivers them.
DELIVERIES = (
    DemoFile("vivare", "vivare-{peil}.csv", 27, earlier=True),
    DemoFile("vivare", "vivare-{peil}.csv", 4, encoding="cp1252"),
    DemoFile("talis", "talis_achterstanden_{month}.csv", 6, bad=("postcode",)),
    DemoFile("vitens", "vitens-{peil}.csv", 2, bad=("bedrag",)),
    DemoFile("eneco", "eneco-vroegsignalering.csv", None, bad=("onbekend_adres",)),
    DemoFile("cz", "cz-{peil}.csv", 8, bad=("bsn", "datum")),
    DemoFile("menzis", "menzis-{peil}.csv", 5, bad=("dubbel",)),
    # The first upload names the amount column wrongly and is rejected whole; the second fixes it.
    DemoFile("belastingsamenwerking-gelderland", "bsgr-{peil}-a.csv", 9, rename=(("bedrag", "openstaand"),)),
    DemoFile("belastingsamenwerking-gelderland", "bsgr-{peil}-b.csv", 9),
)


@dataclass(frozen=True)
class Signal:
    household: Household
    person: Person
    klantnummer: str
    cents: int
    sinds: date
    crisis: bool


@dataclass(frozen=True)
class DemoSummary:
    """What `generate` wrote; the personal values let a privacy test search storage for them."""

    gemeenten: int
    leveranciers: int
    convenanten: int
    adressen: int
    huishoudens: int
    leveringen: tuple[str, ...]
    afgewezen: tuple[str, ...]
    zonder_peildatum: tuple[str, ...]
    rijen: int
    foute_rijen: int
    huishoudens_met_signaal: int
    huishoudens_met_meerdere_leveranciers: int
    namen: tuple[str, ...]
    achternamen: tuple[str, ...]
    straten: tuple[str, ...]
    telefoons: tuple[str, ...]
    emails: tuple[str, ...]
    bsns: tuple[str, ...]
    bsn_ongeldig: str

    def persoonsgegevens(self) -> tuple[str, ...]:
        """Every personal value written: names, streets, phones (as written and as 06 digits), e-mails, BSNs."""
        values = (*self.namen, *self.achternamen, *self.straten, *self.telefoons, *self.emails, *self.bsns)
        return (*values, self.bsn_ongeldig)

    def __str__(self) -> str:
        return (
            f"{self.gemeenten} gemeenten, {self.leveranciers} leveranciers, {self.convenanten} convenanten, "
            f"{self.adressen} adresregels, {len(self.leveringen)} leveringen met {self.rijen} rijen "
            f"({self.foute_rijen} foute rijen, {len(self.afgewezen)} bestand om af te wijzen)"
        )


def elfproef(bsn: str) -> bool:
    """True for 9 digits d1..d9 with 9·d1 + 8·d2 + … + 2·d8 − d9 divisible by 11."""
    if len(bsn) != 9 or not bsn.isdigit():
        return False
    digits = [int(c) for c in bsn]
    return (sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=False)) - digits[8]) % 11 == 0


def generate(out_dir: Path, seed: int = 2026, as_of: date = date(2026, 11, 1)) -> DemoSummary:
    """Write the demo folder to `out_dir`, replacing the delivery CSVs of earlier runs, and describe it."""
    out_dir = Path(out_dir)
    world = population(seed, as_of)
    rng, households, reference_rows, unknown = world.rng, world.households, world.reference_rows, world.unknown
    customers, signals, paid = world.customers, world.signals, world.paid
    for supplier in SUPPLIERS:
        for old in sorted((out_dir / "leveringen" / supplier.id).glob("*.csv")):
            old.unlink()
    written = Written()
    paths: list[str] = []
    for delivery in DELIVERIES:
        supplier, peil = SUPPLIER[delivery.leverancier], _peil(delivery, as_of)
        chosen = signals[supplier.id]
        if delivery.earlier:
            chosen = _earlier(chosen, paid, peil)
        counters: dict[str, int] = {}
        rows = [row_of(supplier, s, peil, counters) for s in sorted(chosen, key=lambda s: s.klantnummer)]
        for kind in delivery.bad:
            rows.insert(
                len(rows) // 2, _bad_row(kind, supplier, rng, households, unknown, rows, peil, peil or as_of, counters)
            )
        name = delivery.name.format(peil=(peil or as_of).isoformat(), month=(peil or as_of).isoformat()[:7])
        paths.append(f"{supplier.id}/{name}")
        write_delivery(out_dir / "leveringen" / supplier.id / name, supplier, delivery, rows)
        written.add(supplier, rows)
    (out_dir / "registry.toml").write_bytes(_registry_toml(as_of).encode("utf-8"))
    _write_reference(out_dir / "adressen.csv", reference_rows)
    suppliers_of: dict[Household, int] = {}
    for supplier in SUPPLIERS:
        for household in customers[supplier.id]:
            suppliers_of[household] = suppliers_of.get(household, 0) + 1
    return DemoSummary(
        gemeenten=len(PLACES),
        leveranciers=len(SUPPLIERS),
        convenanten=len(_convenanten(as_of)),
        adressen=len(reference_rows),
        huishoudens=len(households),
        leveringen=tuple(paths),
        afgewezen=tuple(p for p, d in zip(paths, DELIVERIES, strict=False) if d.rename),
        zonder_peildatum=tuple(p for p, d in zip(paths, DELIVERIES, strict=False) if d.peildatum_days_before is None),
        rijen=written.rows,
        foute_rijen=sum(len([k for k in d.bad if k != "onbekend_adres"]) for d in DELIVERIES),
        huishoudens_met_signaal=len(suppliers_of),
        huishoudens_met_meerdere_leveranciers=sum(1 for n in suppliers_of.values() if n >= 2),
        namen=tuple(sorted(written.namen)),
        achternamen=tuple(sorted(written.achternamen)),
        straten=tuple(sorted(written.straten)),
        telefoons=tuple(sorted(written.telefoons)),
        emails=tuple(sorted(written.emails)),
        bsns=tuple(sorted(written.bsns)),
        bsn_ongeldig=written.bad_bsn,
    )


@dataclass(frozen=True)
class Population:
    """The demo's world on its as-of date: every household, the reference, and per supplier the
    households in arrears with their signals (`paid`: vivare's, paid off since its earlier file)."""

    rng: random.Random
    households: list[Household]
    reference_rows: list[tuple]
    unknown: Household
    customers: dict[str, list[Household]]
    signals: dict[str, list[Signal]]
    paid: list[Signal]


def population(seed: int, as_of: date) -> Population:
    """The same world for the same seed and date; `rng` goes on to draw the bad rows."""
    rng = random.Random(seed)
    households, reference_rows, unknown = _world(rng)
    customers = _with_accent(_customers(rng, households))
    last_peil = {d.leverancier: _peil(d, as_of) or as_of for d in DELIVERIES}
    signals = {
        s.id: signals_of(random.Random(f"{seed}:{s.id}"), s, customers[s.id], last_peil[s.id]) for s in SUPPLIERS
    }
    paid = signals_of(
        random.Random(f"{seed}:vivare:betaald"),
        SUPPLIER["vivare"],
        customers["vivare:betaald"],
        _peil(DELIVERIES[0], as_of),
        taken={s.klantnummer for s in signals["vivare"]},
    )
    return Population(rng, households, reference_rows, unknown, customers, signals, paid)


def _peil(delivery: DemoFile, as_of: date) -> date | None:
    days = delivery.peildatum_days_before
    return None if days is None else as_of - timedelta(days=days)


def _world(rng: random.Random) -> tuple[list[Household], list[tuple], Household]:
    """Every household in the three gemeenten, the reference rows, and one address outside it."""
    people = _People(rng)
    households: list[Household] = []
    reference: list[tuple] = []
    for code, woonplaats, wijken in PLACES:
        for w, (wijk_suffix, wijknaam, buurten) in enumerate(wijken):
            wijk = f"WK{code[2:]}{wijk_suffix}"
            for b, (buurt_suffix, buurtnaam, pc4, straten) in enumerate(buurten):
                area = (code, wijk, wijknaam, f"BU{code[2:]}{wijk_suffix}{buurt_suffix}", buurtnaam)
                for s, straat in enumerate(straten):
                    postcode = _postcode_in(rng, pc4, {r[0] for r in reference})
                    numbers = list(range(rng.choice((1, 2)), 60, rng.choice((1, 2))))[: rng.randint(11, 15)]
                    if w == b == 0 and s == 1:
                        # A postcode on a buurt border: the postcode row, and exact rows for the far end.
                        neighbour = wijken[0][2][1]
                        far = (code, wijk, wijknaam, f"BU{code[2:]}{wijk_suffix}{neighbour[0]}", neighbour[1])
                        reference.append((postcode, None, *area))
                        reference.extend((postcode, n, *far) for n in numbers[len(numbers) // 2 :])
                    else:
                        reference.extend((postcode, n, *area) for n in numbers)
                    for n in numbers:
                        for letter, addition in _variants(rng):
                            households.append(
                                Household(code, woonplaats, straat, postcode, n, letter, addition, people.household())
                            )
    # 6812 is an Arnhem postcode area the reference leaves out.
    unknown = Household(
        "GM0202", "Arnhem", "Nieuwe Plein", _postcode_in(rng, "6812", set()), 7, "", "", people.household()
    )
    return households, sorted(reference, key=lambda r: (r[0], r[1] or 0)), unknown


def _postcode_in(rng: random.Random, pc4: str, taken: set[str]) -> str:
    while True:
        letters = rng.choice(POSTCODE_LETTERS) + rng.choice(POSTCODE_LETTERS)
        if letters not in ("SA", "SD", "SS") and pc4 + letters not in taken:
            return pc4 + letters


def _variants(rng: random.Random) -> tuple[tuple[str, str], ...]:
    draw = rng.random()
    if draw < 0.08:
        return (("A", ""), ("B", ""))
    if draw < 0.16:
        return (("", "HS"), ("", "1"), ("", "2"))
    if draw < 0.21:
        return (("", ""), ("", "BIS"))
    if draw < 0.24:
        return (("A", "1"), ("A", "2"))
    return (("", ""),)


class _People:
    """Made-up residents: names, birth dates, 06 numbers, example.* e-mails, BSNs passing the elfproef."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.taken: set[str] = set()

    def household(self) -> tuple[Person, ...]:
        first = self.person(self.rng.choice(ACHTERNAMEN))
        if self.rng.random() < 0.55:
            return (first,)
        partner_name = (first.tussenvoegsel, first.achternaam) if self.rng.random() < 0.5 else None
        return first, self.person(partner_name or self.rng.choice(ACHTERNAMEN))

    def person(self, name: tuple[str, str]) -> Person:
        rng = self.rng
        voorletters = "".join(f"{rng.choice(LETTERS)}." for _ in range(rng.choice((1, 1, 2, 2, 3))))
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
        telefoon = self._unique(lambda: f"{rng.randrange(10**8):08d}")
        slug = _ascii(name[0] + name[1]).replace(" ", "").replace("'", "").lower()
        email = self._unique(
            lambda: f"{voorletters[0].lower()}.{slug}{rng.randint(1, 99)}@{rng.choice(E_MAIL_DOMAINS)}"
        )
        return Person(voorletters, name[0], name[1], born, telefoon, email, self._unique(self._bsn))

    def _bsn(self) -> str:
        while True:
            digits = [self.rng.randint(1, 6)] + [self.rng.randint(0, 9) for _ in range(7)]
            check = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=False)) % 11
            if check < 10:
                return "".join(map(str, digits)) + str(check)

    def _unique(self, make) -> str:
        while (value := make()) in self.taken:
            pass
        self.taken.add(value)
        return value


def _ascii(text: str) -> str:
    return text.translate(str.maketrans("éëèöüïäÖÉ", "eeeouiaOE"))


def _customers(rng: random.Random, households: list[Household]) -> dict[str, list[Household]]:
    """Per supplier the households with arrears; many have more than one supplier."""
    customers: dict[str, list[Household]] = {s.id: [] for s in SUPPLIERS}
    for code, _, _ in PLACES:
        pool = [h for h in households if h.gemeente == code]
        rng.shuffle(pool)
        serving = [s.id for s in SUPPLIERS if code in s.gemeenten]
        for household in pool[: len(pool) * 22 // 100]:
            count = min(len(serving), rng.choices((1, 2, 3, 4), weights=(40, 35, 18, 7))[0])
            for supplier_id in rng.sample(serving, count):
                customers[supplier_id].append(household)
    # Enough addresses of each kind that every combined huisnummer form gets written at least once.
    for supplier in SUPPLIERS:
        for kind, forms in (supplier.numbers or {}).items():
            mine = customers[supplier.id]
            missing = len(forms) - sum(h.kind == kind for h in mine)
            spare = [h for h in households if h.gemeente in supplier.gemeenten and h.kind == kind and h not in mine]
            mine.extend(rng.sample(spare, max(missing, 0)))
    vivare = customers["vivare"]
    spare = [h for h in households if h.gemeente == "GM0202" and h not in vivare]
    customers["vivare:betaald"] = rng.sample(spare, 3)
    return customers


def _with_accent(customers: dict[str, list[Household]]) -> dict[str, list[Household]]:
    """Name one vivare household Dupré, so that the Windows-1252 file carries an é."""
    old = customers["vivare"][0]
    people = tuple(
        replace(p, tussenvoegsel="", achternaam="Dupré", email=f"{p.voorletters[0].lower()}.dupre{i}@example.com")
        for i, p in enumerate(old.personen, start=1)
    )
    new = replace(old, personen=people)
    return {key: [new if h == old else h for h in hs] for key, hs in customers.items()}


_AMOUNTS = {
    "Huur": (45_000, 320_000),
    "Water": (3_500, 60_000),
    "Energie": (9_000, 250_000),
    "Zorg": (12_000, 180_000),
    "Gemeentebelasting": (5_000, 90_000),
}


def signals_of(
    rng: random.Random, supplier: DemoLeverancier, households: list[Household], peil: date, taken: Collection[str] = ()
) -> list[Signal]:
    """One signal per household: its klantnummer, the person named, amount, start of arrears, crisis."""
    signals = []
    numbers = iter(rng.sample(range(1, 10**6), len(households) + len(taken) + 1))
    used = set(taken)
    for household in households:
        while (klantnummer := supplier.klantnummer.format(next(numbers))) in used:
            pass
        used.add(klantnummer)
        partner = len(household.personen) > 1 and rng.random() < 0.3
        person = household.personen[-1] if partner else household.personen[0]
        low, high = _AMOUNTS[supplier.signaaltype]
        cents = rng.randint(2_000, 7_400) if rng.random() < 0.1 else rng.randint(low, high)
        draw = rng.random()
        days = rng.randint(25, 95) if draw < 0.8 else rng.randint(101, 240) if draw < 0.92 else rng.randint(5, 29)
        crisis = supplier.signaaltype == "Energie" and rng.random() < 0.15
        signals.append(Signal(household, person, klantnummer, cents, peil - timedelta(days=days), crisis))
    return signals


def _earlier(current: list[Signal], paid: list[Signal], peil: date) -> list[Signal]:
    """The delivery a few weeks before: arrears that had begun by then, smaller, and some since paid."""
    begun = [replace(s, cents=max(2_000, s.cents * 4 // 5)) for s in current if s.sinds <= peil - timedelta(days=14)]
    return begun + paid


def row_of(supplier: DemoLeverancier, signal: Signal, peil: date | None, counters: dict[str, int]) -> dict[str, str]:
    household, person = signal.household, signal.person
    row = {
        "klantnummer": signal.klantnummer,
        "postcode": _postcode(household.postcode, _next(counters, "postcode", supplier.postcodes)),
        "bedrag": _amount(signal.cents, _next(counters, "bedrag", supplier.amounts)),
        "achterstand_sinds": _date(signal.sinds, supplier.dates),
        "peildatum": _date(peil, supplier.dates) if peil else "",
        "voorletters": person.voorletters,
        "tussenvoegsel": person.tussenvoegsel,
        "achternaam": person.achternaam,
        "geboortedatum": _date(person.geboortedatum, supplier.dates),
        "straat": household.straat,
        "woonplaats": household.woonplaats,
        "telefoon": supplier.telefoon.format(person.telefoon),
        "email": person.email,
        "bsn": person.bsn,
        "crisissignaal": "ja" if signal.crisis else "nee",
        "signaaltype": supplier.signaaltype,
        "aansluitnummer": f"871687140{signal.klantnummer[-9:]:0>9}",
    }
    row.update(_address(supplier, household, counters))
    return row


def _address(supplier: DemoLeverancier, household: Household, counters: dict[str, int]) -> dict[str, str]:
    number, letter, addition = str(household.huisnummer), household.huisletter, household.toevoeging
    if supplier.numbers is None:
        if _next(counters, "case", (False, True)):
            letter, addition = letter.lower(), addition.lower()
        return {"huisnummer": number, "huisletter": letter, "huisnummertoevoeging": addition}
    if household.kind == "plain":
        return {"huisnummer": number}
    form = _next(counters, household.kind, supplier.numbers[household.kind])
    return {"huisnummer": form.format(n=number, L=letter, l=letter.lower(), t=addition)}


def _bad_row(
    kind: str,
    supplier: DemoLeverancier,
    rng: random.Random,
    households: list[Household],
    unknown: Household,
    rows: list[dict[str, str]],
    peil: date | None,
    day: date,
    counters: dict[str, int],
) -> dict[str, str]:
    """One more row, spoilt as `kind` says; `onbekend_adres` is valid but lies outside the reference."""
    listed = {row["klantnummer"] for row in rows}
    if kind == "onbekend_adres":
        household = unknown
    else:
        household = rng.choice([h for h in households if h.gemeente in supplier.gemeenten])
    klantnummer = rows[0]["klantnummer"]
    while kind != "dubbel" and klantnummer in listed:
        klantnummer = supplier.klantnummer.format(rng.randrange(1, 10**6))
    signal = Signal(
        household,
        household.personen[0],
        klantnummer,
        rng.randint(8_000, 90_000),
        day - timedelta(days=rng.randint(30, 90)),
        False,
    )
    row = row_of(supplier, signal, peil, counters)
    if kind == "postcode":
        row["postcode"] = row["postcode"].replace(" ", "")[1:]
    elif kind == "bedrag":
        row["bedrag"] = _amount(0, supplier.amounts[0])
    elif kind == "bsn":
        row["bsn"] = row["bsn"][:8] + str((int(row["bsn"][8]) + 1) % 10)
    elif kind == "datum":
        row["achterstand_sinds"] = _date(day + timedelta(days=6), supplier.dates)
    return row


def _next(counters: dict[str, int], key: str, options: tuple):
    index = counters.get(key, 0)
    counters[key] = index + 1
    return options[index % len(options)]


def _postcode(postcode: str, form: str) -> str:
    return {
        "compact": postcode,
        "spaced": f"{postcode[:4]} {postcode[4:]}",
        "spaced_lower": f"{postcode[:4]} {postcode[4:].lower()}",
        "lower": postcode.lower(),
    }[form]


def _amount(cents: int, form: str) -> str:
    euros, rest = divmod(cents, 100)
    dutch = f"{euros:,}".replace(",", ".") + f",{rest:02d}"
    return {
        "nl": dutch,
        "euro": f"€ {dutch}",
        "en": f"{euros:,}.{rest:02d}",
        "dot": f"{euros}.{rest:02d}",
        "comma": f"{euros},{rest:02d}",
    }[form]


def _date(day: date, form: str) -> str:
    return day.isoformat() if form == "iso" else f"{day.day:02d}-{day.month:02d}-{day.year}"


class Written:
    """The personal values and row count of every file written."""

    def __init__(self) -> None:
        self.rows = 0
        self.namen: set[str] = set()
        self.achternamen: set[str] = set()
        self.straten: set[str] = set()
        self.telefoons: set[str] = set()
        self.emails: set[str] = set()
        self.bsns: set[str] = set()
        self.bad_bsn = ""

    def add(self, supplier: DemoLeverancier, rows: list[dict[str, str]]) -> None:
        columns = {column.lower() for column in supplier.columns}
        for row in rows:
            self.rows += 1
            if "voorletters" in columns:
                self.namen.add(" ".join(row[c] for c in ("voorletters", "tussenvoegsel", "achternaam") if row[c]))
            if "achternaam" in columns:
                self.achternamen.add(row["achternaam"])
            if "straat" in columns:
                self.straten.add(row["straat"])
            if "telefoon" in columns:
                digits = "".join(c for c in row["telefoon"] if c.isdigit())
                self.telefoons.update((row["telefoon"], "06" + digits[-8:]))
            if "email" in columns:
                self.emails.add(row["email"])
            if "bsn" in columns:
                if elfproef(row["bsn"]):
                    self.bsns.add(row["bsn"])
                else:
                    self.bad_bsn = row["bsn"]


def write_delivery(path: Path, supplier: DemoLeverancier, delivery: DemoFile, rows: list[dict[str, str]]) -> None:
    rename = dict(delivery.rename)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=supplier.delimiter, lineterminator=supplier.newline)
    writer.writerow([rename.get(column.lower(), column) for column in supplier.columns])
    writer.writerows([row[column.lower()] for column in supplier.columns] for row in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(delivery.encoding or supplier.encoding))


def _write_reference(path: Path, rows: list[tuple]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("postcode", "huisnummer", "gemeentecode", "wijkcode", "wijknaam", "buurtcode", "buurtnaam"))
    writer.writerows((postcode, "" if number is None else number, *area) for postcode, number, *area in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def _convenanten(as_of: date) -> tuple[tuple[str, str, date, date | None], ...]:
    year_ago = (as_of - timedelta(days=365)).replace(day=1)
    half_year = (as_of - timedelta(days=180)).replace(day=1)
    ended = (
        (as_of - timedelta(days=730)).replace(day=1),
        (as_of - timedelta(days=60)).replace(day=1) - timedelta(days=1),
    )
    return (
        ("GM0202", "vivare", year_ago, date(as_of.year + 1, 12, 31)),
        ("GM0202", "vitens", year_ago, None),
        ("GM0202", "eneco", half_year, None),
        ("GM0202", "cz", year_ago, None),
        ("GM0202", "menzis", year_ago, None),
        ("GM0202", "belastingsamenwerking-gelderland", year_ago, None),
        ("GM0268", "talis", year_ago, None),
        ("GM0268", "vitens", year_ago, None),
        ("GM0268", "eneco", year_ago, None),
        ("GM0268", "cz", half_year, None),
        ("GM0268", "belastingsamenwerking-gelderland", *ended),
        ("GM0796", "eneco", year_ago, None),
        ("GM0796", "cz", year_ago, None),
        ("GM0796", "menzis", year_ago, None),
    )


def _registry_toml(as_of: date) -> str:
    def text(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    rules = {
        "GM0202": ["min_leveranciers = 2", "min_dagen = 0", "max_dagen = 100", "min_bedrag = 75", "signaaltypen = []"],
        "GM0268": ["venster = { Water = [30, 3650] }"],
        "GM0796": [],
    }
    lines = ["# Demo-register met synthetische gegevens (infra/demo.py).", ""]
    for code, naam, _ in PLACES:
        lines += ["[[gemeente]]", f"code = {text(code)}", f"naam = {text(naam)}", *rules[code], ""]
    for s in SUPPLIERS:
        lines += [
            "[[leverancier]]",
            f"id = {text(s.id)}",
            f"naam = {text(s.naam)}",
            f"signaaltype = {text(s.signaaltype)}",
            f"max_fout_percentage = {s.max_fout_percentage}",
            "",
        ]
    for gemeente, leverancier, vanaf, tot in _convenanten(as_of):
        lines += [
            "[[convenant]]",
            f"gemeente = {text(gemeente)}",
            f"leverancier = {text(leverancier)}",
            f"vanaf = {text(vanaf.isoformat())}",
        ]
        lines += [f"tot = {text(tot.isoformat())}"] if tot else []
        lines.append("")
    return "\n".join(lines)
