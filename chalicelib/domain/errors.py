"""The errors a caller may see, one family: a stable English `code` for programs and a Dutch
`message` for people, never personal data. Services and the identity check raise them; which
HTTP status each kind leaves as is decided in one place, chalicelib/api/errors.py."""

from __future__ import annotations

from typing import ClassVar

INTERNAL_MESSAGE = "Er ging iets mis aan onze kant. Probeer het later opnieuw."


class CallerError(Exception):
    """A request that cannot be served as asked. `code` defaults to the kind's own; a more
    precise one (`token_expired`, `role_missing`, ...) may be given."""

    code: str = "internal"
    default_message: ClassVar[str] = INTERNAL_MESSAGE

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = message or self.default_message
        self.code = code or type(self).code
        super().__init__(self.message)


class InvalidRequest(CallerError):
    code = "invalid_request"
    default_message = "Het verzoek is ongeldig."


class Unauthorized(CallerError):
    """No acceptable token: signing in again may help."""

    code = "unauthorized"
    default_message = "Niet aangemeld of de aanmelding is verlopen."


class Forbidden(CallerError):
    """A genuine caller who may not do this (a role the route refuses, or a user without a usable
    role or tenant): signing in again cannot help."""

    code = "forbidden"
    default_message = "U heeft geen toegang tot deze functie."


class NotFound(CallerError):
    code = "not_found"
    default_message = "Niet gevonden."


class DeliveryPending(NotFound):
    """The supplier's own upload is in, its report not yet written: not a refusal."""

    code = "delivery_pending"
    default_message = "Deze levering is ontvangen en wordt nog gecontroleerd; het rapport volgt."


class RunNotFound(NotFound):
    code = "run_not_found"
    default_message = "Deze matchingsronde bestaat niet of is niet gepubliceerd voor uw gemeente."


class TooManyRefusals(CallerError):
    """The caller was refused too often lately (RefusalLimit): probing ids is paused."""

    code = "too_many_refusals"
    default_message = "U heeft te vaak iets opgevraagd waar u geen toegang toe heeft. Probeer het later opnieuw."


class LimitReached(CallerError):
    """A case's list has reached its cap (e.g. contact attempts): nothing more is added."""

    code = "limit_reached"
    default_message = "Het maximum is bereikt; er kan niets meer worden toegevoegd."
