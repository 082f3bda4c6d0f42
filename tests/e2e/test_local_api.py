"""`vindplaats up` as a user meets it: the API on 127.0.0.1, demo users, tokens, own cases only."""

import json
import urllib.error
import urllib.request


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_health_answers_without_a_token(running):
    base, _ = running
    assert _get(f"{base}/api/health")[0] == 200


def test_cases_need_a_token(running):
    base, _ = running
    status, body = _get(f"{base}/api/cases")
    assert status == 401
    assert body["error"]["code"]


def test_coordinator_sees_only_her_own_gemeentes_cases(running):
    base, login = running
    arnhem, nijmegen = login("coordinator-gm0202"), login("coordinator-gm0268")
    status, arnhem_cases = _get(f"{base}/api/cases?page_size=200", arnhem)
    assert status == 200
    ids = [case["id"] for case in arnhem_cases["cases"]]
    assert ids and all(case["gemeente"] == "GM0202" for case in arnhem_cases["cases"])
    status, nijmegen_cases = _get(f"{base}/api/cases?page_size=200", nijmegen)
    assert status == 200
    assert not set(ids) & {case["id"] for case in nijmegen_cases["cases"]}
    assert _get(f"{base}/api/cases/{ids[0]}", nijmegen)[0] == 404
    assert _get(f"{base}/api/cases/{ids[0]}/contact", nijmegen)[0] == 404
    status, _contact = _get(f"{base}/api/cases/{ids[0]}/contact", arnhem)
    assert status == 200


def test_supplier_may_not_read_cases(running):
    base, login = running
    assert _get(f"{base}/api/cases", login("leverancier-vivare"))[0] == 403
