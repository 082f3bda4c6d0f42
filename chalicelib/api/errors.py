"""The one place an error meets its HTTP status, and the envelope every error leaves in:
`{"error": {"code", "message"}}`. The errors themselves are chalicelib.domain.errors."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.errors import (
    INTERNAL_MESSAGE,
    CallerError,
    Forbidden,
    InvalidRequest,
    LimitReached,
    NotFound,
    TooManyRefusals,
    Unauthorized,
)

# Most specific first: RunNotFound is a NotFound.
_STATUS: tuple[tuple[type[CallerError], int], ...] = (
    (InvalidRequest, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (LimitReached, 409),
    (TooManyRefusals, 429),
)

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


def status_of(exc: BaseException) -> int:
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def for_exception(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """(status, body) for any exception; anything that is not a CallerError of a known kind is
    a generic 500 without details."""
    status = status_of(exc)
    if status == 500 or not isinstance(exc, CallerError):
        return 500, error_body("internal", INTERNAL_MESSAGE)
    return status, error_body(exc.code, exc.message)


def for_chalice_error(chalice_code: str, status: int) -> tuple[int, dict[str, Any]]:
    """Chalice's own error responses, in the envelope; the status Chalice chose is kept."""
    code = _CHALICE_CODES.get(chalice_code, "internal" if status >= 500 else "invalid_request")
    if code == "internal":
        return 500, error_body(code, INTERNAL_MESSAGE)
    return status, error_body(code, _CHALICE_MESSAGES[code])
