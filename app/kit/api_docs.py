"""The API docs (/docs, /redoc) with Swagger UI and ReDoc served by the app itself.

The assets come from the fastapi-offline package (no CDN: the docs work offline and their
Content-Security-Policy names only this origin). The one inline script (Swagger UI's start)
is allowed by its hash, computed from the page itself.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_URL = "/docs/assets"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _script_hashes(html: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    ]


def docs_policy(html: str) -> str:
    """Swagger UI and ReDoc from this origin: their scripts, the page's own inline script by
    hash, inline styles (both set them from script) and ReDoc's worker."""
    scripts = " ".join(["'self'", *_script_hashes(html)])
    return (
        f"default-src 'none'; script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; worker-src 'self' blob:; "
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )


def _page(html: str) -> HTMLResponse:
    return HTMLResponse(html, headers={"Content-Security-Policy": docs_policy(html)})


def install_docs(app: FastAPI, *, docs_url: str = "/docs", redoc_url: str = "/redoc") -> None:
    """Serve /docs and /redoc (create the app with docs_url=None, redoc_url=None)."""
    openapi_url = app.openapi_url or "/openapi.json"
    static = files("fastapi_offline") / "static"
    app.mount(ASSETS_URL, StaticFiles(directory=str(static)), name="docs-assets")
    swagger = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{app.title} - Swagger UI",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        oauth2_redirect_url=None,  # keys are bearer tokens: no OAuth2 flow to return to
    ).body
    redoc = get_redoc_html(
        openapi_url=openapi_url,
        title=f"{app.title} - ReDoc",
        redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
        redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
        with_google_fonts=False,
    ).body
    swagger_html, redoc_html = bytes(swagger).decode(), bytes(redoc).decode()

    @app.get(docs_url, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        """The API described by Swagger UI (no key needed: it holds no data)."""
        return _page(swagger_html)

    @app.get(redoc_url, include_in_schema=False)
    async def redoc_page() -> HTMLResponse:
        """The API described by ReDoc (no key needed: it holds no data)."""
        return _page(redoc_html)
