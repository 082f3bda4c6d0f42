"""Sign-in survives a JWKS hiccup: the cached key set stays in use while a refresh fails (for at
most a day), one request at a time refreshes and at most once an interval, nobody waits on a
refresh that has a key to go on with, and an unknown kid refetches at most once a minute."""

import threading
import time

import pytest

from chalicelib.adapters.aws.jwks import TokenVerifier
from chalicelib.api.errors import status_of
from chalicelib.domain.errors import Unauthorized
from tests.fakes import id_token, new_signing_key

KEY, JWK = new_signing_key("one")
HOUR, DAY = 3600, 24 * 3600


class Jwks:
    """A JWKS endpoint that can be switched off; counts the fetches."""

    def __init__(self) -> None:
        self.up = True
        self.fetches = 0

    def __call__(self, url):
        self.fetches += 1
        if not self.up:
            raise OSError("connection refused")
        return {"keys": [JWK]}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(jwks, clock, **options) -> TokenVerifier:
    return TokenVerifier(
        "https://jwks", "https://issuer", "client", fetch=jwks, clock=clock, background=lambda job: job(), **options
    )


def signs_in(verifier: TokenVerifier, kid: str = "one") -> bool:
    return verifier.verify(id_token(KEY, kid))["sub"] == "s"


def test_the_cached_keys_keep_serving_for_a_day_while_the_jwks_is_down_and_refreshes_are_bounded():
    jwks, clock = Jwks(), Clock()
    tokens = verifier(jwks, clock)
    assert signs_in(tokens) and jwks.fetches == 1
    jwks.up = False
    # A request every ten seconds for just under a day past the last fetch: all are served.
    clock.now += HOUR
    end = clock.now - HOUR + DAY - 1
    served = 0
    while clock.now < end:
        served += signs_in(tokens)
        clock.now += 10
    assert served == (DAY - HOUR - 1) // 10 + 1
    # One refresh a minute at most (the retry interval), not one per request.
    attempts = jwks.fetches - 1
    assert attempts <= (DAY - HOUR) // 60 + 1
    assert attempts >= (DAY - HOUR) // 60 - 1  # and it keeps trying
    # Past the staleness bound the old keys are no longer trusted: a server error, not a 401.
    clock.now = 1000.0 + DAY + 61
    with pytest.raises(RuntimeError) as caught:
        signs_in(tokens)
    assert status_of(caught.value) == 500
    # When the JWKS is back, the next due refresh restores sign-in.
    jwks.up = True
    clock.now += 61
    assert signs_in(tokens)


def test_the_staleness_bound_is_a_setting():
    jwks, clock = Jwks(), Clock()
    tokens = verifier(jwks, clock, max_stale_seconds=2 * HOUR)
    assert signs_in(tokens)
    jwks.up = False
    clock.now += 2 * HOUR - 1
    assert signs_in(tokens)
    clock.now += 1
    with pytest.raises(RuntimeError):
        signs_in(tokens)


def test_a_refresh_is_attempted_at_most_once_an_interval_while_the_keys_are_fresh():
    jwks, clock = Jwks(), Clock()
    tokens = verifier(jwks, clock, cache_seconds=HOUR)
    for _ in range(100):
        assert signs_in(tokens)
        clock.now += 60
    # 100 minutes: the first fetch and one refresh after the hour.
    assert jwks.fetches == 2


def test_an_unknown_kid_refetches_at_most_once_a_minute_also_while_the_jwks_is_down():
    jwks, clock = Jwks(), Clock()
    tokens = verifier(jwks, clock)
    assert signs_in(tokens)
    jwks.up = False
    other, _ = new_signing_key("rotated")
    failures = []
    for second in range(0, 180, 5):
        clock.now = 1000.0 + 60 + second
        try:
            tokens.verify(id_token(other, "rotated"))
        except (RuntimeError, Unauthorized) as exc:
            failures.append(type(exc))
        assert signs_in(tokens)  # the known key keeps working meanwhile
    assert jwks.fetches - 1 == 3  # t = 60, 120, 180 s after the first fetch: once a minute
    assert failures.count(RuntimeError) == 3 and failures.count(Unauthorized) == len(failures) - 3


def test_one_request_refreshes_in_the_background_and_nobody_waits_for_a_hanging_jwks():
    release, started = threading.Event(), threading.Event()
    fetches = []

    def hanging(url):
        fetches.append(url)
        if len(fetches) > 1:
            started.set()
            release.wait(10)  # a JWKS that hangs until its timeout
            raise OSError("timed out")
        return {"keys": [JWK]}

    clock = Clock()
    tokens = TokenVerifier("https://jwks", "https://issuer", "client", fetch=hanging, clock=clock)
    assert signs_in(tokens)
    clock.now += HOUR + 1  # the cache is due for a refresh
    results = []

    def request():
        began = time.monotonic()
        results.append((signs_in(tokens), time.monotonic() - began))

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert started.wait(5)
    assert len(results) == 8 and all(ok for ok, _ in results)
    assert max(took for _, took in results) < 1.0  # all served from the cache while the fetch hangs
    assert len(fetches) == 2  # the first fetch and one refresh, by one request
    release.set()
