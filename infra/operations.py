"""Operator actions on a stack (the local one or AWS, as `infra.local.target.current()` says):
users in the Cognito user pool with their immutable tenant, a month's run started again, and the
audit log read back for an inzageverzoek (who saw a person's data).

Users: one group per user (its role, chalicelib.domain.identity.Role) and the tenant attributes
template.yaml declares immutable: `custom:gemeente` for coordinators and wijkteams (and
`custom:team` for a wijkteam), `custom:leverancier` for suppliers, none for operators. Cognito
refuses to change them later, so they are checked here before the user is made.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.domain.audit import AuditEvent, Route
from chalicelib.domain.identity import Role
from chalicelib.domain.ids import GEMEENTE_CODE, LEVERANCIER_ID, TEAM


class BadUser(ValueError):
    """The role and tenant attributes do not fit together."""


@dataclass(frozen=True)
class User:
    username: str
    role: Role
    email: str
    name: str
    gemeente: str | None = None
    leverancier: str | None = None
    team: str | None = None
    status: str = ""

    def attributes(self) -> list[dict[str, str]]:
        values = {
            "email": self.email,
            "email_verified": "true",
            "name": self.name,
            "custom:gemeente": self.gemeente,
            "custom:leverancier": self.leverancier,
            "custom:team": self.team,
        }
        return [{"Name": k, "Value": v} for k, v in values.items() if v is not None]


def check_user(user: User) -> None:
    """Raise BadUser unless `user`'s role has exactly the tenant attributes it needs, well formed."""
    needs = {
        Role.COORDINATOR: {"gemeente"},
        Role.WIJKTEAM: {"gemeente", "team"},
        Role.LEVERANCIER: {"leverancier"},
        Role.OPERATOR: set(),
    }[user.role]
    given = {name for name in ("gemeente", "leverancier", "team") if getattr(user, name) is not None}
    if given != needs:
        wanted = ", ".join(f"--{n}" for n in sorted(needs)) or "geen tenant"
        raise BadUser(f"rol {user.role.value} vraagt {wanted}; gegeven: {', '.join(sorted(given)) or 'niets'}")
    for value, pattern, label in (
        (user.gemeente, GEMEENTE_CODE, "gemeentecode (GM0000)"),
        (user.leverancier, LEVERANCIER_ID, "leverancier-id"),
        (user.team, TEAM, "teamnaam"),
    ):
        if value is not None and not pattern.fullmatch(value):
            raise BadUser(f"{value!r} is geen geldige {label}")


def create_user(cognito: Any, pool_id: str, user: User, *, invite: bool = True) -> None:
    """Create `user` in the pool and its role's group. With `invite`, Cognito mails a temporary
    password (the user sets a new one and enrols MFA at first sign-in); without, nothing is sent."""
    check_user(user)
    extra: dict[str, Any] = {"DesiredDeliveryMediums": ["EMAIL"]} if invite else {"MessageAction": "SUPPRESS"}
    cognito.admin_create_user(UserPoolId=pool_id, Username=user.username, UserAttributes=user.attributes(), **extra)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName=user.role.value)


def list_users(cognito: Any, pool_id: str) -> list[User]:
    """Every user of the pool's role groups, by role then username."""
    found = []
    for role in Role:
        pages = cognito.get_paginator("list_users_in_group").paginate(UserPoolId=pool_id, GroupName=role.value)
        for page in pages:
            for item in page["Users"]:
                values = {a["Name"]: a["Value"] for a in item.get("Attributes", [])}
                found.append(
                    User(
                        username=item["Username"],
                        role=role,
                        email=values.get("email", ""),
                        name=values.get("name", ""),
                        gemeente=values.get("custom:gemeente"),
                        leverancier=values.get("custom:leverancier"),
                        team=values.get("custom:team"),
                        status=item.get("UserStatus", ""),
                    )
                )
    return sorted(found, key=lambda u: (u.role.value, u.username))


# ---------------------------------------------------------------------- runs


def start_run(stepfunctions: Any, state_machine_arn: str, as_of: date, now: datetime) -> str:
    """Start the matching workflow for `as_of` (a rerun of that month), as the schedule would
    with the date named; the execution's ARN. The run lock keeps it from overlapping another."""
    response = stepfunctions.start_execution(
        stateMachineArn=state_machine_arn,
        name=f"rerun-{as_of.isoformat()}-{now:%Y%m%dT%H%M%S}",
        input=json.dumps({"as_of": as_of.isoformat()}),
    )
    return str(response["executionArn"])


# ---------------------------------------------------------------------- the audit log


def audit_events(s3: Any, bucket: str, since: date, until: date, tenant: str | None = None) -> Iterator[AuditEvent]:
    """The audit log's events of the days `since`..`until` (UTC, inclusive), of one tenant's
    folder when given (adapters/aws/audit.py: audit/<yyyy>/<mm>/<dd>/<tenant>/...)."""
    day = since
    while day <= until:
        prefix = f"audit/{day:%Y/%m/%d}/" + (f"{tenant}/" if tenant else "")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                yield AuditEvent.model_validate(json.loads(body))
        day += timedelta(days=1)


def inzage(events: Iterable[AuditEvent], case_ids: Iterable[str]) -> list[AuditEvent]:
    """What an inzageverzoek about the person behind `case_ids` (one per run they were in) is
    answered with: every event on those cases (views, contact views, casework, refusals), and
    every export of the case list of a tenant and run those cases were in, oldest first."""
    wanted = set(case_ids)
    events = list(events)
    on_case = [e for e in events if e.case_id in wanted]
    runs = {(e.tenant, e.run) for e in on_case if e.run}
    exports = [e for e in events if e.route == Route.EXPORT.value and (e.tenant, e.run) in runs]
    return sorted(on_case + [e for e in exports if e not in on_case], key=lambda e: e.at)
