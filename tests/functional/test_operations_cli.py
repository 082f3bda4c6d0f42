"""`vindplaats users` and `vindplaats audit` on the local stack (moto), as an operator runs them
against AWS: users with their role and immutable tenant, and an inzageverzoek from the audit log."""

import json
import os
from datetime import UTC, date, datetime

import pytest

from chalicelib.adapters.aws.audit import S3AuditLog
from chalicelib.domain.audit import AuditEvent, Outcome, Route
from infra.cli import main
from infra.local.stack import LocalStack
from infra.local.target import save_local

DAY = date(2026, 11, 3)


@pytest.fixture(scope="module")
def stack():
    with LocalStack(environment={"POWERTOOLS_METRICS_DISABLED": "true"}) as local:
        yield local


@pytest.fixture
def cli(stack, tmp_path, monkeypatch, capsys):
    """`vindplaats ARGS...` against the local stack: (exit code, stdout lines, stderr)."""
    monkeypatch.setenv("VINDPLAATS_STATE", str(tmp_path / "stack.json"))
    save_local(stack.env("ApiFunction"), os.getpid())

    def run(*argv: str) -> tuple[int, list[str], str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out.splitlines(), err

    return run


def test_a_coordinator_is_created_in_its_group_with_its_gemeente(cli, stack):
    code, out, _ = cli(
        "users", "create", "anna", "--rol", "coordinator", "--email", "anna@arnhem.invalid", "--naam", "Anna",
        "--gemeente", "GM0202", "--geen-uitnodiging",
    )  # fmt: skip
    assert code == 0, out
    cognito = stack.client("cognito-idp")
    user = cognito.admin_get_user(UserPoolId=stack.ref("UserPool"), Username="anna")
    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert attributes["custom:gemeente"] == "GM0202" and "custom:team" not in attributes
    groups = cognito.admin_list_groups_for_user(UserPoolId=stack.ref("UserPool"), Username="anna")["Groups"]
    assert [g["GroupName"] for g in groups] == ["coordinator"]

    code, out, _ = cli("users", "list")
    assert code == 0
    (line,) = [row for row in out if row.startswith("anna ")]
    assert line.split()[:3] == ["anna", "coordinator", "GM0202"]


@pytest.mark.parametrize(
    "tenant",
    [
        ["--rol", "wijkteam", "--gemeente", "GM0202"],  # no team
        ["--rol", "leverancier", "--leverancier", "vivare", "--gemeente", "GM0202"],  # two tenants
        ["--rol", "coordinator", "--gemeente", "Arnhem"],  # not a gemeentecode
        ["--rol", "operator", "--gemeente", "GM0202"],  # operators have no tenant
    ],
)
def test_a_user_whose_tenant_does_not_fit_its_role_is_refused_and_not_created(cli, stack, tenant):
    code, _, err = cli("users", "create", "bob", "--email", "b@x.invalid", "--naam", "Bob", *tenant)
    assert code == 2 and "vindplaats:" in err
    users = stack.client("cognito-idp").list_users(UserPoolId=stack.ref("UserPool"))["Users"]
    assert "bob" not in [u["Username"] for u in users]


def test_an_abbreviated_option_is_not_taken_for_another(cli):
    with pytest.raises(SystemExit):
        cli("users", "create", "c", "--rol", "operator", "--email", "c@x.invalid", "--naam", "C", "--geen")


def event(case_id, route, *, subject="u-1", tenant="GM0202", run="run-11", hour=9, count=None):
    return AuditEvent(
        at=datetime(DAY.year, DAY.month, DAY.day, hour, tzinfo=UTC),
        subject=subject,
        role="coordinator",
        tenant=tenant,
        route=route.value,
        case_id=case_id,
        run=run,
        outcome=Outcome.ALLOWED,
        count=count,
    )


def test_an_inzageverzoek_lists_who_saw_the_cases_and_the_exports_that_held_them(cli, stack):
    log = S3AuditLog(stack.client("s3"), stack.ref("AuditBucket"))
    theirs = [event("case-a", Route.CASE, hour=9), event("case-a", Route.CONTACT, subject="u-2", hour=10)]
    export = event(None, Route.EXPORT, hour=11, count=35)
    others = [
        event("case-b", Route.CONTACT, hour=12),
        event(None, Route.EXPORT, run="run-10", hour=13, count=20),  # another run's list
        event("case-a", Route.CONTACT, tenant="GM0268", hour=14),  # another gemeente's folder
    ]
    for item in [*theirs, export, *others]:
        log.record(item)

    code, out, err = cli(
        "audit", "case", "case-a", "--gemeente", "GM0202", "--van", "2026-11-01", "--tot", "2026-11-30", "--json"
    )

    assert code == 0
    assert [AuditEvent.model_validate(json.loads(line)) for line in out] == [*theirs, export]
    assert "3 gebeurtenissen" in err


def test_rerun_starts_the_workflow_with_the_months_as_of_date(cli, stack, tmp_path):
    sfn = stack.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    role = f"arn:aws:iam::{stack.account_id}:role/match"
    arn = sfn.create_state_machine(name="match", definition=json.dumps(definition), roleArn=role)["stateMachineArn"]
    save_local(stack.env("ApiFunction") | {"VINDPLAATS_MATCH_STATE_MACHINE_ARN": arn}, os.getpid())

    code, out, _ = cli("rerun", "--as-of", "2026-11-01")

    assert code == 0
    (execution,) = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert execution["name"].startswith("rerun-2026-11-01-") and execution["executionArn"] in out[0]
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {"as_of": "2026-11-01"}


def test_rerun_without_a_state_machine_says_which_setting_is_missing(cli):
    code, _, err = cli("rerun", "--as-of", "2026-11-01")
    assert code == 2 and "VINDPLAATS_MATCH_STATE_MACHINE_ARN" in err
