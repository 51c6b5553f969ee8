"""The call worklist page's count and pager, rendered by the app in-process (no browser)."""

from __future__ import annotations

import re
from contextlib import nullcontext
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.service import create_key
from app.config import Settings
from app.kit.clock import utcnow
from app.verification import jobs
from app.web import reviewer
from tests.factories import make_office


def _sign_in(client: TestClient, session: Session) -> None:
    secret = create_key(session, name="worklist reviewer", role="reviewer").secret
    form = client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    response = client.post(
        "/signin", data={"key": secret, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303


def test_worklist_counts_exactly_below_the_limit_and_says_at_least_above_it(
    client: TestClient, db_session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = utcnow()
    for days in (170, 180, 200):
        make_office(db_session, verified_at=now - timedelta(days=days))
    jobs.open_due_tasks(settings=settings, sessions=lambda: nullcontext(db_session))
    _sign_in(client, db_session)

    page = client.get("/verify")
    assert page.status_code == 200
    assert "3 open tasks." in page.text
    assert 'rel="next"' not in page.text

    monkeypatch.setattr(reviewer, "PER_PAGE", 1)
    monkeypatch.setattr(reviewer, "WORKLIST_COUNT_LIMIT", 2)
    first = client.get("/verify")
    assert "At least 2 open tasks." in first.text
    assert first.text.count('class="contact"') == 1
    assert 'rel="next"' in first.text
    # The last page knows the exact total from its own rows, without counting.
    last = client.get("/verify?page=3")
    assert "3 open tasks." in last.text and "At least" not in last.text
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text
