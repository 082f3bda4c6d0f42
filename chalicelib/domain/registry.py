"""The registry: gemeenten with their rules, leveranciers, and the convenanten between them.

Operators write it as TOML (matching.md); a store hands its entries back as sections
(`registry_from_sections`). Every way in raises `RegistryError` with a stable English code and a
Dutch message that names the entry and the field at fault.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib.domain.ids import GEMEENTE_CODE, LEVERANCIER_ID
from chalicelib.domain.signaaltype import canonical_signaaltype

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CENT = Decimal("0.01")


class RegistryError(Exception):
    """A registry that cannot be used: `code` is stable English, `message` Dutch for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _not_bool(value: Any) -> Any:
    # pydantic reads True as 1; in a registry that is always a typing slip.
    if isinstance(value, bool):
        raise PydanticCustomError("invalid_field", "moet een getal zijn, geen ja/nee")
    return value


def _iso_date(value: Any) -> Any:
    # pydantic would read an integer as a Unix timestamp and accept date-times.
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PydanticCustomError("invalid_date", "moet een datum zijn in de vorm JJJJ-MM-DD")


def _signaaltype(value: Any) -> str:
    canonical = canonical_signaaltype(value) if isinstance(value, str) else None
    if canonical is None:
        raise PydanticCustomError(
            "unknown_signaaltype",
            "'{value}' is geen bekend signaaltype (DDAS EnumSignaalpartner of Gemeentebelasting)",
            {"value": str(value)},
        )
    return canonical


def _gemeente_code(value: Any) -> Any:
    if isinstance(value, str) and GEMEENTE_CODE.fullmatch(value):
        return value
    raise PydanticCustomError(
        "invalid_gemeente_code",
        "'{value}' is geen gemeentecode (GM gevolgd door vier cijfers, zoals GM0202)",
        {"value": str(value)},
    )


def _leverancier_id(value: Any) -> Any:
    if isinstance(value, str) and LEVERANCIER_ID.fullmatch(value):
        return value
    raise PydanticCustomError(
        "invalid_leverancier_id",
        "'{value}' is geen geldige leverancier-id (2 tot 40 tekens: kleine letters, cijfers of -)",
        {"value": str(value)},
    )


Count = Annotated[int, BeforeValidator(_not_bool)]
Day = Annotated[date, BeforeValidator(_iso_date)]
GemeenteCode = Annotated[str, BeforeValidator(_gemeente_code)]
LeverancierId = Annotated[str, BeforeValidator(_leverancier_id)]
Signaaltype = Annotated[str, BeforeValidator(_signaaltype)]
Naam = Annotated[str, Field(min_length=1, max_length=200)]


class Gemeente(BaseModel):
    """A gemeente and its matching rules (matching.md, "Rule")."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: GemeenteCode
    naam: Naam
    min_leveranciers: Count = Field(default=2, ge=1)
    min_dagen: Count = Field(default=0, ge=0)
    max_dagen: Count = Field(default=100, ge=0)
    min_bedrag: Annotated[Decimal, BeforeValidator(_not_bool)] = Field(
        default=Decimal("0.00"), ge=0, le=Decimal("999999.99"), decimal_places=2
    )
    signaaltypen: tuple[Signaaltype, ...] = ()
    venster: dict[Signaaltype, tuple[Count, Count]] = Field(default_factory=dict)

    @field_validator("min_bedrag")
    @classmethod
    def _in_cents(cls, value: Decimal) -> Decimal:
        return value.quantize(_CENT)

    @field_validator("signaaltypen")
    @classmethod
    def _once_each(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))

    @field_validator("venster")
    @classmethod
    def _ranges(cls, value: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        for signaaltype, (low, high) in value.items():
            if low < 0 or low > high:
                raise PydanticCustomError(
                    "invalid_range",
                    "venster voor {signaaltype} moet [min_dagen, max_dagen] zijn met "
                    "0 ≤ min_dagen ≤ max_dagen, niet [{low}, {high}]",
                    {"signaaltype": signaaltype, "low": low, "high": high},
                )
        return value

    @model_validator(mode="after")
    def _dagen(self) -> Gemeente:
        if self.min_dagen > self.max_dagen:
            raise PydanticCustomError(
                "invalid_range",
                "min_dagen ({low}) is groter dan max_dagen ({high})",
                {"low": self.min_dagen, "high": self.max_dagen},
            )
        return self

    @property
    def min_bedrag_centen(self) -> int:
        return int(self.min_bedrag * 100)

    def accepts_signaaltype(self, signaaltype: str) -> bool:
        """True when signals of this type count here (an empty `signaaltypen` accepts all)."""
        return not self.signaaltypen or signaaltype in self.signaaltypen

    def dagen_venster(self, signaaltype: str) -> tuple[int, int]:
        """The inclusive [min, max] days of arrears for this type: its `venster`, else the default."""
        return self.venster.get(signaaltype, (self.min_dagen, self.max_dagen))


class Leverancier(BaseModel):
    """A supplier; its `id` is also its upload prefix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: LeverancierId
    naam: Naam
    signaaltype: Signaaltype
    max_fout_percentage: Annotated[float, BeforeValidator(_not_bool)] = Field(
        default=10.0, ge=0, le=100, allow_inf_nan=False
    )


class Convenant(BaseModel):
    """An agreement letting a supplier's signals count for a gemeente from `vanaf` to `tot` inclusive."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gemeente: GemeenteCode
    leverancier: LeverancierId
    vanaf: Day
    tot: Day | None = None

    @model_validator(mode="after")
    def _period(self) -> Convenant:
        if self.tot is not None and self.tot < self.vanaf:
            raise PydanticCustomError(
                "invalid_range",
                "tot ({tot}) ligt voor vanaf ({vanaf})",
                {"tot": self.tot.isoformat(), "vanaf": self.vanaf.isoformat()},
            )
        return self

    @property
    def key(self) -> str:
        return f"{self.gemeente}#{self.leverancier}#{self.vanaf.isoformat()}"

    def active_on(self, day: date) -> bool:
        return self.vanaf <= day and (self.tot is None or day <= self.tot)


class Registry(BaseModel):
    """The whole registry. Construction checks uniqueness and that convenanten name known entries."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gemeenten: tuple[Gemeente, ...] = ()
    leveranciers: tuple[Leverancier, ...] = ()
    convenanten: tuple[Convenant, ...] = ()

    _gemeente_index: dict[str, Gemeente] = PrivateAttr(default_factory=dict)
    _leverancier_index: dict[str, Leverancier] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Registry:
        _unique((g.code for g in self.gemeenten), "duplicate_gemeente", "gemeente {key}")
        _unique((leverancier.id for leverancier in self.leveranciers), "duplicate_leverancier", "leverancier '{key}'")
        _unique(
            (c.key for c in self.convenanten),
            "duplicate_convenant",
            "convenant {key}",
        )
        codes = {g.code for g in self.gemeenten}
        ids = {leverancier.id for leverancier in self.leveranciers}
        for number, convenant in enumerate(self.convenanten, start=1):
            if convenant.gemeente not in codes:
                raise PydanticCustomError(
                    "unknown_gemeente",
                    "convenant {number}: gemeente '{code}' staat niet in het register",
                    {"number": number, "code": convenant.gemeente},
                )
            if convenant.leverancier not in ids:
                raise PydanticCustomError(
                    "unknown_leverancier",
                    "convenant {number}: leverancier '{id}' staat niet in het register",
                    {"number": number, "id": convenant.leverancier},
                )
        return self

    def model_post_init(self, context: Any) -> None:
        self._gemeente_index = {g.code: g for g in self.gemeenten}
        self._leverancier_index = {leverancier.id: leverancier for leverancier in self.leveranciers}

    def gemeente(self, code: str) -> Gemeente | None:
        return self._gemeente_index.get(code)

    def leverancier(self, id: str) -> Leverancier | None:
        return self._leverancier_index.get(id)

    def active_convenanten(self, on: date) -> tuple[Convenant, ...]:
        """The convenanten with vanaf ≤ `on` ≤ tot."""
        return tuple(c for c in self.convenanten if c.active_on(on))

    def canonical(self) -> Registry:
        """The same registry ordered by gemeente code, leverancier id and convenant key."""
        return Registry(
            gemeenten=tuple(sorted(self.gemeenten, key=lambda g: g.code)),
            leveranciers=tuple(sorted(self.leveranciers, key=lambda leverancier: leverancier.id)),
            convenanten=tuple(sorted(self.convenanten, key=lambda c: c.key)),
        )


def _unique(keys: Iterable[str], code: str, what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise PydanticCustomError(code, what + " staat meer dan één keer in het register", {"key": key})
        seen.add(key)


# TOML and items name each section in the singular; the model holds the plural.
_SECTIONS = {"gemeente": "gemeenten", "leverancier": "leveranciers", "convenant": "convenanten"}
_SINGULAR = {plural: singular for singular, plural in _SECTIONS.items()}
_IDENTITY = {"gemeenten": "code", "leveranciers": "id"}


def parse_registry_toml(text: str) -> Registry:
    """The registry in `text` (matching.md's TOML form), in canonical order.

    Raises RegistryError on invalid TOML, unknown sections or fields, invalid values, duplicate
    entries or convenanten naming an unknown gemeente or leverancier.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = re.search(r"line (\d+), column (\d+)", str(error))
        place = f" (regel {where.group(1)}, kolom {where.group(2)})" if where else ""
        raise RegistryError("invalid_toml", f"het register is geen geldige TOML{place}") from error
    sections: dict[str, Any] = {}
    for name, value in document.items():
        if name not in _SECTIONS:
            raise RegistryError(
                "unknown_field",
                f"onbekende sectie '{name}': gebruik [[gemeente]], [[leverancier]] en [[convenant]]",
            )
        if not isinstance(value, list):
            raise RegistryError("invalid_field", f"schrijf '{name}' als [[{name}]], een lijst van tabellen")
        sections[_SECTIONS[name]] = value
    return registry_from_sections(sections).canonical()


def registry_from_sections(sections: Mapping[str, Sequence[Any]]) -> Registry:
    """The registry of `sections` (`gemeenten`, `leveranciers`, `convenanten`: lists of entries as
    mappings), in the given order; RegistryError for anything `parse_registry_toml` would reject."""
    try:
        return Registry.model_validate(sections)
    except ValidationError as error:
        raise _registry_error(error, sections) from None


_DUTCH = {
    "missing": "ontbreekt",
    "extra_forbidden": "is geen bekend veld",
    "string_type": "moet tekst zijn",
    "string_too_short": "mag niet leeg zijn",
    "string_too_long": "is te lang",
    "int_type": "moet een geheel getal zijn",
    "int_parsing": "moet een geheel getal zijn",
    "int_from_float": "moet een geheel getal zijn",
    "float_type": "moet een getal zijn",
    "float_parsing": "moet een getal zijn",
    "finite_number": "moet een eindig getal zijn",
    "decimal_type": "moet een bedrag in euro's zijn",
    "decimal_parsing": "moet een bedrag in euro's zijn",
    "decimal_max_places": "mag hoogstens twee decimalen hebben",
    "decimal_max_digits": "is te groot",
    "decimal_whole_digits": "is te groot",
    "greater_than_equal": "moet minstens {ge} zijn",
    "less_than_equal": "mag hoogstens {le} zijn",
    "tuple_type": "moet een lijst zijn",
    "list_type": "moet een lijst zijn",
    "dict_type": "moet een tabel zijn, zoals {{ Water = [30, 3650] }}",
    "too_short": "moet precies twee getallen bevatten: [min_dagen, max_dagen]",
    "too_long": "moet precies twee getallen bevatten: [min_dagen, max_dagen]",
    "model_type": "moet een tabel zijn",
}
_CODES = {"missing": "missing_field", "extra_forbidden": "unknown_field"}
_OWN_CODES = frozenset(
    {
        "invalid_field",
        "invalid_date",
        "invalid_range",
        "invalid_gemeente_code",
        "invalid_leverancier_id",
        "unknown_signaaltype",
        "duplicate_gemeente",
        "duplicate_leverancier",
        "duplicate_convenant",
        "unknown_gemeente",
        "unknown_leverancier",
    }
)


def _registry_error(error: ValidationError, sections: Mapping[str, Sequence[Any]]) -> RegistryError:
    first = error.errors(include_url=False)[0]
    kind, loc = first["type"], first["loc"]
    if kind == "missing" and loc and isinstance(loc[-1], int):
        kind = "too_short"  # a missing position in a [min, max] pair
    if kind in _OWN_CODES:
        code, text = kind, first["msg"]
    else:
        code = _CODES.get(kind, "invalid_field")
        template = _DUTCH.get(kind, "heeft een ongeldige waarde")
        text = template.format(**(first.get("ctx") or {}))
    if not loc:
        return RegistryError(code, text)
    if len(loc) == 1:
        return RegistryError(code, f"'{_SINGULAR.get(str(loc[0]), loc[0])}' {text}")
    section, index, *field = loc
    where = f"{_SINGULAR.get(str(section), section)} {int(index) + 1}"
    entry = sections.get(str(section), ())
    identity = _IDENTITY.get(str(section))
    if identity and int(index) < len(entry) and isinstance(entry[int(index)], Mapping):
        value = entry[int(index)].get(identity)
        if isinstance(value, str) and value:
            where += f" ({value})"
    if not field:
        return RegistryError(code, f"{where}: {text}")
    path = ".".join(str(part) for part in field if part != "[key]")
    return RegistryError(code, f"{where}, veld {path}: {text}")
