"""The web page's routes through the Chalice app, and `chalicelib.api.page` on its own: the
files it serves, the headers they carry, and the names it refuses."""

import json
from pathlib import Path

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.api.page import AssetNotFound, Page, SignInConfig, content_security_policy
from chalicelib.config import SignIn
from tests.fakes import chalice_api

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "functions" / "api" / "static"
api = chalice_api()

ENVIRON = {
    "AWS_REGION": "eu-west-1",
    "VINDPLAATS_USER_POOL_ID": "eu-west-1_AbCdEf123",
    "VINDPLAATS_USER_POOL_CLIENT_ID": "1example23456789abcdefghij",
}


@pytest.fixture
def client(monkeypatch):
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    for name, value in ENVIRON.items():
        monkeypatch.setenv(name, value)
    api._page.cache_clear()
    bootstrap.reset()
    with Client(api.app) as test_client:
        yield test_client
    api._page.cache_clear()
    bootstrap.reset()


def sign_in(environ, monkeypatch) -> SignInConfig:
    """The page's sign-in settings as the API reads them from `environ`."""
    for name in ("AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", *ENVIRON):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return SignInConfig.of(SignIn())


@pytest.fixture
def page(monkeypatch):
    return Page(STATIC, sign_in(ENVIRON, monkeypatch))


def test_the_page_is_html_in_dutch_with_a_strict_policy(client):
    response = client.http.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe" not in policy
    assert "connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com;" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    body = response.body.decode()
    assert '<html lang="nl"' in body and "__VINDPLAATS_BASE__" not in body


def test_the_sign_in_settings_name_the_pool_client_and_regional_endpoint(client):
    response = client.http.get("/config.json")
    assert response.status_code == 200
    assert json.loads(response.body) == {
        "region": "eu-west-1",
        "client_id": ENVIRON["VINDPLAATS_USER_POOL_CLIENT_ID"],
        "cognito_endpoint": "https://cognito-idp.eu-west-1.amazonaws.com",
    }


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("utrecht-component-library.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml; charset=utf-8"),
    ],
)
def test_assets_come_with_their_type_and_a_validator(client, name, content_type):
    response = client.http.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.body.decode() == (STATIC / name).read_text(encoding="utf-8")
    again = client.http.get(f"/static/{name}", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and not again.body


@pytest.mark.parametrize(
    "name",
    [
        "nope.js",
        "index.html",
        "app.py",
        "..%2Fapp.py",
        "%2e%2e%2fapp.py",
        ".app.js",
        "APP.JS",
        "app.js%00.css",
        "README.md",
    ],
)
def test_anything_but_a_file_of_the_folder_is_a_404_envelope(client, name):
    response = client.http.get(f"/static/{name}")
    assert response.status_code == 404
    assert json.loads(response.body) == {"error": {"code": "not_found", "message": "Dit bestand bestaat niet."}}


def test_a_name_never_becomes_a_path(tmp_path, monkeypatch):
    outside = tmp_path / "secret.txt"
    outside.write_text("geheim")
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "index.html").write_text('<base href="/__VINDPLAATS_BASE__/">')
    (folder / "link.js").symlink_to(outside)
    (folder / "sub").mkdir()
    (folder / "sub" / "deep.js").write_text("deep")
    served = Page(folder, sign_in(ENVIRON, monkeypatch))
    for name in ("link.js", "sub/deep.js", "../secret.txt", "deep.js"):
        with pytest.raises(AssetNotFound):
            served.asset(name)


@pytest.mark.parametrize(
    ("path", "base"),
    [
        ("/", "/"),
        ("/prod", "/prod/"),
        ("/prod/", "/prod/"),
        ("/a/b", "/a/b/"),
        ('/x"><script>', "/"),
        ("//evil.example", "/"),
    ],
)
def test_the_base_is_the_path_the_page_was_asked_for_or_the_root(page, path, base):
    assert f'<base href="{base}">' in page.index(path).body


@pytest.mark.parametrize(
    "environ",
    [
        ENVIRON | {"VINDPLAATS_USER_POOL_CLIENT_ID": ""},
        ENVIRON | {"AWS_ENDPOINT_URL": "https://x.example; script-src *"},
        ENVIRON | {"AWS_ENDPOINT_URL": "javascript:alert(1)"},
        {"VINDPLAATS_USER_POOL_CLIENT_ID": "abc"},
    ],
)
def test_odd_sign_in_settings_are_refused_rather_than_put_in_a_header(environ, monkeypatch):
    # Without a user pool id the settings themselves are invalid (pydantic's ValueError).
    with pytest.raises(
        ValueError, match="sign-in settings" if "VINDPLAATS_USER_POOL_ID" in environ else "user_pool_id"
    ):
        sign_in(environ, monkeypatch)


def test_locally_the_page_signs_in_against_the_sdk_endpoint(monkeypatch):
    config = sign_in(ENVIRON | {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, monkeypatch)
    assert config.cognito_endpoint == "http://127.0.0.1:4566"
    assert "connect-src 'self' http://127.0.0.1:4566;" in content_security_policy(config.cognito_endpoint)
