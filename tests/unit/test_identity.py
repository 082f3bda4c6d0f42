"""Claims → identity: the tenant only from custom attributes, the role only from one group."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from chalicelib.api.errors import status_of
from chalicelib.domain.errors import Forbidden, Unauthorized
from chalicelib.domain.identity import Identity, Role, identity_from_claims


def claims(**overrides):
    base = {
        "sub": "5b1e0c3a-0000-4000-8000-000000000001",
        "cognito:groups": ["coordinator"],
        "custom:gemeente": "GM0202",
        "cognito:username": "coordinator-gm0202",
        "email": "c@example.invalid",
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def forbidden(code, **overrides):
    with pytest.raises(Forbidden) as caught:
        identity_from_claims(claims(**overrides))
    assert caught.value.code == code
    assert status_of(caught.value) == 403
    return caught.value


def test_coordinator_gets_the_gemeente_of_the_token():
    identity = identity_from_claims(claims())
    assert identity == Identity(
        subject="5b1e0c3a-0000-4000-8000-000000000001",
        role=Role.COORDINATOR,
        gemeente="GM0202",
        display_name="coordinator-gm0202",
        email="c@example.invalid",
    )


def test_wijkteam_member_gets_gemeente_and_team():
    identity = identity_from_claims(
        claims(**{"cognito:groups": ["wijkteam"], "custom:team": "noord", "name": "Wijkteam Noord"})
    )
    assert (identity.role, identity.gemeente, identity.team) == (Role.WIJKTEAM, "GM0202", "noord")
    assert identity.display_name == "Wijkteam Noord"


def test_leverancier_gets_its_id_and_no_gemeente():
    identity = identity_from_claims(
        claims(**{"cognito:groups": ["leverancier"], "custom:gemeente": None, "custom:leverancier": "vitens"})
    )
    assert (identity.role, identity.leverancier, identity.gemeente) == (Role.LEVERANCIER, "vitens", None)


def test_operator_has_no_tenant():
    identity = identity_from_claims(claims(**{"cognito:groups": ["operator"], "custom:gemeente": None}))
    assert (identity.role, identity.gemeente, identity.leverancier) == (Role.OPERATOR, None, None)


def test_identity_is_frozen():
    identity = identity_from_claims(claims())
    with pytest.raises(ValidationError):
        identity.gemeente = "GM0268"


@pytest.mark.parametrize(
    ("groups", "code"),
    [
        (None, "role_missing"),
        ([], "role_missing"),
        (["coordinator", "operator"], "role_ambiguous"),
        (["coordinator", "coordinator"], "role_ambiguous"),
        (["admin"], "role_unknown"),
        (["Coordinator"], "role_unknown"),
        (["coordinator "], "role_unknown"),
        (["us-east-1_abc_Google"], "role_unknown"),
    ],
)
def test_role_needs_exactly_one_known_group(groups, code):
    forbidden(code, **{"cognito:groups": groups})


@pytest.mark.parametrize("groups", ["coordinator", [["coordinator"]], [1], {"coordinator": True}])
def test_groups_that_are_not_a_list_of_names_are_an_invalid_token(groups):
    with pytest.raises(Unauthorized) as caught:
        identity_from_claims(claims(**{"cognito:groups": groups}))
    assert caught.value.code == "token_invalid"


@pytest.mark.parametrize(
    "gemeente",
    [
        "gm0202",
        "GM0202 ",
        " GM0202",
        "GM 0202",
        "GM020",
        "GM02020",
        "GM0202\n",
        "GM٠٢٠٢",
        "GM０２０２",
        "",
        "*",
        "GM0202,GM0268",
    ],
)
def test_gemeente_must_be_a_cbs_code_as_it_stands(gemeente):
    forbidden("tenant_invalid", **{"custom:gemeente": gemeente})


def test_gemeente_that_is_not_text_is_an_invalid_token():
    with pytest.raises(Unauthorized) as caught:
        identity_from_claims(claims(**{"custom:gemeente": ["GM0202"]}))
    assert caught.value.code == "token_invalid"


def test_gemeente_role_without_gemeente_is_refused():
    forbidden("tenant_missing", **{"custom:gemeente": None})


def test_gemeente_in_the_leverancier_attribute_does_not_make_a_gemeente_user():
    forbidden("tenant_unexpected", **{"custom:gemeente": None, "custom:leverancier": "GM0202"})


def test_gemeente_user_with_a_leverancier_as_well_is_refused():
    forbidden("tenant_unexpected", **{"custom:leverancier": "vitens"})


def test_leverancier_id_in_the_gemeente_attribute_is_refused():
    forbidden("tenant_unexpected", **{"cognito:groups": ["leverancier"], "custom:gemeente": "vitens"})


def test_leverancier_with_a_gemeente_as_well_is_refused():
    forbidden("tenant_unexpected", **{"cognito:groups": ["leverancier"], "custom:leverancier": "vitens"})


@pytest.mark.parametrize("leverancier", ["Vitens", "v", "vitens ", "vi_tens", "a" * 41, "vitens/../x", ""])
def test_leverancier_id_must_be_valid_as_it_stands(leverancier):
    forbidden(
        "tenant_invalid",
        **{"cognito:groups": ["leverancier"], "custom:gemeente": None, "custom:leverancier": leverancier},
    )


def test_leverancier_without_id_is_refused():
    forbidden("tenant_missing", **{"cognito:groups": ["leverancier"], "custom:gemeente": None})


@pytest.mark.parametrize("tenant", [{"custom:gemeente": "GM0202"}, {"custom:leverancier": "vitens"}])
def test_operator_with_a_tenant_is_refused(tenant):
    forbidden("tenant_unexpected", **{"cognito:groups": ["operator"], "custom:gemeente": None, **tenant})


def test_wijkteam_member_needs_a_valid_team():
    forbidden("team_missing", **{"cognito:groups": ["wijkteam"]})
    forbidden("team_invalid", **{"cognito:groups": ["wijkteam"], "custom:team": "Noord"})


def test_team_on_another_role_is_refused():
    forbidden("team_unexpected", **{"custom:team": "noord"})


@pytest.mark.parametrize("sub", [None, "", 42])
def test_claims_without_a_subject_are_an_invalid_token(sub):
    with pytest.raises(Unauthorized) as caught:
        identity_from_claims(claims(sub=sub))
    assert caught.value.code == "token_invalid"
    assert status_of(caught.value) == 401


def test_an_identity_cannot_be_built_with_a_tenant_that_does_not_fit_its_role():
    with pytest.raises(ValidationError):
        Identity(subject="s", role=Role.COORDINATOR, leverancier="vitens")
    with pytest.raises(ValidationError):
        Identity(subject="s", role=Role.LEVERANCIER, leverancier="vitens", gemeente="GM0202")


@given(
    st.dictionaries(
        st.sampled_from(
            ["sub", "cognito:groups", "custom:gemeente", "custom:leverancier", "custom:team", "name", "email"]
        ),
        st.one_of(
            st.none(),
            st.text(max_size=12),
            st.lists(st.text(max_size=12), max_size=3),
            st.integers(),
            st.sampled_from(["GM0202", "vitens", "noord", "wijkteam", "coordinator"]),
            st.lists(st.sampled_from([r.value for r in Role]), max_size=2),
        ),
    )
)
def test_any_claims_give_a_consistent_identity_or_an_auth_error(raw):
    try:
        identity = identity_from_claims(raw)
    except (Unauthorized, Forbidden):
        return
    assert identity.role in Role
    if identity.role in (Role.COORDINATOR, Role.WIJKTEAM):
        assert identity.gemeente == raw["custom:gemeente"] and identity.leverancier is None
    elif identity.role is Role.LEVERANCIER:
        assert identity.leverancier == raw["custom:leverancier"] and identity.gemeente is None
    else:
        assert identity.gemeente is None and identity.leverancier is None
