"""`vindplaats up` as a user meets it: the API on 127.0.0.1, demo users, tokens, own cases only."""

import json
import secrets
import urllib.error
import urllib.request

import boto3


def _get(url: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers=headers | ({"Content-Type": "application/json"} if data else {})
    )
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


def _audit_objects(base: str) -> int:
    """The objects in the local stack's audit bucket (moto, at the endpoint the page signs in at)."""
    config = json.loads(urllib.request.urlopen(f"{base}/config.json", timeout=30).read())
    s3 = boto3.client(
        "s3",
        endpoint_url=config["cognito_endpoint"],
        region_name=config["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "audit" in b["Name"])
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sum(page.get("KeyCount", 0) for page in pages)


def test_random_ids_cannot_flood_the_audit_log(running):
    """500 random ids: refused before any lookup, nothing written; a page of them: one object;
    a user who keeps being refused gets 429 and adds no more objects (issue 12)."""
    base, login = running
    approach = f"{base}/api/cases/approach"
    for user in ("coordinator-gm0268", "leverancier-vivare"):
        token = login(user)
        before = _audit_objects(base)
        status, body = _get(approach, token, {"case_ids": [secrets.token_hex(8) for _ in range(500)]})
        assert (status, body["error"]["code"], _audit_objects(base)) == (400, "too_many_ids", before)
        statuses = []
        while len(statuses) < 60 and 429 not in statuses:
            statuses.append(_get(approach, token, {"case_ids": [secrets.token_hex(8) for _ in range(200)]})[0])
        assert statuses[0] in (403, 404) and statuses[-1] == 429, statuses
        written = _audit_objects(base) - before
        assert written == len(statuses)  # one object a refusal, and one at the crossing
        for _ in range(10):
            assert _get(approach, token, {"case_ids": [secrets.token_hex(8) for _ in range(200)]})[0] == 429
        assert _audit_objects(base) - before == written
