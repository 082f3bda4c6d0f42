"""Real Cognito tokens from moto verified against moto's JWKS, and every forgery refused."""

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.utilities.utils import load_resource

from chalicelib.adapters.aws.jwks import TokenVerifier, bearer, fetch_url
from chalicelib.api.errors import status_of
from chalicelib.bootstrap import token_verifier
from chalicelib.config import SignIn
from chalicelib.domain.errors import Forbidden, Unauthorized
from chalicelib.domain.identity import Role
from infra.local.stack import LocalStack
from infra.local.users import DEMO_PASSWORD, SignInFailed, create_demo_users, sign_in
from tests.fakes import id_token, new_signing_key


@pytest.fixture(scope="module")
def demo_registry(registry):
    """The shared registry with vitens as its one supplier: the demo users of two gemeenten and one supplier."""
    return registry.model_copy(update={"leveranciers": (registry.leverancier("vitens"),), "convenanten": ()})


@pytest.fixture(scope="module")
def stack(demo_registry):
    with LocalStack() as local:
        create_demo_users(local, demo_registry)
        yield local


@pytest.fixture(scope="module")
def settings(stack):
    return SignIn(
        **{
            key[len("VINDPLAATS_") :].lower(): value
            for key, value in stack.env().items()
            if key in ("VINDPLAATS_USER_POOL_ID", "VINDPLAATS_USER_POOL_CLIENT_ID", "VINDPLAATS_JWKS_URL")
        }
    )


@pytest.fixture(scope="module")
def verifier(settings):
    return token_verifier(settings)


@pytest.fixture(scope="module")
def token(stack):
    return sign_in(stack, "coordinator-gm0202", DEMO_PASSWORD)


def _get(url):
    return fetch_url(url).decode()


def moto_key():
    """moto signs every pool's tokens with this key from its package: a stand-in for Cognito."""
    return jwt.PyJWK(load_resource("cognitoidp/resources/jwks-private.json")).key


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def resigned(token, **changes):
    """`token`'s claims with `changes` (None removes a claim), signed by the pool's own key."""
    claims = claims_of(token) | changes
    claims = {key: value for key, value in claims.items() if value is not None}
    return jwt.encode(claims, moto_key(), algorithm="RS256", headers={"kid": "dummy"})


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header, claims, signature=b""):
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return signing_input, f"{signing_input}.{b64(signature)}"


def rejected(verifier, token, code):
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(token)
    assert caught.value.code == code, caught.value.message
    assert status_of(caught.value) == 401


# ------------------------------------------------------------------ genuine tokens


def test_settings_derive_the_aws_issuer_while_the_jwks_is_local(settings, token):
    assert settings.issuer == f"https://cognito-idp.eu-west-1.amazonaws.com/{settings.user_pool_id}"
    assert settings.jwks.startswith("http://127.0.0.1:")
    assert claims_of(token)["iss"] == settings.issuer


def test_a_signed_in_coordinator_is_verified_with_gemeente_and_role(verifier, token):
    identity = verifier.identity(f"Bearer {token}")
    assert (identity.role, identity.gemeente, identity.leverancier) == (Role.COORDINATOR, "GM0202", None)
    assert identity.display_name == "Coördinator Arnhem"


@pytest.mark.parametrize(
    ("username", "role", "gemeente", "leverancier", "team"),
    [
        ("wijkteam-gm0268-zuid", Role.WIJKTEAM, "GM0268", None, "zuid"),
        ("leverancier-vitens", Role.LEVERANCIER, None, "vitens", None),
        ("operator", Role.OPERATOR, None, None, None),
    ],
)
def test_every_demo_user_signs_in_to_its_own_identity(stack, verifier, username, role, gemeente, leverancier, team):
    identity = verifier.identity("Bearer " + sign_in(stack, username))
    assert (identity.role, identity.gemeente, identity.leverancier, identity.team) == (
        role,
        gemeente,
        leverancier,
        team,
    )


def test_demo_users_are_deterministic_and_creating_them_twice_is_harmless(stack, demo_registry):
    users = create_demo_users(stack, demo_registry)
    assert [u.username for u in users] == [
        "coordinator-gm0202",
        "wijkteam-gm0202-noord",
        "wijkteam-gm0202-zuid",
        "coordinator-gm0268",
        "wijkteam-gm0268-noord",
        "wijkteam-gm0268-zuid",
        "leverancier-vitens",
        "operator",
    ]
    groups = stack.client("cognito-idp").admin_list_groups_for_user(
        UserPoolId=stack.ref("UserPool"), Username="coordinator-gm0202"
    )["Groups"]
    assert [g["GroupName"] for g in groups] == ["coordinator"]


def test_a_wrong_password_does_not_sign_in(stack):
    with pytest.raises(SignInFailed):
        sign_in(stack, "coordinator-gm0202", "Niet-het-wachtwoord-1!")


def test_a_user_in_two_groups_gets_a_valid_token_but_no_identity(stack, verifier):
    cognito = stack.client("cognito-idp")
    pool = stack.ref("UserPool")
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="dubbel",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:gemeente", "Value": "GM0202"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool, Username="dubbel", Password=DEMO_PASSWORD, Permanent=True)
    for group in ("coordinator", "operator"):
        cognito.admin_add_user_to_group(UserPoolId=pool, Username="dubbel", GroupName=group)
    token = sign_in(stack, "dubbel")
    assert verifier.verify(token)["sub"]
    with pytest.raises(Forbidden) as caught:
        verifier.identity(f"Bearer {token}")
    assert caught.value.code == "role_ambiguous"


# ------------------------------------------------------------------ the forgery matrix


def test_alg_none_is_refused(verifier, token):
    _, forged = compact({"alg": "none", "typ": "JWT", "kid": "dummy"}, claims_of(token))
    rejected(verifier, forged, "token_invalid")
    rejected(verifier, forged[: forged.rindex(".")], "token_invalid")


def test_hs256_signed_with_the_public_key_as_secret_is_refused(verifier, token, settings):
    jwk = json.loads(_get(settings.jwks))["keys"][0]
    pem = jwt.PyJWK(jwk).key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (pem, pem.strip(), json.dumps(jwk).encode()):
        signing_input, _ = compact({"alg": "HS256", "typ": "JWT", "kid": "dummy"}, claims_of(token))
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        rejected(verifier, f"{signing_input}.{b64(signature)}", "token_invalid")


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(verifier, token):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims_of(token), other, algorithm="RS256", headers={"kid": "dummy"})
    rejected(verifier, forged, "token_invalid")


def test_an_expired_token_is_refused(verifier, token):
    now = int(time.time())
    rejected(verifier, resigned(token, iat=now - 7200, auth_time=now - 7200, exp=now - 3600), "token_expired")


def test_a_token_not_yet_valid_is_refused(verifier, token):
    rejected(verifier, resigned(token, nbf=int(time.time()) + 3600), "token_expired")


def test_a_token_for_another_app_client_is_refused(stack, verifier):
    cognito = stack.client("cognito-idp")
    other = cognito.create_user_pool_client(
        UserPoolId=stack.ref("UserPool"), ClientName="ander", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    real = sign_in(stack, "coordinator-gm0202", client_id=other)
    rejected(verifier, real, "token_wrong_audience")


def test_a_token_with_another_audience_is_refused(verifier, token):
    rejected(verifier, resigned(token, aud="someone-else"), "token_wrong_audience")
    rejected(verifier, resigned(token, aud=[claims_of(token)["aud"], "someone-else"]), "token_wrong_audience")


def test_a_token_of_another_pool_is_refused(stack, verifier, token):
    # moto signs every pool's tokens with one key: only `iss` tells the pools apart.
    cognito = stack.client("cognito-idp")
    pool = cognito.create_user_pool(PoolName="ander")["UserPool"]["Id"]
    forged = resigned(token, iss=f"https://cognito-idp.eu-west-1.amazonaws.com/{pool}")
    rejected(verifier, forged, "token_wrong_issuer")
    rejected(verifier, resigned(token, iss=None), "token_invalid")


def test_an_access_token_is_refused(stack, verifier):
    result = stack.client("cognito-idp").initiate_auth(
        ClientId=stack.ref("UserPoolClient"),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "coordinator-gm0202", "PASSWORD": DEMO_PASSWORD},
    )["AuthenticationResult"]
    rejected(verifier, result["AccessToken"], "token_wrong_use")


def test_a_token_use_other_than_id_is_refused(verifier, token):
    rejected(verifier, resigned(token, token_use="access"), "token_wrong_use")
    rejected(verifier, resigned(token, token_use=None), "token_invalid")


def test_a_tampered_payload_is_refused(verifier, token):
    header, _, signature = token.split(".")
    claims = claims_of(token) | {"custom:gemeente": "GM0268"}
    payload = b64(json.dumps(claims).encode())
    rejected(verifier, f"{header}.{payload}.{signature}", "token_invalid")


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "token_missing"),
        ("", "token_missing"),
        ("   ", "token_missing"),
        ("Bearer", "token_invalid"),
        ("Bearer ", "token_invalid"),
    ],
)
def test_a_missing_token_is_refused(verifier, header, code):
    with pytest.raises(Unauthorized) as caught:
        verifier.identity(header)
    assert caught.value.code == code
    rejected(verifier, None, "token_missing")
    rejected(verifier, "", "token_missing")


@pytest.mark.parametrize(
    "garbage",
    [
        "garbage",
        "a.b.c",
        "...",
        "eyJhbGciOiJSUzI1NiJ9",
        "eyJ9.eyJ9.eyJ9",
        "x" * 10_000,
        "eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vcGUifQ.e30.AAAA",  # RS256 with an unknown kid
    ],
)
def test_garbage_is_refused(verifier, garbage):
    rejected(verifier, garbage, "token_invalid")


def test_a_token_without_a_subject_is_refused(verifier, token):
    rejected(verifier, resigned(token, sub=None), "token_invalid")


# ------------------------------------------------------------------ the header and the key cache


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc.def.ghi", "abc.def.ghi"),
        ("  Bearer   abc.def.ghi  ", "abc.def.ghi"),
    ],
)
def test_bearer_takes_the_token_from_the_header(header, expected):
    assert bearer(header) == expected


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "abc.def.ghi", "Bearer a b", "Bearer\ta.b.c", "Token a.b.c"])
def test_bearer_refuses_another_scheme(header):
    with pytest.raises(Unauthorized) as caught:
        bearer(header)
    assert caught.value.code == "token_invalid"


def test_an_unknown_kid_refetches_the_key_set_once():
    first, first_jwk = new_signing_key("one")
    second, second_jwk = new_signing_key("two")
    served = [{"keys": [first_jwk]}]
    fetched = []

    def fetch(url):
        fetched.append(url)
        return served[0]

    clock = [1000.0]
    verifier = TokenVerifier("https://jwks", "https://issuer", "client", fetch=fetch, clock=lambda: clock[0])
    assert verifier.verify(id_token(first, "one"))["sub"] == "s"
    assert verifier.verify(id_token(first, "one"))["sub"] == "s"
    assert len(fetched) == 1
    served[0] = {"keys": [first_jwk, second_jwk]}  # the pool rotated its keys
    clock[0] += 61
    assert verifier.verify(id_token(second, "two"))["sub"] == "s"
    assert len(fetched) == 2
    # Random kids do not turn every request into a fetch.
    for _ in range(5):
        rejected(verifier, id_token(second, "three"), "token_invalid")
    assert len(fetched) == 2


def test_the_key_set_is_refetched_when_the_cache_expires():
    key, jwk = new_signing_key("one")
    fetched = []
    clock = [0.0]
    verifier = TokenVerifier(
        "https://jwks",
        "https://issuer",
        "client",
        cache_seconds=3600,
        fetch=lambda url: fetched.append(url) or {"keys": [jwk]},
        clock=lambda: clock[0],
        background=lambda job: job(),
    )
    verifier.verify(id_token(key, "one"))
    clock[0] += 3601
    verifier.verify(id_token(key, "one"))
    assert len(fetched) == 2


def test_keys_that_are_not_rs256_signing_keys_are_ignored():
    key, jwk = new_signing_key("one")
    for other in ({"alg": "RS512"}, {"use": "enc"}):
        served = {"keys": [jwk | other]}
        verifier = TokenVerifier("https://jwks", "https://issuer", "client", fetch=lambda url, served=served: served)
        rejected(verifier, id_token(key, "one"), "token_invalid")


def test_leeway_accepts_a_token_just_expired():
    key, jwk = new_signing_key("one")
    token = id_token(key, "one", exp=int(time.time()) - 5)
    strict = TokenVerifier("https://jwks", "https://issuer", "client", fetch=lambda url: {"keys": [jwk]})
    lenient = TokenVerifier("https://jwks", "https://issuer", "client", leeway=30, fetch=lambda url: {"keys": [jwk]})
    rejected(strict, token, "token_expired")
    assert lenient.verify(token)["sub"] == "s"


def test_an_unreachable_key_set_is_a_server_error_not_a_401():
    def fetch(url):
        raise OSError("connection refused")

    key, _ = new_signing_key("one")
    verifier = TokenVerifier("https://jwks", "https://issuer", "client", fetch=fetch)
    with pytest.raises(RuntimeError):
        verifier.verify(id_token(key, "one"))


def test_auth_settings_refuse_a_pool_id_that_is_not_one(monkeypatch):
    with pytest.raises(ValueError, match="not a Cognito user pool id"):
        SignIn(user_pool_id="../evil", user_pool_client_id="c")
    settings = SignIn(user_pool_id="eu-central-1_AbC123", user_pool_client_id="c")
    assert settings.jwks == "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbC123/.well-known/jwks.json"
