"""Browser sessions end on the server: a cookie copied before signing out is worthless after."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import BrowserSession
from app.auth.service import create_key, revoke_key
from app.config import Settings
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
    # Ended in the database, so every worker process refuses it.
    ended = db_session.execute(
        select(BrowserSession.ended_at).where(BrowserSession.key_id == issued.key.id)
    ).scalar_one()
    assert ended is not None

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


def test_signing_out_one_browser_leaves_the_keys_other_browsers_signed_in(
    client: TestClient, db_session: Session
) -> None:
    issued = create_key(db_session, name="Reviewer Ana", role="reviewer")
    sign_in_secret(client, issued.secret)
    first = client.cookies[COOKIE_NAME]
    client.cookies.clear()
    sign_in_secret(client, issued.secret)  # a second browser, which signs out
    client.post("/signout", data={"csrf_token": csrf_token(client, "/review")})
    assert client.get("/review", follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, first)
    assert client.get("/review", follow_redirects=False).status_code == 200


def test_a_session_ends_when_its_key_is_revoked_or_it_expires(
    client: TestClient, db_session: Session, settings: Settings, frozen_clock: Any
) -> None:
    revoked = create_key(db_session, name="Officer Bo", role="officer")
    sign_in_secret(client, revoked.secret)
    assert revoke_key(db_session, key_id=revoked.key.id).revoked_at is not None  # type: ignore[arg-type]
    assert client.get("/officer", follow_redirects=False).status_code == 303
    client.cookies.clear()
    kept = create_key(db_session, name="Officer Cy", role="officer")
    sign_in_secret(client, kept.secret)
    frozen_clock.advance(hours=settings.web_session_hours - 1)
    assert client.get("/officer", follow_redirects=False).status_code == 200
    frozen_clock.advance(hours=1, seconds=1)
    assert client.get("/officer", follow_redirects=False).status_code == 303
