"""The OpenAPI 3.1 document of the API, built from the pydantic models.

Every route of the Chalice app must have an `Operation` here: `document` refuses a route it
does not know, so the document cannot silently fall behind the app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.models import (
    MAX_APPROACH,
    ApproachRequest,
    AssignRequest,
    CaseQuery,
    CasesQuery,
    ContactpogingRequest,
    DdasQuery,
    ErrorResponse,
    ExportQuery,
    Health,
    LeveringenQuery,
    MatchingRuleRequest,
    NoQuery,
    OutboxQuery,
    ResultaatRequest,
    StatsQuery,
    UploadRequest,
)
from chalicelib.api.page import ASSET_NAME_PATTERN, SignInConfig
from chalicelib.domain.audit import Route
from chalicelib.domain.cases import CASE_ID_HEX_CHARS, Case
from chalicelib.domain.identity import GEMEENTE_ROLES, Role
from chalicelib.domain.ids import LEVERING_ID_PATTERN
from chalicelib.domain.report import Report
from chalicelib.domain.views import (
    Approached,
    BeheerRuns,
    CaseList,
    Contact,
    LeveringenMaand,
    LeveringList,
    MatchingRule,
    Me,
    MissingDeliveries,
    OutboxPage,
    Quarantaine,
    Register,
    RunList,
    Stats,
    UploadTicket,
)

OPENAPI_VERSION = "3.1.0"
_REF = "#/components/schemas/{model}"
_GEMEENTE = tuple(sorted(GEMEENTE_ROLES))
_COORDINATOR = (Role.COORDINATOR,)
_SUPPLIER = (Role.LEVERANCIER,)
_OPERATOR = (Role.OPERATOR,)
_EVERYONE_SIGNED_IN = tuple(Role)
_ERROR_TEXT = {
    400: "Ongeldig verzoek (onbekende of ongeldige parameter)",
    401: "Niet aangemeld: token ontbreekt of is ongeldig",
    403: "Deze rol mag deze route niet gebruiken",
    404: "Niet gevonden (ook: van een andere gemeente of een ander team)",
    409: "Het maximum is bereikt (contactpogingen per casus)",
    415: "Content-Type is geen application/json (elke route toetst een meegestuurd Content-Type)",
    429: "Te vaak geweigerd: na te veel geweigerde verzoeken (403, 404) weigert de API een tijd lang met 429",
    500: "Interne fout",
}


_IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "the ETag of a copy the browser has; any other value is simply no match",
}


class UndocumentedRoute(LookupError):
    """The app has a route this module does not describe."""


@dataclass(frozen=True)
class Operation:
    summary: str
    roles: tuple[str, ...]  # empty: no sign-in needed
    response: type[BaseModel] | None  # None: a free-form JSON object
    query: type[BaseModel] | None = None
    audited: bool = False
    body: type[BaseModel] | None = None  # the JSON request body
    media_type: str = "application/json"  # of the 200 response
    notes: str = ""  # appended to the description
    other_media_types: tuple[str, ...] = ()  # the 200 response's, besides media_type
    etag: bool = False  # answers If-None-Match with 304
    own_record: bool = False  # reads the caller's own gemeente, which may not be registered (404)
    capped: bool = False  # adds to a list with a cap (409)


OPERATIONS: dict[Route, Operation] = {
    Route.HEALTH: Operation("Liveness; no data", (), Health),
    Route.ME: Operation("The caller: role, gemeente or supplier, display name", _EVERYONE_SIGNED_IN, Me),
    Route.RUNS: Operation("Published runs of the own gemeente, newest first", _GEMEENTE, RunList, NoQuery),
    Route.CASES: Operation(
        "Cases of the latest run (or `run`), filtered and paged, with counts; no contact data, no klantnummers; "
        "audited",
        _GEMEENTE,
        CaseList,
        CasesQuery,
        audited=True,
        notes=" Each page is one audit event with its filters and the ids of the cases shown. The klantnummers "
        "are in the case itself (GET /api/cases/{id}).",
    ),
    Route.EXPORT: Operation(
        "The filtered list (the filters of GET /api/cases, no paging) as CSV for a wijkteam; no contact data; audited",
        _COORDINATOR,
        None,
        ExportQuery,
        audited=True,
        media_type="text/csv",
        notes=" Columns: case_id, wijk, wijk_naam, buurt, buurt_naam, postcode, huisnummer, huisletter, "
        "toevoeging, aantal_leveranciers, totaal_bedrag, oudste_achterstand, herhaald, crisis, status, team, "
        "leveranciers (ids joined with ';'); no klantnummers. The audit event names every case id exported. "
        "A cell starting with =, +, -, @, a tab or a carriage return is "
        "prefixed with a single quote so a spreadsheet does not read it as a formula.",
    ),
    Route.EXPORT_DDAS: Operation(
        "The own gemeente's signals and cases of the runs with as-of in [van, tot] in DDAS v1.2 exchange form "
        "(ddas.md), as a JSON attachment; audited",
        _COORDINATOR,
        None,
        DdasQuery,
        audited=True,
        notes=" van ≤ tot, at most 366 days with both included (a longer or reversed period is a 400). "
        "Amounts in whole euros (halves up); Gemeentebelasting is exported as Overige; a "
        "client is a BSN where the supplier's type may deliver one (Zorg, CAK Zorgverzekeringen) and did, otherwise "
        "postcode, huisnummer and huisnummertoevoeging. The audit event holds the period, the counts and the SHA-256 "
        "of the sorted case ids. The JSON Schema the tests hold it to is docs/ddas-uitwisselmodel-v1.2.schema.json.",
    ),
    Route.STATS: Operation(
        "Case counts of the own gemeente per wijk, signaaltype, supplier, status, outcome and month",
        _COORDINATOR,
        Stats,
        StatsQuery,
        notes=' Every count under 5 is suppressed: returned as {"count": null, "suppressed": true}, '
        "because so small a group could point at a household. Per month counts the gemeente's published runs "
        "up to the run, by their as_of.",
    ),
    Route.SETTINGS: Operation(
        "The own gemeente's matching rule (matching.md, [[gemeente]])",
        _COORDINATOR,
        MatchingRule,
        NoQuery,
        own_record=True,
    ),
    Route.SETTINGS_PUT: Operation(
        "Replace the own gemeente's matching rule; code and naam stay; audited",
        _COORDINATOR,
        MatchingRule,
        body=MatchingRuleRequest,
        own_record=True,
        notes=" Each change is written to the audit log. Checked as the registry checks it: "
        "min_dagen ≤ max_dagen, known signaaltypen, "
        "each venster [min_dagen, max_dagen] with 0 ≤ min ≤ max. Takes effect from the next run.",
    ),
    Route.CASE: Operation(
        "One case with its signals (with klantnummers), attempts and outcome; no contact data; audited",
        _GEMEENTE,
        Case,
        CaseQuery,
        audited=True,
    ),
    Route.CONTACT: Operation(
        "Names, phone, e-mail and street of the people named for a case; audited",
        _GEMEENTE,
        Contact,
        CaseQuery,
        audited=True,
    ),
    Route.ASSIGN: Operation(
        "Assign the case to a wijkteam; audited", _COORDINATOR, Case, body=AssignRequest, audited=True
    ),
    Route.APPROACH: Operation(
        "Mark cases approached (Opgepakt); each supplier involved is told collection is paused until a date; audited",
        _COORDINATOR,
        Approached,
        body=ApproachRequest,
        audited=True,
        notes=f" At most {MAX_APPROACH} case ids: more is refused with 400 too_many_ids before any case is "
        "looked up. One audit event per request, whatever the number of ids.",
    ),
    Route.CONTACTPOGING: Operation(
        "Record a contact attempt (DDAS EnumContactsoort, EnumDagdeel); audited",
        _GEMEENTE,
        Case,
        body=ContactpogingRequest,
        audited=True,
        capped=True,
        notes=" A case holds at most a set number of attempts (50 unless configured): one more is refused "
        "with 409 contactpogingen_limit.",
    ),
    Route.RESULTAAT: Operation(
        "Record the outcome (DDAS EnumEindresultaat); each supplier involved is told; audited",
        _GEMEENTE,
        Case,
        body=ResultaatRequest,
        audited=True,
    ),
    Route.UPLOAD: Operation(
        "A presigned POST for one CSV delivery under the supplier's own prefix",
        _SUPPLIER,
        UploadTicket,
        body=UploadRequest,
    ),
    Route.UPLOADS: Operation(
        "The supplier's own deliveries, newest first (at most 100), with status, counts and whether the next run "
        "reads each; audited",
        _SUPPLIER,
        LeveringList,
        NoQuery,
        audited=True,
        notes=" Without the findings (GET /api/uploads/{id} has them). volgende_run marks the delivery the next "
        "monthly run (as-of volgende_run_as_of, the 1st of next month) reads as things stand: the latest accepted "
        "one with peildatum in the 45 days up to that date (matching.md).",
    ),
    Route.UPLOAD_REPORT: Operation(
        "Status and validation report of an own delivery",
        _SUPPLIER,
        Report,
        NoQuery,
        notes=" 404 `delivery_pending` while the supplier's own upload waits for ingest (not audited, not a "
        "refusal); 404 `not_found` for any other id without a report (audited).",
    ),
    Route.OUTBOX: Operation(
        "Approaches and outcomes for the supplier's own customers since a date", _SUPPLIER, OutboxPage, OutboxQuery
    ),
    Route.MISSING_DELIVERIES: Operation(
        "Suppliers with an active convenant and no accepted delivery in 35 days (operators); audited",
        _OPERATOR,
        MissingDeliveries,
        NoQuery,
        audited=True,
    ),
    Route.BEHEER_RUNS: Operation(
        "Every run of any status, newest first (at most 36), with its case counts per gemeente (operators); audited",
        _OPERATOR,
        BeheerRuns,
        NoQuery,
        audited=True,
        notes=" failure is 'niet gepubliceerd' for a run still publishing a day after it began; a run that failed "
        "before it began publishing is not in the run registry (the alarm topic reports it).",
    ),
    Route.BEHEER_LEVERINGEN: Operation(
        "Every registered supplier with its deliveries received in a month and whether it is missing (operators); "
        "audited",
        _OPERATOR,
        LeveringenMaand,
        LeveringenQuery,
        audited=True,
        notes=" ontbreekt is the rule of GET /api/leveringen/ontbrekend: an active convenant and no accepted "
        "delivery in 35 days, judged on peildatum (today), whatever the month. At most 100 deliveries per supplier.",
    ),
    Route.BEHEER_QUARANTAINE: Operation(
        "Refused uploads held in quarantine, newest first (at most 200), with the reason from their report "
        "(operators); audited",
        _OPERATOR,
        Quarantaine,
        NoQuery,
        audited=True,
        notes=" Names, sizes and reasons only, never a file's contents. Quarantine keeps a file 30 days.",
    ),
    Route.BEHEER_REGISTER: Operation(
        "The registry: gemeenten with their matching rules, suppliers and convenanten (operators); audited",
        _OPERATOR,
        Register,
        NoQuery,
        audited=True,
    ),
    Route.OPENAPI: Operation("This document", (), None),
    Route.PAGE: Operation(
        "The web page for gemeente users (sign-in, cases, overview); all its data comes from the routes under /api",
        (),
        None,
        media_type="text/html",
        etag=True,
        notes=" Served with a strict Content-Security-Policy (no inline script or style), frame-ancestors 'none', "
        "nosniff and no-referrer.",
    ),
    Route.PAGE_CONFIG: Operation(
        "The page's sign-in settings: region, Cognito app client id and endpoint; no secrets",
        (),
        SignInConfig,
        etag=True,
    ),
    Route.PAGE_ASSET: Operation(
        "A file of the web page (its scripts, styles and icon)",
        (),
        None,
        media_type="text/css",
        other_media_types=("text/javascript", "image/svg+xml"),
        etag=True,
    ),
}


def document(routes: Iterable[tuple[str, str] | Route]) -> dict[str, Any]:
    """The OpenAPI document for the routes ((method, path) pairs as the app lists them, or
    `Route`s), which must all be in OPERATIONS."""
    pairs = {(route.method, route.path) if isinstance(route, Route) else route for route in routes}
    routes = sorted(pairs, key=lambda route: (route[1], route[0]))
    unknown = [route for route in routes if " ".join(route) not in OPERATIONS]
    if unknown:
        raise UndocumentedRoute(f"routes without an OpenAPI operation: {unknown}")
    operations = {(method, path): OPERATIONS[Route(f"{method} {path}")] for method, path in routes}
    models = {ErrorResponse} | {op.response for op in operations.values() if op.response}
    bodies = {op.body for op in operations.values() if op.body}
    _, schemas = models_json_schema(
        [(model, "serialization") for model in sorted(models, key=lambda m: m.__name__)]
        + [(model, "validation") for model in sorted(bodies, key=lambda m: m.__name__)],
        ref_template=_REF,
    )
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), op in operations.items():
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, op)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "vindplaats API",
            "version": "1",
            "description": "Vroegsignalering: each gemeente sees only its own matched households. "
            'Errors are {"error": {"code", "message"}}.',
        },
        "paths": paths,
        "components": {
            "schemas": _closed(_tuples_as_arrays(schemas.get("$defs", {}))),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _closed(models: dict[str, Any]) -> dict[str, Any]:
    """Every model as a closed object: pydantic writes a model's fields and no others, and requests
    forbid unknown fields, so a field the document does not name is a bug a schema check should see."""
    return {
        name: schema | {"additionalProperties": False}
        if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema
        else schema
        for name, schema in models.items()
    }


def _tuples_as_arrays(schema: Any) -> Any:
    """`prefixItems` whose items all share one schema, as a fixed-length array of that schema: the
    same constraint in the form every OpenAPI 3.1 tool reads (schemathesis 4 mistranslates the other)."""
    if isinstance(schema, list):
        return [_tuples_as_arrays(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    schema = {key: _tuples_as_arrays(value) for key, value in schema.items()}
    prefix = schema.get("prefixItems")
    if (
        prefix
        and "items" not in schema
        and all(item == prefix[0] for item in prefix)
        and schema.get("minItems") == schema.get("maxItems") == len(prefix)
    ):
        del schema["prefixItems"]
        schema["items"] = prefix[0]
    return schema


def _operation(method: str, path: str, op: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "OK"}
    if op.media_type != "application/json":
        schema: dict[str, Any] = {"type": "string"}
    elif op.response:
        schema = {"$ref": _REF.format(model=op.response.__name__)}
    else:
        schema = {"type": "object"}
    success["content"] = {op.media_type: {"schema": schema}} | {
        media_type: {"schema": {"type": "string"}} for media_type in op.other_media_types
    }
    statuses = [400] if op.query or op.body or "{id}" in path else []
    if op.roles:
        statuses += [401, 403]
    if op.own_record or _names_something(path, op):
        statuses.append(404)
    if op.capped:
        statuses.append(409)
    statuses.append(415)
    if op.roles and op.roles != _EVERYONE_SIGNED_IN:
        statuses.append(429)  # a refusal (403, 404) counts against the caller's limit
    statuses.append(500)
    responses = {"200": success} | {
        str(status): {
            "description": _ERROR_TEXT[status],
            "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorResponse")}}},
        }
        for status in statuses
    }
    if op.etag:
        responses["304"] = {"description": "Not modified: If-None-Match holds the current ETag"}
    description = f"Roles: {', '.join(op.roles)}." if op.roles else "No sign-in needed."
    if op.audited:
        description += " Every call is written to the audit log."
    if op.roles and op.roles != _EVERYONE_SIGNED_IN:
        description += (
            " A refused call (403, 404) is written to the audit log too, one event per request; after too many "
            "refusals in a short time a user's refused calls are answered 429 too_many_refusals for a while."
        )
    description += op.notes
    operation: dict[str, Any] = {
        "operationId": _operation_id(method, path),
        "summary": op.summary,
        "description": description,
        "parameters": _path_parameters(path)
        + (_query_parameters(op.query) if op.query else [])
        + ([_IF_NONE_MATCH] if op.etag else []),
        "responses": responses,
        "x-roles": list(op.roles),
    }
    if op.body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=op.body.__name__)}}},
        }
    operation["security"] = [{"bearer": []}] if op.roles else []
    return operation


def _names_something(path: str, op: Operation) -> bool:
    """Whether the request names a case, run or delivery, which may not exist for the caller (404)."""
    fields = {name for model in (op.query, op.body) if model for name in model.model_fields}
    return "{id}" in path or "{name}" in path or bool(fields & {"run", "case_ids"})


def _operation_id(method: str, path: str) -> str:
    words = [part.strip("{}").replace(".", "_") for part in path.split("/") if part and part != "api"]
    return "_".join([method.lower(), *words]) or method.lower()


def _path_parameters(path: str) -> list[dict[str, Any]]:
    if "{name}" in path:
        schema = {"type": "string", "pattern": ASSET_NAME_PATTERN}
        return [{"name": "name", "in": "path", "required": True, "schema": schema, "description": "file name"}]
    if "{id}" not in path:
        return []
    if path.startswith("/api/uploads/"):
        schema, description = {"type": "string", "pattern": f"^{LEVERING_ID_PATTERN}$"}, "delivery (levering) id"
    else:
        schema, description = {"type": "string", "pattern": f"^[0-9a-f]{{{CASE_ID_HEX_CHARS}}}$"}, "case id"
    return [{"name": "id", "in": "path", "required": True, "schema": schema, "description": description}]


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    properties = model.model_json_schema(mode="validation")["properties"]
    parameters = []
    for name, field in model.model_fields.items():
        schema = _without_null(properties[name])
        parameter = {"name": name, "in": "query", "required": field.is_required(), "schema": schema}
        if field.description:
            parameter["description"] = field.description
        parameters.append(parameter)
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop pydantic's `null` alternative."""
    schema = {key: value for key, value in schema.items() if key not in ("title", "description")}
    if schema.get("default", "") is None:
        del schema["default"]
    options = [option for option in schema.get("anyOf", []) if option.get("type") != "null"]
    if "anyOf" in schema and len(options) == 1:
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return options[0] | rest
    if "anyOf" in schema:
        schema["anyOf"] = options
    return schema
