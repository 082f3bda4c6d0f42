"""DDAS EnumSignaalpartner values (ddas.md), plus this project's own Gemeentebelasting."""

SIGNAALTYPEN: tuple[str, ...] = (
    "Belastingdienst",
    "CAK Eigen bijdrage",
    "CAK Zorgverzekeringen",
    "Dienst Toeslagen",
    "DUO",
    "Energie",
    "Huur",
    "Hypotheek",
    "Overige",
    "Water",
    "Zorg",
    "Gemeentebelasting",
)

# Only these supplier types may deliver a BSN (delivery-format.md).
BSN_SIGNAALTYPEN: frozenset[str] = frozenset({"Zorg", "CAK Zorgverzekeringen"})

_CANONICAL = {value.casefold(): value for value in SIGNAALTYPEN}


def canonical_signaaltype(value: str) -> str | None:
    """The DDAS spelling of `value` (matched case-insensitively), or None when unknown."""
    return _CANONICAL.get(value.strip().casefold())


def ddas_export_value(signaaltype: str) -> str:
    """Gemeentebelasting is ours; DDAS exports know it as Overige."""
    return "Overige" if signaaltype == "Gemeentebelasting" else signaaltype
