from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.directory.models import Office
from app.outreach.jobs import run_outreach
from app.verification import jobs as verification_jobs
from tests.conftest import FrozenClock
from tests.outreach.smtp_server import SmtpServer
from tests.outreach.support import due_office


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


class Mailed:
    """Offices due for verification, sent their update link by the real jobs (tasks opened,
    outreach run, each step committed) through the test's SMTP server."""

    def __init__(
        self, session: Session, settings: Settings, smtp: SmtpServer, clock: FrozenClock
    ) -> None:
        self.session, self.settings, self.smtp, self.clock = session, settings, smtp, clock

    def link(self, office: Office) -> str:
        """Run the jobs and return the link mailed to `office`."""
        verification_jobs.open_due_tasks(settings=self.settings, sessions=committing(self.session))
        run_outreach(settings=self.settings, sessions=committing(self.session))
        return self.sent_to(office)

    def sent_to(self, office: Office) -> str:
        """The link already mailed to `office`."""
        (mail,) = [m for m in self.smtp.received if m.link.startswith(f"{office.id}.")]
        return mail.link

    def office(self, **overrides: Any) -> tuple[Office, str]:
        """A new due office (`due_office` overrides) and the link mailed to it."""
        office = due_office(self.session, **overrides)
        return office, self.link(office)

    def link_and_other(self) -> tuple[str, Office]:
        """An office and another organisation's, both mailed: the first one's link, and the
        other office."""
        office = due_office(self.session)
        other = due_office(self.session, org_email="other@support.example")
        return self.link(office), other


@pytest.fixture
def mailed(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> Mailed:
    return Mailed(db_session, outreach_settings, smtp, frozen_clock)
