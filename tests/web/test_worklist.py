"""The call worklist pages rendered by the app in-process (no browser): the count and pager,
and what an officer's outcomes do."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.lookup import get_office
from app.directory.printable import is_printable
from app.kit.clock import utcnow
from app.review.models import Submission
from app.verification import jobs
from app.verification.models import VerificationTask
from app.web.reviewer import verify
from tests.factories import make_office
from tests.web.signed_in import sign_in


def _sign_in(client: TestClient, session: Session) -> None:
    sign_in(client, session, "reviewer", name="worklist reviewer")


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

    monkeypatch.setattr(verify, "PER_PAGE", 1)
    monkeypatch.setattr(verify, "WORKLIST_COUNT_LIMIT", 2)
    first = client.get("/verify")
    assert "At least 2 open tasks." in first.text
    assert first.text.count('class="contact"') == 1
    assert 'rel="next"' in first.text
    # The last page knows the exact total from its own rows, without counting.
    last = client.get("/verify?page=3")
    assert "3 open tasks." in last.text and "At least" not in last.text
    assert 'rel="next"' not in last.text and 'rel="prev"' in last.text


def _task_for(session: Session, settings: Settings) -> tuple[int, int]:
    office = make_office(session, verified_at=utcnow() - timedelta(days=170))
    jobs.open_due_tasks(settings=settings, sessions=lambda: nullcontext(session))
    task_id = session.execute(
        select(VerificationTask.id).where(VerificationTask.office_id == office.id)
    ).scalar_one()
    assert office.id is not None
    return office.id, task_id


def test_an_officers_changed_details_page_queues_them_for_review(
    client: TestClient, db_session: Session, settings: Settings
) -> None:
    office_id, task_id = _task_for(db_session, settings)
    csrf = sign_in(client, db_session, "officer", name="Desk Officer Ada")
    claimed = client.post(f"/verify/{task_id}/claim", data={"csrf_token": csrf})
    assert claimed.status_code == 200, claimed.text
    assert "Send the changes for review" in client.get(f"/verify/{task_id}").text
    office = get_office(db_session, office_id)
    form = {f: getattr(office, f) or "" for f in verify.CHANGE_FIELDS}
    form.update({f"phone-{p.id}": p.number for p in office.phones})
    form |= {"website": "https://attacker.example/", "csrf_token": csrf, "method": "phone_call"}
    sent = client.post(f"/verify/{task_id}/changed", data=form, follow_redirects=False)
    assert sent.status_code == 303, sent.text
    assert "Sent for review" in unquote(sent.headers["location"])
    db_session.expire_all()
    assert get_office(db_session, office_id).website is None
    sub = db_session.execute(
        select(Submission).where(Submission.office_id == office_id)
    ).scalar_one()
    assert sub.status == "pending"
    assert sub.changes == {"office.website": "https://attacker.example/"}
    assert sub.source == f"call outcome, task #{task_id}, by Desk Officer Ada"


def test_an_officers_closed_click_takes_the_office_off_the_sheets_and_asks_review(
    client: TestClient, db_session: Session, settings: Settings
) -> None:
    office_id, task_id = _task_for(db_session, settings)
    csrf = sign_in(client, db_session, "officer")
    sent = client.post(
        f"/verify/{task_id}/outcome",
        data={"outcome": "closed", "method": "phone_call", "csrf_token": csrf, "confirmed": "1"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    db_session.expire_all()
    office = get_office(db_session, office_id)
    assert office.status == "active" and office.stale_flagged_at is not None
    assert not is_printable(db_session, office_id=office_id, now=utcnow(), settings=settings)
    sub = db_session.execute(
        select(Submission).where(Submission.office_id == office_id)
    ).scalar_one()
    assert (sub.kind, sub.closure_reason, sub.status) == ("closure", "closed", "pending")


@pytest.mark.parametrize(
    ("outcome", "asks"),
    [("wrong_number", "as a wrong number?"), ("disconnected", "as disconnected?"), ("closed", "")],
)
def test_a_drastic_outcome_asks_for_confirmation_before_anything_changes(
    client: TestClient, db_session: Session, settings: Settings, outcome: str, asks: str
) -> None:
    office_id, task_id = _task_for(db_session, settings)
    office = get_office(db_session, office_id)
    csrf = sign_in(client, db_session, "reviewer", name="Reviewer Confirms")
    client.post(f"/verify/{task_id}/claim", data={"csrf_token": csrf})
    phone = office.phones[0]
    form = {"outcome": outcome, "method": "phone_call", "phone_id": str(phone.id)}
    asked = client.post(f"/verify/{task_id}/outcome", data=form | {"csrf_token": csrf})
    assert asked.status_code == 200
    if outcome == "closed":
        assert f"Mark {office.organization.name}" in asked.text and "as closed?" in asked.text
    else:
        assert f"Mark {verify.labels.phone_number(phone.number)} {asks}" in asked.text
    assert "This takes the office off every sheet now." in asked.text
    assert 'name="confirmed" value="1"' in asked.text and ">Cancel</a>" in asked.text
    db_session.expire_all()
    assert is_printable(db_session, office_id=office_id, now=utcnow(), settings=settings)

    done = client.post(
        f"/verify/{task_id}/outcome",
        data=form | {"csrf_token": csrf, "confirmed": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    db_session.expire_all()
    assert not is_printable(db_session, office_id=office_id, now=utcnow(), settings=settings)
