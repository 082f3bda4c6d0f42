"""The audit log's vocabulary: who did what on which route, and whether it was allowed.

An event holds ids only (subject, tenant, case, run, delivery), never a name, address or contact
detail. Refusals are events too: a role a route refuses (denied), another tenant's or an unknown
case, run or delivery (not_found, or denied for a case of another team).

The log cannot be flooded: a request is one event however many ids it names (at most a page of
them, `MAX_IDS`, with their count and a SHA-256 of the sorted list, so a longer list could still
be matched), and refusals are limited per user (`RefusalLimit`): past the limit a refused request
is answered 429 and only the first one over it is recorded (rate_limited).

`Route` is the one list of the API's routes: the app registers them, the OpenAPI document
describes them, the template's events are checked against them, and an event names one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

MAX_IDS = 200  # a page of the case list (MAX_PAGE_SIZE): no request may name more case ids


class Route(StrEnum):
    """`<METHOD> <path>` of every route the API serves."""

    HEALTH = "GET /api/health"
    ME = "GET /api/me"
    RUNS = "GET /api/runs"
    CASES = "GET /api/cases"
    EXPORT = "GET /api/export.csv"
    EXPORT_DDAS = "GET /api/export/ddas"
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
    UPLOADS = "GET /api/uploads"
    UPLOAD_REPORT = "GET /api/uploads/{id}"
    OUTBOX = "GET /api/outbox"
    MISSING_DELIVERIES = "GET /api/leveringen/ontbrekend"
    BEHEER_RUNS = "GET /api/beheer/runs"
    BEHEER_LEVERINGEN = "GET /api/beheer/leveringen"
    BEHEER_QUARANTAINE = "GET /api/beheer/quarantaine"
    BEHEER_REGISTER = "GET /api/beheer/register"
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
    RATE_LIMITED = "rate_limited"  # the first refusal over the user's limit; later ones leave no event


class AuditEvent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    subject: str
    role: str
    tenant: str | None
    route: str
    case_id: str | None = None  # the one case a request named
    case_ids: list[str] | None = None  # the cases a request named or was shown (at most MAX_IDS, sorted)
    ids_sha256: str | None = None  # of every id in `case_ids`' list before the cut (ids_digest)
    run: str | None = None
    levering: str | None = None  # a supplier's delivery id
    outcome: Outcome
    count: int | None = None  # how many cases: the ids named or shown, an export's rows
    filters: dict[str, str] | None = None  # a list's or export's filters: codes and amounts, never a name


def ids_digest(ids: Iterable[str]) -> str:
    """The SHA-256 (hex) of the distinct ids, sorted, one per line."""
    return hashlib.sha256("\n".join(sorted(set(ids))).encode()).hexdigest()


def named_ids(ids: Iterable[str], limit: int | None = MAX_IDS) -> dict[str, Any]:
    """An event's fields for a set of case ids: one id as `case_id`; more as the sorted first
    `limit` (None: all) with their count and digest, so an event stays bounded whatever it names."""
    distinct = sorted(set(ids))
    if not distinct:
        return {}
    if len(distinct) == 1:
        return {"case_id": distinct[0]}
    shown = distinct if limit is None else distinct[:limit]
    return {"case_ids": shown, "count": len(distinct), "ids_sha256": ids_digest(distinct)}


@dataclass(frozen=True)
class RefusalLimit:
    """At most `limit` recorded refusals per user in each fixed window of `window_seconds`.

    A fixed window is one atomic counter per user and window (the store's `ADD`), shared by every
    container; a user may reach twice `limit` across a window's edge, which still bounds the log."""

    limit: int = 30
    window_seconds: int = 900

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """[start, end) of the window holding `now`."""
        epoch = int(now.astimezone(UTC).timestamp())
        start = epoch - epoch % self.window_seconds
        begin = datetime.fromtimestamp(start, UTC)
        return begin, begin + timedelta(seconds=self.window_seconds)

    def allows(self, count: int) -> bool:
        """Whether the window's `count`-th refusal (counting this one) is still within the limit."""
        return count <= self.limit

    def first_over(self, count: int) -> bool:
        return count == self.limit + 1
