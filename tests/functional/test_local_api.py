"""The local API serves requests in threads; each route reads its own request."""

import json
import os
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest

from chalicelib import bootstrap
from chalicelib.domain.identity import Role
from infra.local.api import LocalApi
from infra.local.stack import LocalStack
from infra.local.users import DemoUser, create_users, sign_in


@pytest.fixture(scope="module")
def api():
    # LocalApi sets the function's environment in this process for good (as a Lambda's cold start
    # would): put the test process's back afterwards, or later modules' moto mocks would be sent to
    # this stack's stopped endpoint (AWS_ENDPOINT_URL).
    saved = dict(os.environ)
    try:
        yield from _served()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        bootstrap.use()


def _served():
    with LocalStack() as stack:
        user = DemoUser("leverancier-draden", Role.LEVERANCIER, "Draden", leverancier="draden")
        create_users(stack, [user])
        served = LocalApi(stack, port=0).start()
        yield served, sign_in(stack, user.username)
        served.stop()


def test_requests_answered_at_once_each_read_their_own_query(api):
    # The outbox answers with the `since` it was asked for: a route that read another thread's
    # request (its token checked in between) would answer with another request's day.
    served, token = api
    days = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(8)] * 25

    def since(day: str) -> str:
        request = urllib.request.Request(
            f"{served.url}/api/outbox?since={day}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["since"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(since, days)) == days
