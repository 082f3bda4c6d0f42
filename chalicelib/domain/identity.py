"""Who is calling: a role and a tenant, taken only from a verified Cognito ID token's claims.

The tenant comes only from `custom:gemeente` (a CBS code) or `custom:leverancier`, the role only
from `cognito:groups`; nothing in a request can widen them. Failures raise:

- `Unauthorized` (HTTP 401): the token itself is not acceptable (see `adapters.aws.jwks`), or its
  claims are malformed (`token_invalid`). Signing in again may help.
- `Forbidden` (HTTP 403): the token is genuine but its user cannot be given an identity: no role
  group, several groups, an unknown group, or a tenant that does not fit the role. Signing in
  again cannot help; an operator must fix the user.

Both are chalicelib.domain.errors kinds and carry a stable English `code`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from chalicelib.domain.errors import Forbidden, Unauthorized
from chalicelib.domain.ids import GEMEENTE_CODE, LEVERANCIER_ID, TEAM

GROUPS_CLAIM = "cognito:groups"
GEMEENTE_CLAIM = "custom:gemeente"
LEVERANCIER_CLAIM = "custom:leverancier"
TEAM_CLAIM = "custom:team"


class Role(StrEnum):
    COORDINATOR = "coordinator"
    WIJKTEAM = "wijkteam"
    LEVERANCIER = "leverancier"
    OPERATOR = "operator"


GEMEENTE_ROLES = frozenset({Role.COORDINATOR, Role.WIJKTEAM})


class Identity(BaseModel):
    """A signed-in caller. `gemeente` for gemeente roles, `leverancier` for suppliers, neither
    for operators; `team` only for wijkteam members. Name and e-mail are for display only."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    role: Role
    gemeente: str | None = None
    leverancier: str | None = None
    team: str | None = None
    display_name: str = ""
    email: str = ""

    @model_validator(mode="after")
    def _tenant_fits_role(self) -> Identity:
        problem = _tenant_problem(self.role, self.gemeente, self.leverancier, self.team)
        if problem is not None:
            raise ValueError(problem[1])
        return self


def identity_from_claims(claims: Mapping[str, Any]) -> Identity:
    """The identity in verified ID-token claims; raises `Unauthorized` or `Forbidden` (see module).

    Role: `cognito:groups` must hold exactly one group, and it must be a known role (codes
    `role_missing`, `role_ambiguous`, `role_unknown`). Tenant: exactly the attribute the role
    needs, valid as it stands (no trimming, no case folding): `tenant_missing`,
    `tenant_invalid`, `tenant_unexpected`, and for wijkteam members `team_missing`,
    `team_invalid`, or `team_unexpected` for other roles.
    """
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise Unauthorized(code="token_invalid", message="het token heeft geen geldige gebruiker (sub)")
    role = _role(claims.get(GROUPS_CLAIM))
    gemeente = _optional_string(claims, GEMEENTE_CLAIM)
    leverancier = _optional_string(claims, LEVERANCIER_CLAIM)
    team = _optional_string(claims, TEAM_CLAIM)
    problem = _tenant_problem(role, gemeente, leverancier, team)
    if problem is not None:
        raise Forbidden(code=problem[0], message=problem[1])
    return Identity(
        subject=subject,
        role=role,
        gemeente=gemeente,
        leverancier=leverancier,
        team=team,
        display_name=_display(claims.get("name")) or _display(claims.get("cognito:username")),
        email=_display(claims.get("email")),
    )


def _role(groups: Any) -> Role:
    if groups is None or groups == []:
        raise Forbidden(code="role_missing", message="de gebruiker zit in geen rolgroep")
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise Unauthorized(code="token_invalid", message="cognito:groups is geen lijst van namen")
    if len(groups) > 1:
        # Several groups would make the role depend on an order nobody chose: refuse.
        raise Forbidden(code="role_ambiguous", message="de gebruiker zit in meer dan één groep")
    try:
        return Role(groups[0])
    except ValueError:
        raise Forbidden(code="role_unknown", message="de gebruiker zit in een onbekende groep") from None


def _optional_string(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Unauthorized(code="token_invalid", message=f"{name} is geen tekst")
    return value


def _tenant_problem(
    role: Role, gemeente: str | None, leverancier: str | None, team: str | None
) -> tuple[str, str] | None:
    """(code, message) when the tenant attributes do not fit `role`, else None."""
    if role in GEMEENTE_ROLES:
        if leverancier is not None:
            return "tenant_unexpected", "een gemeentegebruiker heeft geen leverancier"
        if gemeente is None:
            return "tenant_missing", "een gemeentegebruiker heeft een gemeente nodig"
        if not GEMEENTE_CODE.fullmatch(gemeente):
            return "tenant_invalid", "de gemeente is geen CBS-code (GM gevolgd door vier cijfers)"
    elif role is Role.LEVERANCIER:
        if gemeente is not None:
            return "tenant_unexpected", "een leverancier heeft geen gemeente"
        if leverancier is None:
            return "tenant_missing", "een leverancier heeft een leverancier-id nodig"
        if not LEVERANCIER_ID.fullmatch(leverancier):
            return "tenant_invalid", "de leverancier-id is ongeldig"
    elif gemeente is not None or leverancier is not None:
        # Operators work across tenants; a tenant on one is a mistake, not a restriction.
        return "tenant_unexpected", "een operator hoort bij geen gemeente of leverancier"
    if role is Role.WIJKTEAM:
        if team is None:
            return "team_missing", "een wijkteamlid heeft een team nodig"
        if not TEAM.fullmatch(team):
            return "team_invalid", "de teamnaam is ongeldig"
    elif team is not None:
        return "team_unexpected", "alleen wijkteamleden horen bij een team"
    return None


def _display(value: Any) -> str:
    return value[:200] if isinstance(value, str) else ""
