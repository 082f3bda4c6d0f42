"""The API: Chalice routes only. Each parses the request, calls one service function with the
caller from the token, and maps the result; every error leaves as `{"error": {"code",
"message"}}` through `chalicelib.api.errors`, never as a stack trace.

SAM owns deployment (template.yaml (ApiFunction) has one event per route here); Chalice only routes.
"""

from __future__ import annotations

import functools
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from chalice import Chalice, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api import errors
from chalicelib.api.audit import Outcome
from chalicelib.api.bootstrap import api_deps
from chalicelib.api.cases import COORDINATOR, GEMEENTE_ROLES, Viewer, profile
from chalicelib.api.casework import CaseWriter
from chalicelib.api.models import (
    ApproachRequest,
    AssignRequest,
    CasePath,
    CaseQuery,
    CasesQuery,
    ContactpogingRequest,
    ExportQuery,
    Health,
    NoQuery,
    OutboxQuery,
    ResultaatRequest,
    SettingsRequest,
    StatsQuery,
    UploadPath,
    UploadRequest,
)
from chalicelib.api.reports import CaseReports
from chalicelib.api.settings import SettingsDesk
from chalicelib.api.suppliers import LEVERANCIER, SupplierDesk
from chalicelib.api.openapi import document
from chalicelib.api.page import Page, PageResponse, SignInConfig
from chalicelib.domain.identity import AuthError

SUPPLIER_ROLES = frozenset({LEVERANCIER})
COORDINATOR_ROLES = frozenset({COORDINATOR})

app = Chalice(app_name="vindplaats-api")
app.api.cors = False  # the page is served from the same origin
app.debug = False
logger = logging.getLogger("vindplaats.api")
M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 64 * 1024  # an approach of 500 case ids is about 10 KB

_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def _json(view: Callable[..., Any]) -> Callable[..., Response]:
    """The view's result as JSON (a Response as it is), or its exception as the error envelope."""

    @functools.wraps(view)
    def wrapped(**kwargs: Any) -> Response:
        try:
            result = view(**kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure leaves as the envelope
            status, body = errors.for_exception(exc)
            if status >= 500:
                # The type only: a message or traceback could carry personal data.
                logger.error("request failed: %s on %s", type(exc).__name__, _route())
            return Response(body=body, status_code=status, headers=_HEADERS)
        if isinstance(result, Response):
            return result
        body = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
        return Response(body=body, status_code=200, headers=_HEADERS)

    return wrapped


@app.middleware("http")
def _envelope_chalice_errors(event, get_response):
    """Chalice answers a wrong method or content type itself; put those in the envelope too."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        status, envelope = errors.for_chalice_error(body["Code"], response.status_code)
        return Response(body=envelope, status_code=status, headers={**response.headers, **_HEADERS})
    return response


def _caller(roles: frozenset[str] | None = None) -> Viewer:
    deps = api_deps()
    try:
        viewer = deps.authenticate(app.current_request.headers.get("authorization"))
    except AuthError as exc:
        # No subject to trust, so no audit event (anyone could fill the locked log): a log line
        # with the refusal's code, never the token.
        logger.warning("caller refused: %s on %s", exc.code, _route())
        raise
    if roles is not None and viewer.role not in roles:
        deps.reader.record(viewer, _route(), None, None, Outcome.DENIED)
        raise errors.Forbidden()
    return viewer


def _parse(model: type[M], values: dict[str, Any]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        fields = sorted({str(error["loc"][0])[:40] if error["loc"] else "-" for error in exc.errors()})
        raise errors.InvalidRequest(f"Ongeldige of onbekende parameter: {', '.join(fields)}.") from None


def _query(model: type[M]) -> M:
    params = app.current_request.query_params or {}
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if repeated:
        raise errors.InvalidRequest(f"Een parameter mag maar één keer voorkomen: {', '.join(repeated)[:80]}.")
    return _parse(model, dict(params))


def _body(model: type[M]) -> M:
    raw = app.current_request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise errors.InvalidRequest("Het verzoek is te groot.")
    try:
        values = json.loads(raw)
    except ValueError:
        raise errors.InvalidRequest("Het verzoek is geen geldige JSON.") from None
    if not isinstance(values, dict):
        raise errors.InvalidRequest("Het verzoek moet een JSON-object zijn.")
    _query(NoQuery)
    return _parse(model, values)


def _writer() -> CaseWriter:
    writer = api_deps().writer
    if writer is None:
        raise RuntimeError("the API was built without case state and outbox")
    return writer


def _suppliers() -> SupplierDesk:
    suppliers = api_deps().suppliers
    if suppliers is None:
        raise RuntimeError("the API was built without the supplier side")
    return suppliers


def _settings() -> SettingsDesk:
    settings = api_deps().settings
    if settings is None:
        raise RuntimeError("the API was built without the registry")
    return settings


def _case_id(case_id: str) -> str:
    return _parse(CasePath, {"id": case_id}).id


def _route() -> str:
    request = app.current_request
    if request is None:
        return "-"
    return f"{request.method} {request.context.get('resourcePath', '-')}"


@app.route("/api/health", methods=["GET"])
@_json
def health():
    return Health()


@app.route("/api/me", methods=["GET"])
@_json
def me():
    return profile(_caller())


@app.route("/api/runs", methods=["GET"])
@_json
def runs():
    viewer = _caller(GEMEENTE_ROLES)
    _query(NoQuery)
    return api_deps().reader.runs(viewer)


@app.route("/api/cases", methods=["GET"])
@_json
def list_cases():
    viewer = _caller(GEMEENTE_ROLES)
    return api_deps().reader.list_cases(viewer, _query(CasesQuery))


@app.route("/api/export.csv", methods=["GET"])
@_json
def export_csv():
    viewer = _caller(COORDINATOR_ROLES)
    filename, text = CaseReports(api_deps().reader).export(viewer, _query(ExportQuery))
    headers = {
        **_HEADERS,
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    return Response(body=text, status_code=200, headers=headers)


@app.route("/api/stats", methods=["GET"])
@_json
def stats():
    viewer = _caller(COORDINATOR_ROLES)
    return CaseReports(api_deps().reader).stats(viewer, _query(StatsQuery))


@app.route("/api/settings", methods=["GET"])
@_json
def read_settings():
    viewer = _caller(COORDINATOR_ROLES)
    _query(NoQuery)
    return _settings().read(viewer)


@app.route("/api/settings", methods=["PUT"])
@_json
def write_settings():
    viewer = _caller(COORDINATOR_ROLES)
    return _settings().write(viewer, _body(SettingsRequest))


@app.route("/api/cases/{id}", methods=["GET"])
@_json
def case(id):  # noqa: A002 - Chalice passes the path's {id} by name
    viewer = _caller()
    case_id, query = _case_id(id), _query(CaseQuery)
    return api_deps().reader.case(viewer, case_id, query.run)


@app.route("/api/cases/{id}/contact", methods=["GET"])
@_json
def contact(id):  # noqa: A002
    viewer = _caller()
    case_id, query = _case_id(id), _query(CaseQuery)
    return api_deps().reader.contact(viewer, case_id, query.run)


@app.route("/api/cases/{id}/assign", methods=["POST"])
@_json
def assign(id):  # noqa: A002
    viewer = _caller()
    case_id = _case_id(id)
    return _writer().assign(viewer, case_id, _body(AssignRequest))


@app.route("/api/cases/approach", methods=["POST"])
@_json
def approach():
    viewer = _caller()
    return _writer().approach(viewer, _body(ApproachRequest))


@app.route("/api/cases/{id}/contactpogingen", methods=["POST"])
@_json
def contactpoging(id):  # noqa: A002
    viewer = _caller()
    case_id = _case_id(id)
    return _writer().contactpoging(viewer, case_id, _body(ContactpogingRequest))


@app.route("/api/cases/{id}/resultaat", methods=["POST"])
@_json
def resultaat(id):  # noqa: A002
    viewer = _caller()
    case_id = _case_id(id)
    return _writer().resultaat(viewer, case_id, _body(ResultaatRequest))


@app.route("/api/uploads", methods=["POST"])
@_json
def upload():
    viewer = _caller(SUPPLIER_ROLES)
    return _suppliers().upload(viewer, _body(UploadRequest))


@app.route("/api/uploads/{id}", methods=["GET"])
@_json
def upload_report(id):  # noqa: A002
    viewer = _caller(SUPPLIER_ROLES)
    levering = _parse(UploadPath, {"id": id}).id
    _query(NoQuery)
    return _suppliers().report(viewer, levering)


@app.route("/api/outbox", methods=["GET"])
@_json
def outbox():
    viewer = _caller(SUPPLIER_ROLES)
    return _suppliers().outbox(viewer, _query(OutboxQuery))


@app.route("/", methods=["GET"])
@_json
def page():
    return _served(lambda site, etag: site.index(app.current_request.context.get("path", "/"), etag))


@app.route("/config.json", methods=["GET"])
@_json
def page_config():
    return _served(lambda site, etag: site.config(etag))


@app.route("/static/{name}", methods=["GET"])
@_json
def page_asset(name):
    return _served(lambda site, etag: site.asset(name, etag))


@functools.cache
def _page() -> Page:
    # The page's files ship with this function's code (CodeUri), not with the chalicelib layer.
    return Page(Path(__file__).resolve().parent / "static", SignInConfig.from_environ(os.environ))


def _served(answer: Callable[[Page, str | None], PageResponse]) -> Response:
    served = answer(_page(), app.current_request.headers.get("if-none-match"))
    return Response(body=served.body, status_code=served.status, headers=served.headers)


@app.route("/api/openapi.json", methods=["GET"])
@_json
def openapi():
    return _document()


@functools.cache
def _document() -> dict[str, Any]:
    return document((method, path) for path, methods in app.routes.items() for method in methods)
