"""Cognito ID-token verification against the user pool's JWKS (chalicelib.config.SignIn).

The app verifies every token itself, also behind API Gateway's Cognito authorizer (defence in
depth; the local stack has no authorizer). The JWKS URL is configuration: moto serves it at
`<endpoint>/<pool_id>/.well-known/jwks.json` while its tokens carry the AWS issuer URL.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from chalicelib.domain.errors import Unauthorized
from chalicelib.domain.identity import Identity, identity_from_claims

logger = logging.getLogger("vindplaats.jwks")
ALGORITHM = "RS256"
MAX_TOKEN_LENGTH = 8192
_BEARER = re.compile(r"Bearer +(\S+)", re.ASCII | re.IGNORECASE)


def fetch_url(url: str, timeout: float = 5.0) -> bytes:
    """GET `url` (http or https only) and return the body."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"JWKS URL must be http(s): {url!r}")
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def bearer(header_value: str | None) -> str:
    """The token in an `Authorization: Bearer <token>` header value.

    Raises `Unauthorized("token_missing")` for no header or an empty one, and
    `Unauthorized("token_invalid")` for another scheme or a malformed value.
    """
    if header_value is None or not header_value.strip():
        raise Unauthorized(code="token_missing", message="aanmelden is nodig")
    match = _BEARER.fullmatch(header_value.strip())
    if match is None:
        raise Unauthorized(code="token_invalid", message="verwacht 'Authorization: Bearer <token>'")
    return match.group(1)


def in_background(job: Callable[[], None]) -> None:
    """Run `job` on a daemon thread (a frozen Lambda resumes it with the next invocation)."""
    threading.Thread(target=job, name="jwks-refresh", daemon=True).start()


class TokenVerifier:
    """Verifies Cognito ID tokens: RS256 against the JWKS, `iss`, `aud`, `token_use`, `exp`.

    The key set is fetched on the first token and refreshed every `cache_seconds`. A JWKS outage
    does not sign anyone out: while a refresh fails the last key set stays in use, for at most
    `max_stale_seconds` after it was fetched, and the refresh is retried at most every
    `refetch_seconds`. One request at a time refreshes; when it has a key for its own token it
    does so in the `background` and goes on, and every other request uses the cache meanwhile
    (none waits on a lock held during a fetch, except while no usable key set exists yet). A
    token with an unknown `kid` makes it refetch at once, at most every `refetch_seconds`, so
    random kids cannot turn every request into a JWKS fetch. `fetch(url) -> bytes | Mapping`
    replaces the HTTP GET, `clock` the monotonic clock, `background` the thread, in tests.
    """

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        leeway: int = 0,
        cache_seconds: int = 3600,
        refetch_seconds: int = 60,
        max_stale_seconds: int = 24 * 3600,
        fetch: Callable[[str], bytes | Mapping[str, Any]] = fetch_url,
        clock: Callable[[], float] = time.monotonic,
        background: Callable[[Callable[[], None]], None] = in_background,
        wait_seconds: float = 10.0,
    ) -> None:
        self.jwks_url = jwks_url
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.cache_seconds = cache_seconds
        self.refetch_seconds = refetch_seconds
        self.max_stale_seconds = max_stale_seconds
        self._fetch = fetch
        self._clock = clock
        self._background = background
        self._wait_seconds = wait_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None  # the last successful fetch
        self._attempted_at: float | None = None  # the last fetch begun, successful or not
        self._refreshing = False
        self._state = threading.Condition()  # guards the fields above; never held during a fetch

    def verify(self, token: str | None) -> dict[str, Any]:
        """The claims of a valid ID token; raises `Unauthorized` with a stable code otherwise.

        Codes: token_missing, token_invalid (malformed, wrong alg, unknown key, bad signature,
        missing claims), token_expired (also not yet valid), token_wrong_use,
        token_wrong_issuer, token_wrong_audience.
        """
        if not token:
            raise Unauthorized(code="token_missing", message="aanmelden is nodig")
        if len(token) > MAX_TOKEN_LENGTH:
            raise Unauthorized(code="token_invalid", message="het token is te lang")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise Unauthorized(code="token_invalid", message="het token is onleesbaar") from None
        # Refuse before any key is chosen: no `none`, no HMAC with a public key as secret.
        if header.get("alg") != ALGORITHM:
            raise Unauthorized(code="token_invalid", message="het token is niet met RS256 ondertekend")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized(code="token_invalid", message="het token noemt geen sleutel")
        key = self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                leeway=self.leeway,
                # iss and aud are checked below, after token_use: an access token has no aud.
                options={
                    "require": ["exp", "iss", "sub", "token_use"],
                    "verify_signature": True,
                    "verify_exp": True,
                    "verify_nbf": True,
                    "verify_iat": True,
                    "verify_aud": False,
                    "verify_iss": False,
                },
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
            raise Unauthorized(code="token_expired", message="het token is verlopen") from None
        except jwt.PyJWTError:
            raise Unauthorized(code="token_invalid", message="het token is ongeldig") from None
        if claims.get("token_use") != "id":
            raise Unauthorized(code="token_wrong_use", message="alleen een ID-token is toegestaan")
        if claims.get("iss") != self.issuer:
            raise Unauthorized(code="token_wrong_issuer", message="het token komt van een andere gebruikerspool")
        if claims.get("aud") != self.audience:
            raise Unauthorized(code="token_wrong_audience", message="het token is voor een andere app")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise Unauthorized(code="token_invalid", message="het token heeft geen gebruiker")
        return claims

    def identity(self, authorization: str | None) -> Identity:
        """The caller behind an `Authorization` header value: `bearer`, `verify`, then
        `identity_from_claims` (which may raise `Forbidden`)."""
        return identity_from_claims(self.verify(bearer(authorization)))

    def _key(self, kid: str) -> jwt.PyJWK:
        with self._state:
            now = self._clock()
            usable = self._usable(now)
            since_attempt = None if self._attempted_at is None else now - self._attempted_at
            due = (
                since_attempt is None
                or (
                    self._fetched_at is not None
                    and now - self._fetched_at >= self.cache_seconds
                    and since_attempt >= self.refetch_seconds
                )
                or (not usable and since_attempt >= self.refetch_seconds)
                or (kid not in self._keys and since_attempt >= self.refetch_seconds)
            )
            claimed = due and not self._refreshing
            if claimed:
                self._refreshing = True
                self._attempted_at = now
            known = usable and kid in self._keys
        if claimed and known:
            self._background(self._refresh)
        elif claimed:
            error = self._refresh()
            if error is not None and not (self._usable(self._clock()) and kid in self._keys):
                raise RuntimeError(f"cannot load the JWKS from {self.jwks_url}") from error
        elif not known:
            self._await_refresh()
        with self._state:
            usable = self._usable(self._clock())
            key = self._keys.get(kid) if usable else None
        if key is None and not usable:
            # Never fetched, or too stale to trust: not the caller's fault, a 5xx rather than a 401.
            raise RuntimeError(f"cannot load the JWKS from {self.jwks_url}")
        if key is None:
            raise Unauthorized(code="token_invalid", message="het token is met een onbekende sleutel ondertekend")
        return key

    def _usable(self, now: float) -> bool:
        """Whether the cached key set may still be used: fetched, and not older than max_stale."""
        return self._fetched_at is not None and now - self._fetched_at < self.max_stale_seconds

    def _refresh(self) -> Exception | None:
        """Fetch the key set and keep it; on failure keep the old one. Returns the failure."""
        keys: dict[str, jwt.PyJWK] | None = None
        failure: Exception | None = None
        try:
            keys = self._load()
        except Exception as exc:  # whatever it was, the flag below must be reset
            failure = exc
            # The type only: the URL is configuration, the cause may carry a host name.
            logger.warning("JWKS refresh failed: %s", type(exc.__cause__ or exc).__name__)
        finally:
            with self._state:
                if keys is not None:
                    self._keys = keys
                    self._fetched_at = self._clock()
                self._refreshing = False
                self._state.notify_all()
        return failure

    def _await_refresh(self) -> None:
        """Wait (bounded) for another request's refresh when this one has no usable key."""
        with self._state:
            self._state.wait_for(lambda: not self._refreshing, timeout=self._wait_seconds)

    def _load(self) -> dict[str, jwt.PyJWK]:
        try:
            body = self._fetch(self.jwks_url)
            document = json.loads(body) if isinstance(body, (bytes, str)) else dict(body)
            keys = {
                jwk["kid"]: jwt.PyJWK(jwk, algorithm=ALGORITHM)
                for jwk in document["keys"]
                if isinstance(jwk.get("kid"), str)
                and jwk.get("kty") == "RSA"
                and jwk.get("alg", ALGORITHM) == ALGORITHM
                and jwk.get("use", "sig") == "sig"
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError, jwt.PyJWTError) as exc:
            # Not the caller's fault: let it surface as a 5xx, not as a 401.
            raise RuntimeError(f"cannot load the JWKS from {self.jwks_url}") from exc
        return keys
