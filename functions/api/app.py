"""The API: Chalice routes only. Each parses the request, calls one service with the caller from
the token, and returns the result; chalicelib.api.http turns results and errors into responses.

SAM owns deployment (template.yaml (ApiFunction) has one event per route); Chalice only routes.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from chalicelib import bootstrap
from chalicelib.api.http import Http, new_app, parse, served
from chalicelib.api.models import (
    ApproachRequest,
    AssignRequest,
    CasePath,
    CaseQuery,
    CasesQuery,
    ContactpogingRequest,
    DdasQuery,
    ExportQuery,
    Health,
    LeveringenQuery,
    MatchingRuleRequest,
    NoQuery,
    OutboxQuery,
    ResultaatRequest,
    StatsQuery,
    UploadPath,
    UploadRequest,
)
from chalicelib.api.openapi import document
from chalicelib.api.page import Page
from chalicelib.domain.audit import Route
from chalicelib.domain.caselist import profile
from chalicelib.domain.cases import Contactpoging
from chalicelib.domain.identity import GEMEENTE_ROLES, Role

app = new_app("vindplaats-api")
http = Http(app)
deps = bootstrap.api
COORDINATOR = frozenset({Role.COORDINATOR})
LEVERANCIER = frozenset({Role.LEVERANCIER})
OPERATOR = frozenset({Role.OPERATOR})


def _case_id(value: str) -> str:
    return parse(CasePath, {"id": value}).id


@http.route(Route.HEALTH)
def health():
    return Health()


@http.route(Route.ME)
def me():
    return profile(http.caller())


@http.route(Route.RUNS)
def runs():
    viewer = http.caller(GEMEENTE_ROLES)
    http.query(NoQuery)
    return deps().reader.runs(viewer)


@http.route(Route.CASES)
def list_cases():
    viewer = http.caller(GEMEENTE_ROLES)
    query = http.query(CasesQuery)
    return deps().reader.list_cases(viewer, query.run, query.filter(), query.page, query.page_size)


@http.route(Route.EXPORT)
def export_csv():
    viewer = http.caller(COORDINATOR)
    query = http.query(ExportQuery)
    return http.csv(*deps().overview.export(viewer, query.run, query.filter()))


@http.route(Route.EXPORT_DDAS)
def export_ddas():
    viewer = http.caller(COORDINATOR)
    query = http.query(DdasQuery)
    filename, export = deps().ddas.for_coordinator(viewer, query.van, query.tot)
    return http.json_attachment(filename, export.document)


@http.route(Route.STATS)
def stats():
    viewer = http.caller(COORDINATOR)
    return deps().overview.stats(viewer, http.query(StatsQuery).run)


@http.route(Route.SETTINGS)
def read_settings():
    viewer = http.caller(COORDINATOR)
    http.query(NoQuery)
    return deps().rules.read(viewer)


@http.route(Route.SETTINGS_PUT)
def write_settings():
    viewer = http.caller(COORDINATOR)
    return deps().rules.write(viewer, http.body(MatchingRuleRequest).model_dump())


@http.route(Route.CASE)
def case(id):
    viewer = http.caller()
    case_id, query = _case_id(id), http.query(CaseQuery)
    return deps().reader.case(viewer, case_id, query.run)


@http.route(Route.CONTACT)
def contact(id):
    viewer = http.caller()
    case_id, query = _case_id(id), http.query(CaseQuery)
    return deps().reader.contact(viewer, case_id, query.run)


@http.route(Route.ASSIGN)
def assign(id):
    viewer = http.caller()
    case_id, request = _case_id(id), http.body(AssignRequest)
    return deps().writer.assign(viewer, case_id, request.run, request.team)


@http.route(Route.APPROACH)
def approach():
    viewer = http.caller()
    request = http.body(ApproachRequest)
    return deps().writer.approach(viewer, request.case_ids, request.run)


@http.route(Route.CONTACTPOGING)
def contactpoging(id):
    viewer = http.caller()
    case_id, request = _case_id(id), http.body(ContactpogingRequest)
    poging = Contactpoging.model_validate(request.model_dump(exclude={"run"}))
    return deps().writer.contactpoging(viewer, case_id, request.run, poging)


@http.route(Route.RESULTAAT)
def resultaat(id):
    viewer = http.caller()
    case_id, request = _case_id(id), http.body(ResultaatRequest)
    return deps().writer.resultaat(viewer, case_id, request.run, request.resultaat)


@http.route(Route.UPLOAD)
def upload():
    viewer = http.caller(LEVERANCIER)
    request = http.body(UploadRequest)
    return deps().leveranciers.upload(viewer, request.filename, request.size)


@http.route(Route.UPLOADS)
def uploads():
    viewer = http.caller(LEVERANCIER)
    http.query(NoQuery)
    return deps().leveranciers.leveringen(viewer)


@http.route(Route.UPLOAD_REPORT)
def upload_report(id):
    viewer = http.caller(LEVERANCIER)
    levering = parse(UploadPath, {"id": id}).id
    http.query(NoQuery)
    return deps().leveranciers.report(viewer, levering)


@http.route(Route.OUTBOX)
def outbox():
    viewer = http.caller(LEVERANCIER)
    query = http.query(OutboxQuery)
    return deps().leveranciers.outbox(viewer, query.since, query.after)


@http.route(Route.MISSING_DELIVERIES)
def missing_deliveries():
    viewer = http.caller(OPERATOR)
    http.query(NoQuery)
    return deps().beheer.missing(viewer)


@http.route(Route.BEHEER_RUNS)
def beheer_runs():
    viewer = http.caller(OPERATOR)
    http.query(NoQuery)
    return deps().beheer.runs(viewer)


@http.route(Route.BEHEER_LEVERINGEN)
def beheer_leveringen():
    viewer = http.caller(OPERATOR)
    return deps().beheer.leveringen(viewer, http.query(LeveringenQuery).maand)


@http.route(Route.BEHEER_QUARANTAINE)
def beheer_quarantaine():
    viewer = http.caller(OPERATOR)
    http.query(NoQuery)
    return deps().beheer.quarantaine(viewer)


@http.route(Route.BEHEER_REGISTER)
def beheer_register():
    viewer = http.caller(OPERATOR)
    http.query(NoQuery)
    return deps().beheer.register(viewer)


@http.route(Route.PAGE)
def page():
    return served(_page().index(http.path(), http.header("if-none-match")))


@http.route(Route.PAGE_CONFIG)
def page_config():
    return served(_page().config(http.header("if-none-match")))


@http.route(Route.PAGE_ASSET)
def page_asset(name):
    return served(_page().asset(name, http.header("if-none-match")))


@http.route(Route.OPENAPI)
def openapi():
    return _document()


@functools.cache
def _page() -> Page:
    # The page's files ship with this function's code (CodeUri), not with the chalicelib layer.
    return Page(Path(__file__).resolve().parent / "static", bootstrap.sign_in())


@functools.cache
def _document() -> dict[str, Any]:
    return document((method, path) for path, methods in app.routes.items() for method in methods)
