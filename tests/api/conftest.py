"""Keys for the API tests, committed: a failed request rolls back whatever the test has not."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.factories import make_key


def _committed_key(session: Session, role: str) -> dict[str, str]:
    headers = make_key(session, role)
    session.commit()
    return headers


@pytest.fixture
def officer(db_session: Session) -> dict[str, str]:
    return _committed_key(db_session, "officer")


@pytest.fixture
def admin(db_session: Session) -> dict[str, str]:
    return _committed_key(db_session, "admin")
