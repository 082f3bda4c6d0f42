"""The web page's routes through the Chalice app, and `chalicelib.api.page` on its own: the
files it serves, the headers they carry, and the names it refuses."""

import json
from pathlib import Path

import pytest
from chalice.test import Client

from chalicelib import bootstrap
from chalicelib.api.page import AssetNotFound, Page, SignInConfig, content_security_policy
from chalicelib.config import PageSettings
from tests.fakes import chalice_api

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "functions" / "api" / "static"
api = chalice_api()

ENVIRON = {
    "AWS_REGION": "eu-west-1",
    "VINDPLAATS_USER_POOL_ID": "eu-west-1_AbCdEf123",
    "VINDPLAATS_USER_POOL_CLIENT_ID": "1example23456789abcdefghij",
    "VINDPLAATS_UPLOAD_BUCKET": "vindplaats-uploads-123456789012",
}
ENDPOINTS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL_S3")
UPLOAD_ORIGIN = "https://vindplaats-uploads-123456789012.s3.amazonaws.com"


@pytest.fixture
def client(monkeypatch):
    for name in ENDPOINTS:
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
    """The page's settings as the API reads them from `environ`."""
    for name in ("AWS_REGION", *ENDPOINTS, *ENVIRON):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return SignInConfig.of(PageSettings())


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
    assert f"connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com {UPLOAD_ORIGIN};" in policy
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
        "upload_origin": UPLOAD_ORIGIN,
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
        ENVIRON | {"AWS_ENDPOINT_URL_S3": "https://x.example 'unsafe-inline'"},
        ENVIRON | {"VINDPLAATS_UPLOAD_BUCKET": "uploads; script-src *"},
        {"VINDPLAATS_USER_POOL_CLIENT_ID": "abc"},
    ],
)
def test_odd_sign_in_settings_are_refused_rather_than_put_in_a_header(environ, monkeypatch):
    # Without a user pool id the settings themselves are invalid (pydantic's ValueError).
    with pytest.raises(ValueError, match="page's settings" if "VINDPLAATS_USER_POOL_ID" in environ else "user_pool_id"):
        sign_in(environ, monkeypatch)


def test_locally_the_page_signs_in_and_uploads_against_the_sdk_endpoint_named_once(monkeypatch):
    config = sign_in(ENVIRON | {"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}, monkeypatch)
    assert config.cognito_endpoint == config.upload_origin == "http://127.0.0.1:4566"
    policy = content_security_policy(config.cognito_endpoint, config.upload_origin)
    assert "connect-src 'self' http://127.0.0.1:4566;" in policy


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_the_upload_bucket_widens_connect_src_and_nothing_else(monkeypatch):
    without = directives(content_security_policy("https://cognito-idp.eu-west-1.amazonaws.com", "'self'"))
    config = sign_in(ENVIRON, monkeypatch)
    policy = content_security_policy(config.cognito_endpoint, config.upload_origin)
    found = directives(policy)
    assert found["connect-src"] == f"'self' https://cognito-idp.eu-west-1.amazonaws.com {UPLOAD_ORIGIN}"
    assert {name: value for name, value in found.items() if name != "connect-src"} == {
        name: value for name, value in without.items() if name != "connect-src"
    }
    assert found["default-src"] == "'none'" and found["form-action"] == "'self'"
    assert "unsafe" not in policy and "*" not in policy


@pytest.mark.parametrize("endpoint", [None, "http://127.0.0.1:4566", "http://localhost:5000/"])
def test_the_upload_origin_is_where_boto3_presigns_the_post(monkeypatch, endpoint):
    """The origin the CSP allows is the one a presigned POST of the API names (boto3's own)."""
    import boto3
    from botocore.config import Config

    environ = ENVIRON | ({"AWS_ENDPOINT_URL": endpoint} if endpoint else {})
    config = sign_in(environ, monkeypatch)
    s3 = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1"
    ).client("s3", endpoint_url=endpoint, config=Config(signature_version="s3v4"))
    url = s3.generate_presigned_post(ENVIRON["VINDPLAATS_UPLOAD_BUCKET"], "incoming/x/y/z.csv")["url"]
    assert url.startswith(config.upload_origin + "/")
