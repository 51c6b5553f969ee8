"""The emailed link in a real browser: a mail from a real SMTP server, its link opened in
Chromium against uvicorn, "all still correct" clicked, and the database checked."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import select

from app.config import get_settings
from app.db import make_engine, unit_of_work
from app.outreach import tokens
from app.outreach.jobs import run_outreach
from app.verification.models import VerificationEvent
from bench.local_server import free_port, local_server
from tests.conftest import migrate
from tests.factories import BR_PHONE
from tests.outreach.smtp_server import LINK, SmtpServer
from tests.outreach.support import due_office

pytestmark = pytest.mark.browser


def test_an_emailed_link_confirms_in_the_browser(
    browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A database and a server of its own: the server signs and checks links with its key.
    folder = Path(tempfile.mkdtemp(prefix="homeward-outreach-web-"))
    url = f"sqlite:///{folder / 'web.db'}"
    migrate(url)
    engine = make_engine(url)
    secret, port = secrets.token_urlsafe(32), free_port()
    base = f"http://127.0.0.1:{port}"
    smtp = SmtpServer().start()
    settings = get_settings().model_copy(
        update={
            "secret_key": secret,
            "base_url": base,
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp.port,
            "smtp_starttls": False,
        }
    )
    monkeypatch.setattr(tokens, "get_settings", lambda: settings)
    with unit_of_work(engine) as session:
        office = due_office(
            session,
            org_email="contato@apoio.example",
            country="BR",
            region=None,
            city="São Paulo",
            languages=["pt"],
            phones=[{"number": BR_PHONE}],
        )
    env = {"DATABASE_URL": url, "HOMEWARD_SECRET_KEY": secret, "HOMEWARD_VAR_DIR": str(folder)}
    try:
        with local_server(env, port=port, startup_seconds=120):
            summary = run_outreach(settings=settings, sessions=lambda: unit_of_work(engine))
            assert summary.sent == 1
            (mail,) = smtp.received
            (found,) = LINK.findall(mail.text)
            link = f"{base}/update/{found}"
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(15_000)
            opened = page.goto(link)
            assert opened is not None and opened.status == 200
            assert opened.headers["x-frame-options"] == "DENY"
            assert page.locator("html").get_attribute("lang") == "pt"
            assert page.locator("h1").inner_text() == "O seu registo continua correto?"
            assert "São Paulo" in page.locator("dl.facts").inner_text()
            page.get_by_role("button", name="Tudo continua correto").click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == "Obrigado"
            assert "ficou registado como correto" in page.locator("main").inner_text()
            again = page.goto(link)
            assert again is not None and again.status == 410
            assert page.locator("h1").inner_text() == "Este link já foi utilizado"
            context.close()
        with unit_of_work(engine) as session:
            (event,) = session.execute(
                select(VerificationEvent).where(
                    VerificationEvent.office_id == office.id,
                    VerificationEvent.method == "email_reply",
                )
            ).scalars()
            assert event.verified_by.startswith("Example Support Centre (demo)")
    finally:
        smtp.stop()
        engine.dispose()
