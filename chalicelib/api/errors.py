"""The API's errors: stable English codes for programs, Dutch messages for people, and the one
mapping from code to HTTP status.

Services raise these; the app turns any exception into `{"error": {"code", "message"}}` with
`error_body`, so no route builds an error response of its own and none leaks a stack trace.
"""

from __future__ import annotations

from typing import Any, ClassVar

from chalicelib.domain.identity import AuthError, Unauthorized as TokenRejected

# The one place a code meets its HTTP status.
STATUS: dict[str, int] = {
    "invalid_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "run_not_found": 404,
    "method_not_allowed": 405,
    "unsupported_media_type": 415,
    "internal": 500,
}

INTERNAL_MESSAGE = "Er ging iets mis aan onze kant. Probeer het later opnieuw."


class ApiError(Exception):
    """A failure the caller may see: `code` is stable, `message` is Dutch and free of personal data."""

    code: ClassVar[str] = "internal"
    default_message: ClassVar[str] = INTERNAL_MESSAGE

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return STATUS[self.code]


class InvalidRequest(ApiError):
    code = "invalid_request"
    default_message = "Het verzoek is ongeldig."


class Unauthorized(ApiError):
    code = "unauthorized"
    default_message = "Niet aangemeld of de aanmelding is verlopen."


class Forbidden(ApiError):
    code = "forbidden"
    default_message = "U heeft geen toegang tot deze functie."


class NotFound(ApiError):
    code = "not_found"
    default_message = "Niet gevonden."


class RunNotFound(ApiError):
    code = "run_not_found"
    default_message = "Deze matchingsronde bestaat niet of is niet gepubliceerd voor uw gemeente."


# Chalice answers some requests itself (`{"Code", "Message"}`) before a view runs.
_CHALICE_CODES = {
    "BadRequestError": "invalid_request",
    "BadRequest": "invalid_request",
    "MethodNotAllowedError": "method_not_allowed",
    "UnsupportedMediaType": "unsupported_media_type",
    "NotFoundError": "not_found",
    "UnauthorizedError": "unauthorized",
    "ForbiddenError": "forbidden",
}
_CHALICE_MESSAGES = {
    "invalid_request": InvalidRequest.default_message,
    "method_not_allowed": "Deze methode is hier niet toegestaan.",
    "unsupported_media_type": "Dit inhoudstype wordt niet ondersteund; gebruik application/json.",
    "not_found": NotFound.default_message,
    "unauthorized": Unauthorized.default_message,
    "forbidden": Forbidden.default_message,
}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def for_exception(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """(status, body) for any exception; anything that is not an ApiError is a generic 500."""
    if isinstance(exc, ApiError):
        return exc.status, error_body(exc.code, exc.message)
    if isinstance(exc, AuthError):  # identity's own codes (token_expired, role_missing, ...)
        status = STATUS["unauthorized"] if isinstance(exc, TokenRejected) else STATUS["forbidden"]
        return status, error_body(exc.code, exc.message)
    return STATUS["internal"], error_body("internal", INTERNAL_MESSAGE)


def for_chalice_error(chalice_code: str, status: int) -> tuple[int, dict[str, Any]]:
    """Chalice's own error responses, in the envelope; the status Chalice chose is kept."""
    code = _CHALICE_CODES.get(chalice_code, "internal" if status >= 500 else "invalid_request")
    if code == "internal":
        return STATUS["internal"], error_body(code, INTERNAL_MESSAGE)
    return status, error_body(code, _CHALICE_MESSAGES[code])
