from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from tests.outreach.smtp_server import SmtpServer


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 for one test."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def outreach_settings(smtp: SmtpServer) -> Settings:
    """Outreach on, pointed at the test's SMTP server (plain SMTP on 127.0.0.1)."""
    return get_settings().model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_starttls": False,
            "smtp_timeout_seconds": 5.0,
            "mail_from": "Homeward directory <directory@homeward.example>",
            "base_url": "http://testserver",
        }
    )


def committing(session: Session) -> Any:
    """The job's unit of work inside the test's transaction: each step commits (a
    SAVEPOINT), as the real job commits each step."""

    @contextmanager
    def unit() -> Iterator[Session]:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        session.commit()

    return unit
