"""Helpers for the API tests: committed rows, and the shape of a refusal."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.directory.models import Office
from tests.factories import make_office


def saved_office(session: Session, **overrides: Any) -> Office:
    """An office, committed: a refused request rolls back whatever the test has not."""
    office = make_office(session, **overrides)
    session.commit()
    return office


def assert_rejected(
    resp: Any, status: int, field: str, reason_part: str = "", *, error: str | None = None
) -> None:
    """A JSON error body with `status` (and `error` when given), naming `field` first, with a
    reason (holding `reason_part`)."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) >= {"error", "message", "detail"}
    assert error is None or body["error"] == error, body
    assert body["detail"][0]["field"] == field, body
    assert body["detail"][0]["reason"]
    assert reason_part in body["detail"][0]["reason"], body
