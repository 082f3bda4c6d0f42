"""Demo users in the local stack's user pool, and password sign-in for scripts.

`create_demo_users` makes, per gemeente in the registry, a coordinator and a wijkteam member of
team "noord" and of team "zuid"; per leverancier one user; and one operator. Usernames are
deterministic (`coordinator-gm0202`, `wijkteam-gm0202-noord`, `leverancier-<id>`, `operator`)
and all share `DEMO_PASSWORD`, which is printed: this is for the local stack only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.identity import Role
from chalicelib.domain.registry import Registry

DEMO_PASSWORD = "Vindplaats-demo-2024!"
DEMO_TEAMS = ("noord", "zuid")
DEMO_EMAIL_DOMAIN = "demo.vindplaats.invalid"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    display_name: str
    gemeente: str | None = None
    leverancier: str | None = None
    team: str | None = None

    @property
    def attributes(self) -> dict[str, str]:
        """The user's Cognito attributes: display name, e-mail and the immutable tenant."""
        values = {
            "name": self.display_name,
            "email": f"{self.username}@{DEMO_EMAIL_DOMAIN}",
            "email_verified": "true",
            "custom:gemeente": self.gemeente,
            "custom:leverancier": self.leverancier,
            "custom:team": self.team,
        }
        return {name: value for name, value in values.items() if value is not None}


def demo_users(registry: Registry) -> list[DemoUser]:
    """The demo users for `registry`, in a stable order (pure: creates nothing)."""
    users: list[DemoUser] = []
    for gemeente in registry.gemeenten:
        code = gemeente.code.lower()
        users.append(
            DemoUser(f"coordinator-{code}", Role.COORDINATOR, f"Coördinator {gemeente.naam}", gemeente=gemeente.code)
        )
        users += [
            DemoUser(
                f"wijkteam-{code}-{team}",
                Role.WIJKTEAM,
                f"Wijkteam {gemeente.naam} {team}",
                gemeente=gemeente.code,
                team=team,
            )
            for team in DEMO_TEAMS
        ]
    users += [
        DemoUser(f"leverancier-{leverancier.id}", Role.LEVERANCIER, leverancier.naam, leverancier=leverancier.id)
        for leverancier in registry.leveranciers
    ]
    users.append(DemoUser("operator", Role.OPERATOR, "Operator"))
    return users


def create_demo_users(
    stack: Any,
    registry: Registry,
    *,
    password: str = DEMO_PASSWORD,
    user_pool_id: str | None = None,
) -> list[DemoUser]:
    """Create `demo_users(registry)` in the pool with a permanent `password`, each in its group
    (`create_users`)."""
    return create_users(stack, demo_users(registry), password=password, user_pool_id=user_pool_id)


def create_users(
    stack: Any,
    users: list[DemoUser],
    *,
    password: str = DEMO_PASSWORD,
    user_pool_id: str | None = None,
) -> list[DemoUser]:
    """Create `users` in the pool with a permanent `password`, each in its group.

    `stack` is a started `LocalStack` (the pool is `stack.ref("UserPool")`) or anything with
    `client(service)` plus `user_pool_id`. Users that exist already keep their (immutable)
    attributes and get the password and group again, so a second call is harmless.
    """
    pool_id = user_pool_id or _setting(stack, "UserPool", "VINDPLAATS_USER_POOL_ID")
    cognito = stack.client("cognito-idp")
    for user in users:
        with contextlib.suppress(cognito.exceptions.UsernameExistsException):
            cognito.admin_create_user(
                UserPoolId=pool_id,
                Username=user.username,
                UserAttributes=[{"Name": k, "Value": v} for k, v in user.attributes.items()],
                MessageAction="SUPPRESS",
            )
        cognito.admin_set_user_password(UserPoolId=pool_id, Username=user.username, Password=password, Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName=user.role.value)
    return users


def sign_in(stack: Any, username: str, password: str = DEMO_PASSWORD, *, client_id: str | None = None) -> str:
    """An ID token for `username` by USER_PASSWORD_AUTH against the app client.

    `stack` is a started `LocalStack` or a `Target` whose env has VINDPLAATS_USER_POOL_CLIENT_ID.
    Raises `SignInFailed` for a wrong password, an unknown user or a challenge (such as MFA).
    """
    client_id = client_id or _setting(stack, "UserPoolClient", "VINDPLAATS_USER_POOL_CLIENT_ID")
    cognito = stack.client("cognito-idp")
    try:
        response = cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
    except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException) as exc:
        raise SignInFailed(f"aanmelden als {username} mislukt") from exc
    if "AuthenticationResult" not in response:
        raise SignInFailed(f"aanmelden als {username} vraagt om {response.get('ChallengeName')}")
    return response["AuthenticationResult"]["IdToken"]


class SignInFailed(RuntimeError):
    """The user pool refused the username and password, or asked for more."""


def _setting(stack: Any, logical_id: str, variable: str) -> str:
    if hasattr(stack, "ref"):
        return str(stack.ref(logical_id))
    env: Mapping[str, str] = getattr(stack, "env", {})
    if variable not in env:
        raise LookupError(f"{variable} is not set: is the local stack running?")
    return env[variable]
