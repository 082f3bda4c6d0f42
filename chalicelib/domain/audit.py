"""The audit log's vocabulary: who did what on which route, and whether it was allowed.

An event holds ids only (subject, tenant, case, run, delivery), never a name, address or contact
detail. Refusals are events too: a role a route refuses (denied), another tenant's or an unknown
case, run or delivery (not_found, or denied for a case of another team).

`Route` is the one list of the API's routes: the app registers them, the OpenAPI document
describes them, the template's events are checked against them, and an event names one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Route(StrEnum):
    """`<METHOD> <path>` of every route the API serves."""

    HEALTH = "GET /api/health"
    ME = "GET /api/me"
    RUNS = "GET /api/runs"
    CASES = "GET /api/cases"
    EXPORT = "GET /api/export.csv"
    STATS = "GET /api/stats"
    SETTINGS = "GET /api/settings"
    SETTINGS_PUT = "PUT /api/settings"
    CASE = "GET /api/cases/{id}"
    CONTACT = "GET /api/cases/{id}/contact"
    ASSIGN = "POST /api/cases/{id}/assign"
    APPROACH = "POST /api/cases/approach"
    CONTACTPOGING = "POST /api/cases/{id}/contactpogingen"
    RESULTAAT = "POST /api/cases/{id}/resultaat"
    UPLOAD = "POST /api/uploads"
    UPLOAD_REPORT = "GET /api/uploads/{id}"
    OUTBOX = "GET /api/outbox"
    OPENAPI = "GET /api/openapi.json"
    PAGE = "GET /"
    PAGE_CONFIG = "GET /config.json"
    PAGE_ASSET = "GET /static/{name}"

    @property
    def method(self) -> str:
        return self.value.split(" ", 1)[0]

    @property
    def path(self) -> str:
        return self.value.split(" ", 1)[1]


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    NOT_FOUND = "not_found"


class AuditEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    subject: str
    role: str
    tenant: str | None
    route: str
    case_id: str | None = None
    run: str | None = None
    levering: str | None = None  # a supplier's delivery id
    outcome: Outcome
    count: int | None = None  # an export's rows
    filters: dict[str, str] | None = None  # an export's filters: codes and amounts, never a name
