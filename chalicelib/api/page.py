"""The web page: `index.html`, its assets and its sign-in settings, served from the same origin as
the API with the security headers every page response carries.

The files live in `functions/api/static/`, shipped with the API function (the layer does not know
where the function's code is, so the app passes the folder in). Only files that exist in that
folder under a plain name with a known extension are served: a name is a dictionary key, never
a path, so no request can leave the folder.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.config import PageSettings
from chalicelib.domain.errors import NotFound

CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
}
INDEX = "index.html"
BASE_PLACEHOLDER = "/__VINDPLAATS_BASE__/"
ASSET_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:css|js|svg)$"
_ASSET_NAME = re.compile(ASSET_NAME_PATTERN, re.ASCII)
_BASE_PATH = re.compile(r"/(?:[A-Za-z0-9._~-]+/)*", re.ASCII)
_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d{1,5})?", re.ASCII)
_CLIENT_ID = re.compile(r"[A-Za-z0-9]{1,128}", re.ASCII)
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+", re.ASCII)


class AssetNotFound(NotFound):
    default_message = "Dit bestand bestaat niet."


class SignInConfig(BaseModel):
    """What the page needs to sign in with Cognito and to send a supplier's delivery
    (`GET /config.json`); no secrets: the app client has none."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str = Field(description="AWS region of the user pool")
    client_id: str = Field(description="the user pool's app client id")
    cognito_endpoint: str = Field(description="the origin the page sends Cognito's InitiateAuth to")
    upload_origin: str = Field(description="the origin of the upload bucket a presigned POST goes to")

    @classmethod
    def of(cls, settings: PageSettings) -> SignInConfig:
        """From the API's settings; refused when a value could not safely land in the CSP header
        or in JSON the page trusts."""
        region, client_id, origin = settings.region, settings.user_pool_client_id, settings.cognito_origin
        upload = settings.upload_origin
        if not (
            _REGION.fullmatch(region)
            and _CLIENT_ID.fullmatch(client_id)
            and _ORIGIN.fullmatch(origin)
            and _ORIGIN.fullmatch(upload)
        ):
            raise ValueError(
                "the page's settings (region, app client id, Cognito endpoint, upload bucket origin) are invalid"
            )
        return cls(region=region, client_id=client_id, cognito_endpoint=origin, upload_origin=upload)


@dataclass(frozen=True)
class PageResponse:
    body: str
    status: int
    headers: dict[str, str]


def content_security_policy(cognito_endpoint: str, upload_origin: str) -> str:
    """Scripts, styles and fonts from this origin only; no inline code, no eval, no plugins, no
    framing; fetches to this origin, to the Cognito endpoint the page signs in against and to the
    upload bucket a supplier's delivery is posted to (presigned; locally both are moto, named once).
    `img-src data:` is for the small icons the NL Design System CSS embeds."""
    connect = " ".join(dict.fromkeys(["'self'", cognito_endpoint, upload_origin]))
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            f"connect-src {connect}",
            "manifest-src 'self'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            # No DOM sink may take a string: the page builds its DOM with textContent only.
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


class Page:
    """The page's files from `folder`, read once and kept (a cold start reads them again)."""

    def __init__(self, folder: Path, config: SignInConfig) -> None:
        self._folder = folder
        self._config = config
        self._assets: dict[str, tuple[str, str]] | None = None  # name -> (text, etag)
        self._index: str | None = None  # index.html with the base placeholder, read once
        self._headers = {
            "Content-Security-Policy": content_security_policy(config.cognito_endpoint, config.upload_origin),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
            "Strict-Transport-Security": "max-age=31536000",
            # Revalidate every time (ETag): a deploy must never leave an old script in a browser.
            "Cache-Control": "no-cache",
        }

    def index(self, path: str, if_none_match: str | None = None) -> PageResponse:
        """The page, its `<base href>` the `path` it was asked for (API Gateway's stage prefix
        included), so its relative asset and API URLs work under any stage or base path."""
        base = path if path.endswith("/") else f"{path}/"
        if not _BASE_PATH.fullmatch(base):
            base = "/"
        if self._index is None:
            self._index = (self._folder / INDEX).read_text(encoding="utf-8")
        html = self._index.replace(BASE_PLACEHOLDER, base, 1)
        return self._respond(html, "text/html; charset=utf-8", _etag(html), if_none_match)

    def config(self, if_none_match: str | None = None) -> PageResponse:
        text = self._config.model_dump_json()
        return self._respond(text, "application/json", _etag(text), if_none_match)

    def asset(self, name: str, if_none_match: str | None = None) -> PageResponse:
        """A file of the folder by its plain name; `AssetNotFound` for any other name."""
        found = self._load().get(name)
        if found is None:
            raise AssetNotFound()
        text, etag = found
        return self._respond(text, CONTENT_TYPES[Path(name).suffix], etag, if_none_match)

    def _respond(self, text: str, content_type: str, etag: str, if_none_match: str | None) -> PageResponse:
        headers = {**self._headers, "Content-Type": content_type, "ETag": etag}
        if if_none_match is not None and etag in (tag.strip() for tag in if_none_match.split(",")):
            return PageResponse("", 304, headers)
        return PageResponse(text, 200, headers)

    def _load(self) -> dict[str, tuple[str, str]]:
        if self._assets is None:
            assets = {}
            for path in self._folder.iterdir():
                # No symlinks: whatever one points at is not a file of the page.
                if path.is_file() and not path.is_symlink() and _ASSET_NAME.fullmatch(path.name):
                    text = path.read_text(encoding="utf-8")
                    assets[path.name] = (text, _etag(text))
            self._assets = assets
        return self._assets


def _etag(text: str) -> str:
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
