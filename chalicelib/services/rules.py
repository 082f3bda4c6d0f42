"""The coordinator's matching rule: its own gemeente's (matching.md, [[gemeente]]).

The gemeente is always the caller's own, from the token; a request carries only the rule, so it
cannot name another gemeente, nor change the code or naam. The new rule is checked by the
registry's own `Gemeente` model, and every change is audited (ids and rule values only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from chalicelib.domain.audit import Route
from chalicelib.domain.errors import Forbidden, InvalidRequest, NotFound
from chalicelib.domain.identity import Identity, Role
from chalicelib.domain.registry import Gemeente
from chalicelib.domain.views import MatchingRule
from chalicelib.ports import Gemeenten
from chalicelib.services.audit import Auditor

_UNREGISTERED = "Uw gemeente staat (nog) niet in het register."
_OWN_RULES = frozenset({"invalid_range", "invalid_field", "unknown_signaaltype"})


class MatchingRules:
    def __init__(self, gemeenten: Gemeenten, auditor: Auditor) -> None:
        self._gemeenten = gemeenten
        self._auditor = auditor

    def read(self, viewer: Identity) -> MatchingRule:
        """The rule of the caller's own gemeente; NotFound when it is not registered."""
        return rule_of(self._own(viewer))

    def write(self, viewer: Identity, rule: Mapping[str, Any]) -> MatchingRule:
        """Replace the own gemeente's rule (code and naam kept), audited before it is written."""
        current = self._own(viewer)
        try:
            updated = Gemeente.model_validate({**rule, "code": current.code, "naam": current.naam})
        except ValidationError as exc:
            raise InvalidRequest(f"Ongeldige instelling: {_reason(exc)}") from None
        # No unaudited change: the event is stored first (a failed write leaves one extra event).
        self._auditor.allowed(viewer, Route.SETTINGS_PUT, filters=_summary(updated))
        if not self._gemeenten.put(updated):
            raise NotFound(_UNREGISTERED)
        return rule_of(updated)

    def _own(self, viewer: Identity) -> Gemeente:
        if viewer.role != Role.COORDINATOR or not viewer.gemeente:
            raise Forbidden()
        gemeente = self._gemeenten.get(viewer.gemeente)
        if gemeente is None:
            raise NotFound(_UNREGISTERED)
        return gemeente


def rule_of(gemeente: Gemeente) -> MatchingRule:
    return MatchingRule(
        code=gemeente.code,
        naam=gemeente.naam,
        min_leveranciers=gemeente.min_leveranciers,
        min_dagen=gemeente.min_dagen,
        max_dagen=gemeente.max_dagen,
        min_bedrag=gemeente.min_bedrag,
        signaaltypen=list(gemeente.signaaltypen),
        venster=dict(gemeente.venster),
    )


def _summary(gemeente: Gemeente) -> dict[str, str]:
    """The new rule as the audit event's flat strings: numbers and signaaltypen, never a name."""
    summary = {
        "min_leveranciers": str(gemeente.min_leveranciers),
        "min_dagen": str(gemeente.min_dagen),
        "max_dagen": str(gemeente.max_dagen),
        "min_bedrag": str(gemeente.min_bedrag),
        "signaaltypen": ";".join(gemeente.signaaltypen),
    }
    summary |= {f"venster.{t}": f"{low}-{high}" for t, (low, high) in gemeente.venster.items()}
    return summary


def _reason(exc: ValidationError) -> str:
    # The registry's own rules carry Dutch messages (e.g. min_dagen > max_dagen); pydantic's do not.
    first = exc.errors(include_url=False)[0]
    if first["type"] in _OWN_RULES:
        return str(first["msg"])[:200]
    field = ".".join(str(part) for part in first["loc"]) or "-"
    return f"{field[:40]} heeft een ongeldige waarde."
