"""Browser sessions end on the server: a cookie copied before signing out is worthless after."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.auth.models import ApiKey
from app.auth.service import create_key
from app.web.session import COOKIE_NAME
from tests.web.signed_in import csrf_token, sign_in_secret


def test_a_cookie_copied_before_signing_out_is_refused_after_it(
    client: TestClient, db_session: Session
) -> None:
    issued = create_key(db_session, name="Desk Officer Ada", role="officer")
    sign_in_secret(client, issued.secret)
    assert client.get("/officer", follow_redirects=False).status_code == 200
    copied = client.cookies[COOKIE_NAME]

    signed_out = client.post(
        "/signout", data={"csrf_token": csrf_token(client, "/officer")}, follow_redirects=False
    )
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/signin"
    db_session.refresh(issued.key)
    assert issued.key.session_generation == 1  # held in the database, for every worker

    # The copy, replayed as an attacker would, is a signed-out browser.
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, copied)
    replayed = client.get("/officer", follow_redirects=False)
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/signin")

    # Signing in again works, and the old copy stays worthless.
    client.cookies.clear()
    sign_in_secret(client, issued.secret)
    assert client.get("/officer", follow_redirects=False).status_code == 200
    client.cookies.set(COOKIE_NAME, copied)
    assert client.get("/officer", follow_redirects=False).status_code == 303


def test_signing_out_ends_the_keys_other_browser_sessions_too(
    client: TestClient, db_session: Session
) -> None:
    issued = create_key(db_session, name="Reviewer Ana", role="reviewer")
    sign_in_secret(client, issued.secret)
    first = client.cookies[COOKIE_NAME]
    client.cookies.clear()
    sign_in_secret(client, issued.secret)  # a second browser
    client.post("/signout", data={"csrf_token": csrf_token(client, "/review")})
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, first)
    assert client.get("/review", follow_redirects=False).status_code == 303
    key = db_session.get(ApiKey, issued.key.id)
    assert key is not None and key.revoked_at is None  # the key itself still works
