"""Sign a key in through the real sign-in form with a TestClient (no browser)."""

from __future__ import annotations

import re
from typing import Unpack

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import KeyFields, issue_key


def csrf_token(client: TestClient, path: str = "/signin") -> str:
    """The CSRF token the page at `path` carries in its forms."""
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None, page.text[:500]
    return token.group(1)


def sign_in_secret(client: TestClient, secret: str) -> str:
    """Sign in with `secret`; the session's CSRF token for the forms that follow."""
    response = client.post(
        "/signin", data={"key": secret, "csrf_token": csrf_token(client)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return csrf_token(client, response.headers["location"])


def sign_in(client: TestClient, session: Session, role: str, **fields: Unpack[KeyFields]) -> str:
    """Create a key with `role`, sign it in; the session's CSRF token."""
    return sign_in_secret(client, issue_key(session, role, **fields).secret)
