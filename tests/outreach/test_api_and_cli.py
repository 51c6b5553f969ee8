"""`GET /api/v1/outreach` and `homeward outreach status|send`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import unit_of_work
from app.outreach import cli as outreach_cli
from app.outreach.jobs import run_outreach
from tests.conftest import FrozenClock
from tests.factories import make_key
from tests.outreach.conftest import committing
from tests.outreach.smtp_server import SmtpServer
from tests.outreach.support import due_office, tirana_office


def test_the_api_lists_each_offices_outreach_state(
    db_session: Session,
    client: TestClient,
    outreach_settings: Settings,
    smtp: SmtpServer,
    frozen_clock: FrozenClock,
) -> None:
    sent = due_office(db_session)
    bounced = due_office(db_session, org_email="bounce@support.example")
    elsewhere = tirana_office(db_session)
    run_outreach(settings=outreach_settings, sessions=committing(db_session))
    officer = make_key(db_session, "officer")
    page = client.get("/api/v1/outreach", params={"country": "ng"}, headers=officer)
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["counts"] == {"sent": 1, "bounced": 1} and body["total"] == 2
    by_office = {item["office_id"]: item for item in body["items"]}
    assert set(by_office) == {sent.id, bounced.id}
    assert by_office[sent.id]["state"] == "sent" and by_office[sent.id]["sent_at"]
    assert by_office[bounced.id]["state"] == "bounced"
    assert "550" in by_office[bounced.id]["detail"]
    assert by_office[sent.id]["organization_name"] == "Example Support Centre (demo)"
    everywhere = client.get("/api/v1/outreach", headers=officer).json()
    assert everywhere["total"] == 3 and elsewhere.id in {
        i["office_id"] for i in everywhere["items"]
    }
    only_bounced = client.get("/api/v1/outreach?state=bounced", headers=officer).json()
    assert [i["office_id"] for i in only_bounced["items"]] == [bounced.id]


def test_the_api_refuses_partners_and_bad_filters(db_session: Session, client: TestClient) -> None:
    officer = make_key(db_session, "officer")
    ngo_org = due_office(db_session).organization_id
    partner = make_key(db_session, "ngo", organization_id=ngo_org)
    db_session.commit()  # a refused request rolls back what was not committed
    assert client.get("/api/v1/outreach", headers=partner).status_code == 403
    assert client.get("/api/v1/outreach").status_code == 401
    bad = client.get("/api/v1/outreach?country=XX", headers=officer)
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "country"
    wrong_state = client.get("/api/v1/outreach?state=lost", headers=officer)
    assert wrong_state.status_code == 422


def test_status_says_when_outreach_is_off(homeward) -> None:  # type: ignore[no-untyped-def]
    result = homeward("outreach", "status")
    assert result.exit_code == 0, result.output
    assert "outreach is off: set HOMEWARD_SMTP_HOST" in result.output
    refused = homeward("outreach", "send")
    assert refused.exit_code == 1 and "outreach is off" in refused.output


def test_send_now_with_a_dry_run_first(  # type: ignore[no-untyped-def]
    committed_engine: Engine,
    homeward,
    outreach_settings: Settings,
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outreach_cli, "get_settings", lambda: outreach_settings)
    with unit_of_work(committed_engine) as session:
        office = due_office(session)
        tirana_office(session)
    dry = homeward("outreach", "send", "--country", "NG", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would send request for office {office.id} to desk@support.example (en)" in dry.output
    assert "1 mails would be sent (dry run: nothing sent)" in dry.output
    assert smtp.received == []
    sent = homeward("outreach", "send", "--country", "NG")
    assert sent.exit_code == 0, sent.output
    assert "request #" in sent.output and "to desk@support.example: accepted" in sent.output
    assert "sent 1, reminded 0, bounced 0" in sent.output
    assert [m.envelope_to for m in smtp.received] == [["desk@support.example"]]
    status = homeward("outreach", "status", "--country", "NG")
    assert "outreach is on" in status.output and "sent" in status.output


def test_the_outreach_commands_run_on_their_own(  # type: ignore[no-untyped-def]
    committed_engine: Engine, smtp: SmtpServer
) -> None:
    """`python -m app.outreach` (what bench/outreach.py runs) in a process of its own."""
    import os
    import subprocess
    import sys

    from app.config import PROJECT_ROOT
    from tests.conftest import TEST_DATABASE_URL

    with unit_of_work(committed_engine) as session:
        due_office(session)
    env = {
        **os.environ,
        "DATABASE_URL": TEST_DATABASE_URL,
        "HOMEWARD_SMTP_HOST": "127.0.0.1",
        "HOMEWARD_SMTP_PORT": str(smtp.port),
        "HOMEWARD_SMTP_STARTTLS": "false",
    }
    env.pop("HOMEWARD_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "app.outreach", "send"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "sent 1, reminded 0" in done.stdout
    assert [m.envelope_to for m in smtp.received] == [["desk@support.example"]]
