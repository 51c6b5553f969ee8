"""Every HTML answer carries the same security headers (one middleware): web pages, the
sheets the API and the web serve as HTML, the sheet preview, the API docs, error pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.kit.security_headers import DOCUMENT_POLICY, PAGE_POLICY
from tests.factories import make_key
from tests.sheets.directory import build_lagos_directory

SHEET = "/api/v1/sheets/NG"


def assert_secured(response: object, policy: str | None = None) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["content-type"].startswith("text/html")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert "unsafe-eval" not in csp and "http:" not in csp and "https:" not in csp
    if policy is not None:
        assert csp == policy


def test_api_served_sheets_and_the_preview_carry_the_document_policy(
    client: TestClient, db_session: Session
) -> None:
    build_lagos_directory(db_session)
    headers = make_key(db_session, "officer")
    db_session.commit()
    sheet = client.get(SHEET, params={"region": "NG-LA", "format": "html"}, headers=headers)
    assert sheet.status_code == 200, sheet.text
    assert_secured(sheet, DOCUMENT_POLICY)
    preview = client.get(f"{SHEET}/preview", params={"region": "NG-LA"}, headers=headers)
    assert preview.status_code == 200, preview.text
    assert_secured(preview, DOCUMENT_POLICY)
    # The document policy runs no script at all.
    assert "script-src" not in DOCUMENT_POLICY and "default-src 'none'" in DOCUMENT_POLICY


def test_web_pages_and_their_errors_carry_the_page_policy(client: TestClient) -> None:
    assert_secured(client.get("/signin"), PAGE_POLICY)
    missing = client.get("/officer/no-such-page")  # the web's own error page
    assert missing.status_code == 404
    assert_secured(missing, PAGE_POLICY)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_are_public_secured_and_served_from_this_origin(
    client: TestClient, path: str
) -> None:
    """No key: the docs describe the API and hold no data. Every asset they load comes from
    the app itself (no CDN), so they render offline and the policy names only 'self'."""
    page = client.get(path)
    assert page.status_code == 200
    assert_secured(page)
    csp = page.headers["content-security-policy"]
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assets = re.findall(r'(?:src|href|spec-url)="([^"]+)"', page.text)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        assert fetched.content, asset
    assert client.get("/openapi.json").status_code == 200


def test_json_answers_are_left_alone(client: TestClient) -> None:
    health = client.get("/health")
    assert "content-security-policy" not in health.headers


def test_the_web_pages_sheet_download_carries_the_document_policy(
    client: TestClient, db_session: Session
) -> None:
    build_lagos_directory(db_session)
    key = make_key(db_session, "officer")["Authorization"].removeprefix("Bearer ")
    db_session.commit()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    signed_in = client.post(
        "/signin", data={"csrf_token": token.group(1), "key": key}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    sheet = client.get(
        "/officer/sheet/download",
        params={"country": "NG", "region": "NG-LA", "lang": "en", "format": "html"},
    )
    assert sheet.status_code == 200, sheet.text
    assert_secured(sheet, DOCUMENT_POLICY)
