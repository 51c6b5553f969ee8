"""Update requests through a real SMTP server on 127.0.0.1: who gets one, what it says,
reminders, bounces, a server that is down, and a run killed mid-handover."""

from __future__ import annotations

import dataclasses
import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.kit.clock import utcnow
from app.outreach import service
from app.outreach.delivery import SmtpSender
from app.outreach.jobs import run_outreach
from app.outreach.mail import message_id
from app.outreach.models import OutreachRequest, RequestState
from app.schedule import runs
from app.sheets.blocklist import blocklist
from app.verification import jobs as verification_jobs
from app.verification.models import VerificationTask
from tests.conftest import FrozenClock
from tests.factories import make_office, make_org
from tests.outreach.conftest import committing
from tests.outreach.smtp_server import SmtpServer
from tests.outreach.support import due_office, requests_of


def _run(session: Session, settings: Settings, **kwargs: object):  # type: ignore[no-untyped-def]
    return run_outreach(settings=settings, sessions=committing(session), **kwargs)  # type: ignore[arg-type]


def _task(session: Session, office_id: int | None) -> VerificationTask:
    session.expire_all()
    return session.execute(
        select(VerificationTask).where(VerificationTask.office_id == office_id)
    ).scalar_one()


def test_a_due_office_gets_one_plain_discreet_request_with_one_link(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session, org_email="desk@support.example", opening_hours="Mon-Fri 9-17")
    fresh = make_office(db_session, org=make_org(db_session, email="fresh@support.example"))
    summary = _run(db_session, outreach_settings)
    assert summary.sent == 1 and summary.queued == 1
    (mail,) = smtp.received
    assert mail.envelope_to == ["desk@support.example"]
    message = mail.message
    assert message["Subject"] == "Please check your listing in the Homeward directory"
    assert message["From"] == "Homeward directory <directory@homeward.example>"
    (req,) = requests_of(db_session, office.id)
    assert message["Message-ID"] == message_id(
        req.id or 0, reminder=False, settings=outreach_settings
    )
    # Plain text only: no HTML part, so no tracking pixel or external image.
    assert [part.get_content_type() for part in message.walk()] == ["text/plain"]
    text = mail.text
    assert "Example Support Centre (demo)" in text and "+234 803 123 4567" in text
    assert "Mon-Fri 9-17" in text
    assert text.count("http") == 1 and "http://testserver/update/" in text
    assert blocklist().find(message["Subject"] + text) == []
    # Only the link's hash is stored; the request is `sent` and its link names the office.
    token = mail.link.split(".")[1]
    assert req.state == RequestState.SENT.value and req.email == "desk@support.example"
    assert req.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert mail.link.startswith(f"{office.id}.")
    assert token not in str(dataclasses.asdict(req))
    assert requests_of(db_session, fresh.id) == []
    # Running again sends nothing: one request per office and due period.
    again = _run(db_session, outreach_settings)
    assert again.sent == 0 and len(smtp.received) == 1


def test_the_request_speaks_the_offices_language(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session, org_email="bureau@appui.example", languages=["en", "fr", "yo"])
    # Nigeria's official language is English; an office listing only French and Yoruba
    # gets French, the one Homeward has texts for.
    other = due_office(db_session, org_email="autre@appui.example", languages=["fr", "yo"])
    _run(db_session, outreach_settings)
    by_to = {m.envelope_to[0]: m for m in smtp.received}
    assert by_to["bureau@appui.example"].message["Content-Language"] == "en"
    french = by_to["autre@appui.example"]
    assert french.message["Subject"] == "Merci de vérifier votre fiche dans l'annuaire Homeward"
    assert "Téléphone: +234 803 123 4567" in french.text
    assert requests_of(db_session, other.id)[0].language == "fr"
    assert requests_of(db_session, office.id)[0].language == "en"


def test_the_offices_own_address_first_and_no_request_without_one_or_when_confidential(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    own = due_office(db_session, org_email="head@support.example", email="lagos@support.example")
    silent = due_office(db_session, org_email=None)
    hidden = due_office(
        db_session, org_email="hidden@shelter.example", org_overrides={"confidential": True}
    )
    summary = _run(db_session, outreach_settings)
    assert summary.sent == 1
    assert [m.envelope_to for m in smtp.received] == [["lagos@support.example"]]
    assert requests_of(db_session, silent.id) == requests_of(db_session, hidden.id) == []
    assert requests_of(db_session, own.id)[0].email == "lagos@support.example"


def test_outreach_is_off_without_an_smtp_host(
    db_session: Session, settings: Settings, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session)
    off = settings.model_copy(update={"smtp_host": None})
    summary = _run(db_session, off)
    assert not summary.enabled and summary.queued == 0
    assert requests_of(db_session, office.id) == []


def test_a_bounce_at_send_time_raises_the_call_task_with_the_reason(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session, org_email="bounce@support.example")
    verification_jobs.open_due_tasks(settings=outreach_settings, sessions=committing(db_session))
    before = _task(db_session, office.id).priority
    summary = _run(db_session, outreach_settings)
    assert summary.bounced == 1 and summary.escalated == 1 and smtp.received == []
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.BOUNCED.value and "550" in (req.detail or "")
    task = _task(db_session, office.id)
    assert task.priority > before
    (note,) = task.annotations
    assert note["kind"] == "outreach" and note["flags"] == ["bounced"]
    assert "bounced" in note["summary"] and "no such mailbox" in note["summary"]
    # Raised once: the next runs neither send again nor raise again.
    _run(db_session, outreach_settings)
    assert _task(db_session, office.id).priority == task.priority
    assert len(requests_of(db_session, office.id)) == 1


def test_a_server_that_is_down_loses_nothing_and_sends_once_when_back(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session)
    smtp.stop()
    summary = _run(db_session, outreach_settings)
    assert summary.server_unavailable and summary.sent == 0
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.QUEUED.value and req.token_hash is None
    smtp.start()
    assert _run(db_session, outreach_settings).sent == 1
    assert _run(db_session, outreach_settings).sent == 0
    assert len(smtp.received) == 1
    assert requests_of(db_session, office.id)[0].state == RequestState.SENT.value


def test_a_deferral_is_retried_later_not_at_once(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session, org_email="later@support.example")
    assert _run(db_session, outreach_settings).deferred == 1
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.QUEUED.value and "451" in (req.detail or "")
    assert _run(db_session, outreach_settings).deferred == 0  # not due again yet
    frozen_clock.advance(minutes=outreach_settings.outreach_retry_minutes + 1)
    assert _run(db_session, outreach_settings).deferred == 1
    assert requests_of(db_session, office.id)[0].attempts == 2


def test_a_run_killed_between_sending_and_recording_never_sends_twice(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session)
    unit = committing(db_session)
    with unit() as session:
        service.enqueue_batch(
            session, now=utcnow(), settings=outreach_settings, after_id=0, limit=10
        )
    with unit() as session:
        batch = service.claim_batch(session, now=utcnow(), settings=outreach_settings, limit=10)
    with SmtpSender(outreach_settings) as sender:
        (mail,) = batch.outgoing
        sender.send(mail.message, to=mail.to)
    # ... and the process dies here, before recording that the server accepted it.
    assert len(smtp.received) == 1
    assert requests_of(db_session, office.id)[0].state == RequestState.SENDING.value
    frozen_clock.advance(minutes=1)
    assert _run(db_session, outreach_settings).sent == 0  # maybe still being sent: wait
    frozen_clock.advance(minutes=outreach_settings.outreach_sending_timeout_minutes)
    settled = _run(db_session, outreach_settings)
    assert settled.settled == 1 and settled.sent == 0 and len(smtp.received) == 1
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.SENT.value and req.delivery_uncertain
    # The link of the mail that did leave works; the reminder is the retry if it was lost.
    frozen_clock.advance(days=outreach_settings.outreach_reminder_days)
    assert _run(db_session, outreach_settings).reminded == 1
    assert len(smtp.received) == 2


def test_no_answer_sends_one_reminder_then_the_call_worklist_takes_over(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session)
    verification_jobs.open_due_tasks(settings=outreach_settings, sessions=committing(db_session))
    before = _task(db_session, office.id).priority
    _run(db_session, outreach_settings)
    frozen_clock.advance(days=outreach_settings.outreach_reminder_days - 1)
    assert _run(db_session, outreach_settings).reminded == 0
    frozen_clock.advance(days=1)
    assert _run(db_session, outreach_settings).reminded == 1
    first, reminder = smtp.received
    assert reminder.message["Subject"].startswith("Reminder:")
    assert reminder.link != first.link
    assert reminder.message["Message-ID"] != first.message["Message-ID"]
    assert _run(db_session, outreach_settings).reminded == 0  # one reminder only
    frozen_clock.advance(days=outreach_settings.outreach_reminder_days)
    summary = _run(db_session, outreach_settings)
    assert summary.unanswered == 1 and summary.escalated == 1
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.UNANSWERED.value and req.escalated_at is not None
    task = _task(db_session, office.id)
    assert task.priority > before
    assert task.annotations[-1]["flags"] == ["no_answer"]
    assert "No answer" in task.annotations[-1]["summary"]
    assert len(smtp.received) == 2
    # Past the link's validity the request expires.
    frozen_clock.advance(days=outreach_settings.outreach_link_days)
    assert _run(db_session, outreach_settings).expired == 1


def test_a_listing_with_a_blocklisted_word_is_never_mailed(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session, org_overrides={"name": "Victims Support Centre (demo)"})
    verification_jobs.open_due_tasks(settings=outreach_settings, sessions=committing(db_session))
    summary = _run(db_session, outreach_settings)
    assert summary.withheld == 1 and summary.escalated == 1 and smtp.received == []
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.WITHHELD.value and "victims" in (req.detail or "")
    assert _task(db_session, office.id).annotations[0]["flags"] == ["withheld"]


def test_one_open_request_per_office_is_enforced_by_the_database(
    db_session: Session, outreach_settings: Settings, frozen_clock: FrozenClock
) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    office = due_office(db_session)
    assert office.id is not None
    common = {
        "office_id": office.id,
        "organization_id": office.organization_id,
        "country": "NG",
        "email": "desk@support.example",
        "language": "en",
    }
    db_session.add(OutreachRequest(**common))
    db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(OutreachRequest(**common, state=RequestState.SENT.value))
        db_session.flush()
    db_session.add(OutreachRequest(**common, state=RequestState.ANSWERED.value))
    db_session.flush()
    count = db_session.execute(select(func.count()).select_from(OutreachRequest)).scalar_one()
    assert count == 2


def test_a_queued_request_of_an_office_made_confidential_since_is_never_mailed(
    db_session: Session, outreach_settings: Settings, smtp: SmtpServer, frozen_clock: FrozenClock
) -> None:
    office = due_office(db_session, org_email="later@support.example")
    assert _run(db_session, outreach_settings).deferred == 1  # queued, waiting for a retry
    office.organization.confidential = True
    db_session.add(office.organization)
    db_session.flush()
    frozen_clock.advance(minutes=outreach_settings.outreach_retry_minutes + 1)
    summary = _run(db_session, outreach_settings)
    assert summary.withheld == 1 and summary.deferred == 0 and smtp.received == []
    (req,) = requests_of(db_session, office.id)
    assert req.state == RequestState.WITHHELD.value and req.token_hash is None


def test_the_scheduler_runs_outreach_as_a_job_and_it_is_quiet_when_off(
    db_session: Session, settings: Settings, frozen_clock: FrozenClock
) -> None:
    assert "outreach" in runs.JOBS
    office = due_office(db_session)
    run = runs.run_job(
        "outreach",
        settings=settings.model_copy(update={"smtp_host": None}),
        slot="test",
        instance_id="test",
        sessions=committing(db_session),
    )
    assert run is not None and run.status == "done" and run.processed == 0
    assert requests_of(db_session, office.id) == []
