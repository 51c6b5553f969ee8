"""Following the emailed link through the real app: confirm, correct, and every link that
must record nothing (expired, used, forged, altered, another office's, no CSRF token)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.directory.models import Office
from app.outreach.jobs import run_outreach
from app.outreach.models import OutreachRequest, RequestState
from app.outreach.tokens import Link, parse_link
from app.review import decisions
from app.review.models import Submission
from app.verification.models import VerificationEvent, VerificationTask
from app.web.ngo.correction import current_values as prefilled
from tests.outreach.conftest import Mailed, committing
from tests.outreach.support import csrf_of, due_office, requests_of
from tests.review.support import principal

SECURITY_HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options")


@contextmanager
def _records_nothing(session: Session) -> Iterator[None]:
    """The block adds no verification event and no submission."""
    before = _counts(session)
    yield
    assert _counts(session) == before


def _counts(session: Session) -> tuple[int, int]:
    events = session.execute(select(func.count()).select_from(VerificationEvent)).scalar_one()
    subs = session.execute(select(func.count()).select_from(Submission)).scalar_one()
    return events, subs


def test_all_still_correct_records_an_email_reply_and_closes_the_task(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    office, link = mailed.office(opening_hours="Mon-Fri 9-17")
    page = client.get(f"/update/{link}")
    assert page.status_code == 200
    for header in SECURITY_HEADERS:
        assert header in page.headers
    assert "set-cookie" not in page.headers  # no session
    assert "Example Support Centre (demo)" in page.text and "Mon-Fri 9-17" in page.text
    assert "All still correct" in page.text and "Something changed" in page.text
    done = client.post(f"/update/{link}/confirm", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "recorded as still correct" in done.text
    db_session.expire_all()
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.ANSWERED.value and req.answer == "confirmed"
    event = db_session.get(VerificationEvent, req.verification_event_id)
    assert event is not None and event.office_id == office.id
    assert event.method == "email_reply"
    assert event.verified_by == f"Example Support Centre (demo) (email update request #{req.id})"
    assert event.source == f"email update request #{req.id}"
    task = db_session.execute(
        select(VerificationTask).where(VerificationTask.office_id == office.id)
    ).scalar_one()
    assert task.state == "done"
    refreshed = db_session.get(Office, office.id)
    assert refreshed is not None and refreshed.verification_method == "email_reply"
    # Single use: the page and a second click say so and record nothing more.
    before = _counts(db_session)
    used = client.get(f"/update/{link}")
    assert used.status_code == 410 and "already been used" in used.text
    again = client.post(f"/update/{link}/confirm", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 410 and _counts(db_session) == before


def test_something_changed_goes_to_review_as_the_organisations_own(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    office, link = mailed.office()
    form = client.get(f"/update/{link}/change")
    assert form.status_code == 200 and "What has changed?" in form.text
    for header in SECURITY_HEADERS:
        assert header in form.headers
    (phone,) = office.phones
    # The form as pre-filled (the listing as it is now), with two values changed.
    data = prefilled(office) | {
        "csrf_token": csrf_of(form.text),
        f"phones.{phone.id}.number": "+2348031234599",
        "office.city": "Ikeja",
        "note": "new switchboard",
    }
    sent = client.post(f"/update/{link}/change", data=data)
    assert sent.status_code == 200, sent.text
    assert "received your changes" in sent.text
    db_session.expire_all()
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.ANSWERED.value and req.answer == "changed"
    sub = db_session.get(Submission, req.submission_id)
    assert sub is not None and sub.status == "pending" and sub.office_id == office.id
    assert sub.submitter_organization_id == office.organization_id
    assert sub.source == f"email update request #{req.id}"
    assert sub.submitter_name.startswith("Example Support Centre (demo) — ")
    assert sub.changes == {"office.city": "Ikeja", f"phones.{phone.id}.number": "+2348031234599"}
    # Nothing changed in the directory until a reviewer approves, as for a partner: then
    # the office is verified as an NGO correction.
    assert db_session.get(Office, office.id).city == "Lagos"  # type: ignore[union-attr]
    reviewer = principal(db_session, "reviewer")
    assert sub.id is not None
    decisions.approve(db_session, submission_id=sub.id, reviewer=reviewer)
    db_session.expire_all()
    approved = db_session.get(Office, office.id)
    assert approved is not None and approved.city == "Ikeja"
    assert approved.verification_method == "ngo_correction"
    assert client.get(f"/update/{link}/change").status_code == 410


def test_a_refused_correction_keeps_nothing_and_the_link_still_works(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    office, link = mailed.office()
    form = client.get(f"/update/{link}/change")
    (phone,) = office.phones
    with _records_nothing(db_session):
        as_is = prefilled(office) | {"csrf_token": csrf_of(form.text)}
        bad = client.post(
            f"/update/{link}/change", data=as_is | {f"phones.{phone.id}.number": "12"}
        )
        assert bad.status_code == 422 and 'value="12"' in bad.text
        nothing = client.post(f"/update/{link}/change", data=as_is)
        assert nothing.status_code == 422 and "Nothing differs" in nothing.text
    assert requests_of(db_session, office.id)[0].answered_at is None
    assert client.get(f"/update/{link}").status_code == 200


def test_an_expired_link_records_nothing(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    office, link = mailed.office()
    csrf = csrf_of(client.get(f"/update/{link}").text)
    mailed.clock.advance(days=mailed.settings.outreach_link_days, seconds=1)
    with _records_nothing(db_session):
        page = client.get(f"/update/{link}")
        assert page.status_code == 410 and "This link has expired" in page.text
        assert "Example Support Centre" not in page.text
        assert client.post(f"/update/{link}/confirm", data={"csrf_token": csrf}).status_code == 410
    assert requests_of(db_session, office.id)[0].answered_at is None


def test_forged_altered_and_other_offices_links_record_nothing(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    link, other = mailed.link_and_other()
    csrf = csrf_of(client.get(f"/update/{link}").text)
    parsed = parse_link(link)
    assert parsed is not None and other.id is not None
    office_id, token, signature = link.split(".")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    candidates = {
        "forged": str(Link(office_id=parsed.office_id, token="x" * 43)).rsplit(".", 1)[0]
        + ".AAAAAAAAAAAAAAAAAAAAAA",
        "altered token": f"{office_id}.{flipped}.{signature}",
        "other office": f"{other.id}.{token}.{signature}",
        "garbage": "not-a-link",
        # Signed properly (as only the server can) but for another office: still refused.
        "signed for another office": str(Link(office_id=other.id, token=parsed.token)),
    }
    with _records_nothing(db_session):
        for name, bad in candidates.items():
            page = client.get(f"/update/{bad}")
            assert page.status_code == 404, name
            assert "This link is not valid" in page.text and "Example Support" not in page.text
            posted = client.post(f"/update/{bad}/confirm", data={"csrf_token": csrf})
            assert posted.status_code == 404, name
    assert all(r.answered_at is None for r in db_session.execute(select(OutreachRequest)).scalars())


def test_a_form_without_the_links_csrf_token_records_nothing(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    link, other = mailed.link_and_other()
    other_csrf = csrf_of(client.get(f"/update/{mailed.sent_to(other)}").text)
    with _records_nothing(db_session):
        for data in ({}, {"csrf_token": "nope"}, {"csrf_token": other_csrf}):
            assert client.post(f"/update/{link}/confirm", data=data).status_code == 404
            assert client.post(f"/update/{link}/change", data=data).status_code == 404
    assert client.get(f"/update/{link}").status_code == 200


def test_the_page_speaks_the_requests_language(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    _, link = mailed.office(languages=["ar"])
    page = client.get(f"/update/{link}")
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "كل شيء ما زال صحيحًا" in page.text


def test_two_clicks_that_both_saw_an_open_link_record_one_answer(
    db_session: Session, mailed: Mailed
) -> None:
    import pytest

    from app.kit.clock import utcnow
    from app.outreach import answers
    from app.outreach.errors import LinkRefused
    from app.review.schemas import CorrectionCreate

    office, link = mailed.office()
    first = answers.open_link(db_session, raw=link, now=utcnow())
    second = answers.open_link(db_session, raw=link, now=utcnow())
    assert first.request.answered_at is None and second.request.answered_at is None
    before = _counts(db_session)
    answers.confirm(db_session, raw=link, now=utcnow())
    # The second click read the link as open; the conditional UPDATE still refuses it.
    with pytest.raises(LinkRefused) as refused:
        answers.submit_correction(
            db_session,
            raw=link,
            now=utcnow(),
            proposal=CorrectionCreate(
                kind="correction", office_id=office.id or 0, office={"city": "Ikeja"}
            ),
        )
    assert refused.value.reason == "used"
    with pytest.raises(LinkRefused):
        answers._claim_answer(db_session, second.request, answers.Answer.CHANGED, utcnow())
    assert _counts(db_session) == (before[0] + 1, before[1])


def _sign_in(
    client: TestClient, session: Session, role: str, organization_id: int | None = None
) -> None:
    from tests.factories import make_key

    header = make_key(session, role, organization_id=organization_id)
    key = header["Authorization"].removeprefix("Bearer ")
    session.commit()
    form = client.get("/signin")
    signed = client.post(
        "/signin", data={"csrf_token": csrf_of(form.text), "key": key}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text


def test_the_reviewers_contact_page_and_digest_show_outreach_state(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    from app.kit.clock import utcnow
    from app.verification.reports import write_digests

    answered = due_office(db_session)
    bounced = due_office(db_session, org_email="bounce@support.example")
    link = mailed.link(answered)
    page = client.get(f"/update/{link}")
    client.post(f"/update/{link}/confirm", data={"csrf_token": csrf_of(page.text)})
    write_digests(db_session, now=utcnow(), settings=mailed.settings)
    _sign_in(client, db_session, "reviewer")
    contact = client.get(f"/contacts/{bounced.id}")
    assert contact.status_code == 200
    assert "Update request by email" in contact.text and "<dd>bounced</dd>" in contact.text
    assert "no such mailbox" in contact.text and "bounce@support.example" in contact.text
    other = client.get(f"/contacts/{answered.id}")
    assert "<dd>answered (confirmed)</dd>" in other.text
    digest = client.get("/digest")
    assert "0 sent · 0 reminded · 1 answered · 1 bounced · 0 no answer" in digest.text
    # A partner sees the contact, never the outreach state (addresses, server replies).
    _sign_in(client, db_session, "ngo", organization_id=answered.organization_id)
    partner_view = client.get(f"/contacts/{bounced.id}")
    assert partner_view.status_code == 200
    assert "Update request by email" not in partner_view.text
    assert "no such mailbox" not in partner_view.text


def test_the_reminders_link_and_the_first_one_both_work_for_one_answer(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    office = due_office(db_session)
    first = mailed.link(office)
    mailed.clock.advance(days=mailed.settings.outreach_reminder_days)
    run_outreach(settings=mailed.settings, sessions=committing(db_session))
    reminder = mailed.smtp.received[-1].link
    assert reminder != first
    assert client.get(f"/update/{first}").status_code == 200
    page = client.get(f"/update/{reminder}")
    assert page.status_code == 200
    done = client.post(f"/update/{reminder}/confirm", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200
    assert client.get(f"/update/{first}").status_code == 410
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.ANSWERED.value


def test_a_link_of_an_organisation_made_confidential_since_shows_nothing(
    db_session: Session, client: TestClient, mailed: Mailed
) -> None:
    office, link = mailed.office()
    csrf = csrf_of(client.get(f"/update/{link}").text)
    office.organization.confidential = True
    db_session.add(office.organization)
    db_session.commit()
    with _records_nothing(db_session):
        page = client.get(f"/update/{link}")
        assert page.status_code == 404 and "Example Support" not in page.text
        assert client.post(f"/update/{link}/confirm", data={"csrf_token": csrf}).status_code == 404
