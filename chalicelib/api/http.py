"""The API's HTTP plumbing for functions/api/app.py: routes registered from the one route list,
the caller from the token, strict query and body parsing, and every result or error as JSON
(`{"error": {"code", "message"}}` through chalicelib.api.errors, never a stack trace).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from chalice import Chalice, Response
from pydantic import BaseModel, ValidationError

from chalicelib import bootstrap
from chalicelib.api import errors
from chalicelib.api.models import NoQuery
from chalicelib.api.page import PageResponse
from chalicelib.domain.audit import MAX_IDS, Outcome, Route
from chalicelib.domain.errors import CallerError, Forbidden, InvalidRequest
from chalicelib.domain.identity import Identity, Role

logger = logging.getLogger("vindplaats.api")
M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 64 * 1024  # an approach of 200 case ids is about 4 KB

HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def new_app(name: str) -> Chalice:
    """A Chalice app that answers Chalice's own errors (wrong method, content type) in the envelope."""
    app = Chalice(app_name=name)
    app.api.cors = False  # the page is served from the same origin
    app.debug = False

    @app.middleware("http")
    def _envelope_chalice_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
        response = get_response(event)
        body = response.body
        if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
            status, envelope = errors.for_chalice_error(body["Code"], response.status_code)
            return Response(body=envelope, status_code=status, headers={**response.headers, **HEADERS})
        return response

    return app


class Http:
    """The current request of `app`, as the routes need it."""

    def __init__(self, app: Chalice) -> None:
        self.app = app

    def route(self, route: Route) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
        """Register the view for `route`; its result (a model, a dict or a Response) leaves as JSON
        and any exception as the error envelope."""

        def register(view: Callable[..., Any]) -> Callable[..., Response]:
            @functools.wraps(view)
            def wrapped(**kwargs: Any) -> Response:
                try:
                    result = view(**kwargs)
                except Exception as exc:
                    status, body = errors.for_exception(exc)
                    if status >= 500:
                        # The type only: a message or traceback could carry personal data.
                        logger.error("request failed: %s on %s", type(exc).__name__, self.route_name())
                    return Response(body=body, status_code=status, headers=HEADERS)
                if isinstance(result, Response):
                    return result
                body = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
                return Response(body=body, status_code=200, headers=HEADERS)

            return self.app.route(route.path, methods=[route.method])(wrapped)

        return register

    def caller(self, roles: frozenset[Role] | None = None) -> Identity:
        """The caller from the token; a role outside `roles` is refused (403) and audited."""
        deps = bootstrap.api()
        try:
            viewer = deps.authenticate(self.app.current_request.headers.get("authorization"))
        except CallerError as exc:
            # No subject to trust, so no audit event (anyone could fill the locked log): a log line
            # with the refusal's code, never the token.
            logger.warning("caller refused: %s on %s", exc.code, self.route_name())
            raise
        if roles is not None and viewer.role not in roles:
            deps.reader.auditor.refused(viewer, self.route_name(), Outcome.DENIED)
            raise Forbidden()
        return viewer

    def query(self, model: type[M]) -> M:
        params = self.app.current_request.query_params or {}
        repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
        if repeated:
            raise InvalidRequest(f"Een parameter mag maar één keer voorkomen: {', '.join(repeated)[:80]}.")
        return parse(model, dict(params))

    def body(self, model: type[M]) -> M:
        raw = self.app.current_request.raw_body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise InvalidRequest("Het verzoek is te groot.")
        try:
            values = json.loads(raw)
        except ValueError:
            raise InvalidRequest("Het verzoek is geen geldige JSON.") from None
        if not isinstance(values, dict):
            raise InvalidRequest("Het verzoek moet een JSON-object zijn.")
        self.query(NoQuery)
        return parse(model, values)

    def header(self, name: str) -> str | None:
        return self.app.current_request.headers.get(name)

    def path(self) -> str:
        return self.app.current_request.context.get("path", "/")

    def route_name(self) -> str:
        request = self.app.current_request
        if request is None:
            return "-"
        return f"{request.method} {request.context.get('resourcePath', '-')}"  # as a Route spells it

    def json_attachment(self, filename: str, body: object) -> Response:
        headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'}
        return Response(body=json.dumps(body, ensure_ascii=False), status_code=200, headers=headers)

    def csv(self, filename: str, text: str) -> Response:
        headers = {
            **HEADERS,
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
        }
        return Response(body=text, status_code=200, headers=headers)


def parse(model: type[M], values: dict[str, Any]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        if any(error["type"] == "too_long" and error["loc"] == ("case_ids",) for error in exc.errors()):
            raise InvalidRequest(
                f"Een verzoek mag hoogstens {MAX_IDS} casussen noemen; verdeel ze over meer verzoeken.",
                code="too_many_ids",
            ) from None
        fields = sorted({str(error["loc"][0])[:40] if error["loc"] else "-" for error in exc.errors()})
        raise InvalidRequest(f"Ongeldige of onbekende parameter: {', '.join(fields)}.") from None


def served(page: PageResponse) -> Response:
    return Response(body=page.body, status_code=page.status, headers=page.headers)
