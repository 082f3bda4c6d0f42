"""Least privilege on the local stack: a month through every function (ingest, the workflow's
steps, the API reading a case's contacts, a supplier's and the operators' views) with each AWS call
recorded, and every call inside the role template.yaml gives that function; the vault key opened
only for its purpose."""

import json
from datetime import date

import pytest

from chalicelib.domain.registry import parse_registry_toml
from infra import actions
from infra.least_privilege import Recorder, Roles
from infra.local.driver import local_workflow
from infra.local.runtime import REPLAY_DATE, RUNNING
from infra.local.users import create_demo_users, sign_in
from infra.template import LOCAL_STACK_NAME
from tests.fakes import api_event

AS_OF = date(2026, 11, 1)  # the demo's month


@pytest.fixture(scope="module")
def month(platform):
    """The calls of a whole month: the demo's deliveries ingested, the workflow run, a coordinator
    reading the case list and one case's contacts and approaching it through the API function,
    the notify function mailing the run and telling the suppliers, and a supplier and an operator
    reading their views of the deliveries, runs, quarantine and registry."""
    with Recorder(RUNNING.get).installed() as recorder:
        # Uploaded in the demo's month, as `vindplaats up --demo` replays it.
        platform.stack.environment[REPLAY_DATE] = AS_OF.isoformat()
        try:
            for leverancier, path in actions.deliveries(platform.demo / "leveringen"):
                platform.deliver(leverancier, path)
        finally:
            platform.stack.environment.pop(REPLAY_DATE, None)
        workflow = local_workflow(platform.stack, platform.runtime.invoke, sleep=lambda s: None)
        output = workflow.run({"as_of": AS_OF.isoformat()})
        registry = parse_registry_toml((platform.demo / "registry.toml").read_text(encoding="utf-8"))
        create_demo_users(platform.stack, registry)
        gemeente = next(code for code, counts in output["publish"]["summary"]["gemeenten"].items() if counts["cases"])
        token = sign_in(platform.stack, f"coordinator-{gemeente.lower()}")
        listed = platform.runtime.invoke("ApiFunction", api_event("GET", "/api/cases", "/api/cases", token))
        case_id = json.loads(listed["body"])["cases"][0]["id"]
        contact = platform.runtime.invoke(
            "ApiFunction",
            api_event("GET", f"/api/cases/{case_id}/contact", "/api/cases/{id}/contact", token, id=case_id),
        )
        approached = platform.runtime.invoke(
            "ApiFunction",
            api_event("POST", "/api/cases/approach", "/api/cases/approach", token, {"case_ids": [case_id]}),
        )
        assert approached["statusCode"] == 200, approached["body"]
        # The run's mail and the suppliers' news, through the notify queue to the notify function.
        platform.runtime.run_until_idle()
        # A supplier's list of its deliveries and the operators' views, which list the lake's
        # reports and the upload bucket's quarantine.
        supplier = sign_in(platform.stack, f"leverancier-{registry.leveranciers[0].id}")
        operator = sign_in(platform.stack, "operator")
        views = {
            path: platform.runtime.invoke("ApiFunction", api_event("GET", path, path, token))
            for path, token in [
                ("/api/uploads", supplier),
                ("/api/beheer/runs", operator),
                ("/api/beheer/leveringen", operator),
                ("/api/beheer/quarantaine", operator),
                ("/api/beheer/register", operator),
            ]
        }
        # A report not (yet) written: the API looks whether the upload still waits under the
        # supplier's own prefix (s3:ListBucket on incoming/*).
        unknown = "20261101T000000000000-00000000"
        missing = platform.runtime.invoke(
            "ApiFunction", api_event("GET", f"/api/uploads/{unknown}", "/api/uploads/{id}", supplier, id=unknown)
        )
        assert json.loads(missing["body"])["error"]["code"] == "not_found", missing["body"]
    return recorder.calls, listed, contact, views


def test_the_month_went_through_every_function(month):
    calls, listed, contact, views = month
    assert listed["statusCode"] == 200
    assert contact["statusCode"] == 200
    assert {path: view["statusCode"] for path, view in views.items()} == dict.fromkeys(views, 200)
    functions = {invocation.function for invocation, _ in calls}
    assert {"PrepareFunction", "PublishFunction", "NotifyFunction", "RetentionFunction", "ApiFunction"} <= functions


def test_every_call_of_the_month_is_inside_its_functions_role(month, platform):
    calls, *_ = month
    roles = Roles(platform.stack.body, platform.stack.resolver)
    denied = [d for invocation, call in calls for d in roles.denied(invocation.function, [call])]
    assert denied == []


def test_the_api_opens_contacts_with_the_vault_key_and_their_purpose_only(month, platform):
    calls, *_ = month
    api_kms = [(c.operation, c.params) for i, c in calls if i.function == "ApiFunction" and c.service == "kms"]
    assert api_kms, "the contact view opens an envelope"
    vault_key = platform.stack.ref("VaultKey")
    for operation, params in api_kms:
        assert operation == "Decrypt"
        assert params["KeyId"] == vault_key
        assert params["EncryptionContext"]["purpose"] == "contacts"


def test_the_vault_key_policy_names_the_roles_by_the_stacks_name(platform):
    roles = Roles(platform.stack.body, platform.stack.resolver)
    assert roles.role_arn("ApiFunction").endswith(f":role/{LOCAL_STACK_NAME}-ApiFunctionRole-LOCAL")
    assert platform.stack.attribute("VaultKey", "Arn") in roles.key_policies
