"""Tasks: time travel through the freshness states, idempotent opening, claims, outcomes
and their effect on what may be printed, escalation after unanswered calls."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.freshness import Freshness, office_freshness
from app.directory.lookup import get_office
from app.directory.models import Office, Phone, Revision
from app.directory.printable import is_printable
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.kit.paging import Page
from app.kit.principal import Principal
from app.review import call_outcomes, decisions
from app.review.models import Submission
from app.verification import jobs, outcomes, tasks, worklist
from app.verification.errors import TaskClaimedByOther, TaskNotActive
from app.verification.models import (
    Outcome,
    OutcomeMethod,
    TaskAttempt,
    VerificationEvent,
    VerificationTask,
)
from app.verification.outcomes import CallReport
from tests.factories import NG_PHONE_2, make_office, make_org
from tests.review.support import principal

ALICE = Principal(name="Alice (desk)", role="officer", key_id=101)
BOB = Principal(name="Bob (desk)", role="reviewer", key_id=102)


def sessions(session: Session) -> Any:
    return lambda: nullcontext(session)


def freshness(session: Session, office_id: int, settings: Settings) -> Freshness:
    office = get_office(session, office_id, refresh=True)
    return office_freshness(
        office, category=office.organization.category, now=utcnow(), settings=settings
    )


def active_tasks(session: Session, office_id: int) -> list[VerificationTask]:
    return list(
        session.execute(
            select(VerificationTask).where(
                VerificationTask.office_id == office_id,
                VerificationTask.state.in_(["open", "claimed", "escalated"]),
            )
        ).scalars()
    )


def open_task(session: Session, settings: Settings, office: Office) -> VerificationTask:
    jobs.open_due_tasks(settings=settings, sessions=sessions(session))
    (task,) = active_tasks(session, office.id)  # type: ignore[arg-type]
    return task


def test_time_travel_verified_due_overdue_stale(
    db_session: Session, settings: Settings, frozen_clock: Any
) -> None:
    office = make_office(db_session)
    oid = office.id
    assert oid is not None
    run = lambda: jobs.open_due_tasks(settings=settings, sessions=sessions(db_session))  # noqa: E731
    escalate = lambda: jobs.escalate(settings=settings, sessions=sessions(db_session))  # noqa: E731

    frozen_clock.advance(days=149)
    assert freshness(db_session, oid, settings) is Freshness.VERIFIED
    assert run() == 0 and active_tasks(db_session, oid) == []

    frozen_clock.advance(days=2)  # 151 days: within 30 days of the 180-day interval
    assert freshness(db_session, oid, settings) is Freshness.DUE
    assert run() == 1
    (task,) = active_tasks(db_session, oid)
    assert task.freshness == "due" and task.state == "open"
    assert task.priority == tasks.BASE_PRIORITY[Freshness.DUE]
    verified_at = office.last_verified_at
    assert verified_at is not None
    assert task.due_at.replace(tzinfo=None) == (verified_at + timedelta(days=180)).replace(
        tzinfo=None
    )
    assert is_printable(db_session, office_id=oid, now=utcnow(), settings=settings)

    frozen_clock.advance(days=30)  # 181 days
    assert freshness(db_session, oid, settings) is Freshness.OVERDUE
    escalate()
    db_session.refresh(task)
    assert task.freshness == "overdue"
    assert task.priority == tasks.BASE_PRIORITY[Freshness.OVERDUE]
    assert task.state == "open"
    assert is_printable(db_session, office_id=oid, now=utcnow(), settings=settings)

    frozen_clock.advance(days=60)  # 241 days: past interval + 60 days
    assert freshness(db_session, oid, settings) is Freshness.STALE
    escalate()
    db_session.refresh(task)
    assert task.freshness == "stale" and task.state == "escalated"
    assert task.priority == tasks.BASE_PRIORITY[Freshness.STALE] + tasks.ESCALATION_BOOST
    assert not is_printable(db_session, office_id=oid, now=utcnow(), settings=settings)
    # Still one task through it all.
    assert run() == 0
    assert len(active_tasks(db_session, oid)) == 1


def test_per_category_intervals_come_from_settings(db_session: Session, frozen_clock: Any) -> None:
    custom = Settings(verification_interval_by_category={"law_enforcement": 90})
    police = make_office(db_session, org=make_org(db_session, category="law_enforcement"))
    ngo = make_office(db_session)
    frozen_clock.advance(days=70)  # police: due after 60 days; the NGO keeps 180
    assert freshness(db_session, police.id, custom) is Freshness.DUE  # type: ignore[arg-type]
    assert freshness(db_session, ngo.id, custom) is Freshness.VERIFIED  # type: ignore[arg-type]
    assert jobs.open_due_tasks(settings=custom, sessions=sessions(db_session)) == 1
    assert active_tasks(db_session, police.id)  # type: ignore[arg-type]
    frozen_clock.advance(days=90)  # 160 days: police stale (90 + 60), NGO due
    assert freshness(db_session, police.id, custom) is Freshness.STALE  # type: ignore[arg-type]
    assert freshness(db_session, ngo.id, custom) is Freshness.DUE  # type: ignore[arg-type]


def test_opening_tasks_twice_gives_one_task(db_session: Session, settings: Settings) -> None:
    old = utcnow() - timedelta(days=170)
    offices = [make_office(db_session, verified_at=old) for _ in range(3)]
    never = make_office(db_session, verified_at=None)
    fresh = make_office(db_session)
    first = jobs.open_due_tasks(settings=settings, sessions=sessions(db_session), batch_size=2)
    second = jobs.open_due_tasks(settings=settings, sessions=sessions(db_session), batch_size=2)
    assert (first, second) == (4, 0)
    for office in [*offices, never]:
        assert len(active_tasks(db_session, office.id)) == 1  # type: ignore[arg-type]
    assert active_tasks(db_session, fresh.id) == []  # type: ignore[arg-type]
    assert active_tasks(db_session, never.id)[0].freshness == "unverified"  # type: ignore[arg-type]


def test_the_database_refuses_a_second_active_task(db_session: Session, settings: Settings) -> None:
    office, task = _due_task(db_session, settings)
    now = utcnow()
    row = {
        "office_id": office.id,
        "state": "open",
        "priority": 1,
        "due_at": now,
        "freshness": "due",
        "opened_at": now,
        "attempts": 0,
        "annotations": [],
        "updated_at": now,
    }
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.execute(insert(VerificationTask).values(row))
    # A closed task does not block a new one.
    task.state = "done"
    db_session.flush()
    db_session.execute(insert(VerificationTask).values(row))
    assert len(active_tasks(db_session, office.id)) == 1  # type: ignore[arg-type]


def test_a_claim_blocks_others_until_it_expires(
    db_session: Session, settings: Settings, frozen_clock: Any
) -> None:
    _, task = _due_task(db_session, settings)
    assert task.id is not None
    claimed = outcomes.claim_task(
        db_session, task_id=task.id, actor=ALICE, now=utcnow(), settings=settings
    )
    assert claimed.state == "claimed" and claimed.claimed_by == ALICE.label
    with pytest.raises(TaskClaimedByOther):
        outcomes.claim_task(db_session, task_id=task.id, actor=BOB, now=utcnow(), settings=settings)
    with pytest.raises(TaskClaimedByOther):
        call_outcomes.record_outcome(
            db_session,
            task_id=task.id,
            report=CallReport(Outcome.CONFIRMED),
            actor=BOB,
            now=utcnow(),
            settings=settings,
        )
    frozen_clock.advance(hours=settings.task_claim_hours, seconds=1)
    assert tasks.effective_state(task, now=utcnow()).value == "open"
    again = outcomes.claim_task(
        db_session, task_id=task.id, actor=BOB, now=utcnow(), settings=settings
    )
    assert again.claimed_by == BOB.label


def test_escalate_job_releases_lapsed_claims(
    db_session: Session, settings: Settings, frozen_clock: Any
) -> None:
    _, task = _due_task(db_session, settings)
    assert task.id is not None
    outcomes.claim_task(db_session, task_id=task.id, actor=ALICE, now=utcnow(), settings=settings)
    frozen_clock.advance(hours=settings.task_claim_hours + 1)
    jobs.escalate(settings=settings, sessions=sessions(db_session))
    db_session.refresh(task)
    assert task.state == "open" and task.claimed_by is None


def _outcome(
    session: Session, settings: Settings, task: VerificationTask, outcome: Outcome, **kw: Any
) -> VerificationTask:
    assert task.id is not None
    actor = kw.pop("actor", ALICE)
    return call_outcomes.record_outcome(
        session,
        task_id=task.id,
        report=CallReport(outcome, **kw),
        actor=actor,
        now=utcnow(),
        settings=settings,
    )


def _due_task(session: Session, settings: Settings) -> tuple[Office, VerificationTask]:
    """An office last verified 170 days ago (due) and its open call task."""
    office = make_office(session, verified_at=utcnow() - timedelta(days=170))
    return office, open_task(session, settings, office)


def _moved(
    session: Session,
    settings: Settings,
    task: VerificationTask,
    actor: Principal,
    phone_id: int | None,
    **changes: str,
) -> VerificationTask:
    """A call whose answer was: moved last month to 12 New Road, new number (and `changes`)."""
    return _outcome(
        session,
        settings,
        task,
        Outcome.CHANGED,
        actor=actor,
        changes={"address": "12 New Road, Ikeja", **changes},
        phone_changes=[{"id": phone_id, "number": NG_PHONE_2}],
        note="moved last month",
    )


def test_three_unanswered_calls_on_different_days_escalate(
    db_session: Session, settings: Settings, frozen_clock: Any
) -> None:
    office, task = _due_task(db_session, settings)
    for _ in range(3):  # three on the same day count as one day
        _outcome(db_session, settings, task, Outcome.NO_ANSWER)
    assert task.state == "open" and task.escalated_at is None and task.attempts == 3
    frozen_clock.advance(days=1)
    _outcome(db_session, settings, task, Outcome.NO_ANSWER, note="rang 10 times")
    assert task.state == "open"
    frozen_clock.advance(days=1)
    outcomes.claim_task(db_session, task_id=task.id, actor=ALICE, now=utcnow(), settings=settings)  # type: ignore[arg-type]
    escalated = _outcome(db_session, settings, task, Outcome.NO_ANSWER)
    assert escalated.state == "escalated"
    assert escalated.escalation_reason == "no answer on 3 different days"
    assert escalated.claimed_by is None
    assert escalated.priority == tasks.BASE_PRIORITY[Freshness.DUE] + tasks.ESCALATION_BOOST
    attempts = outcomes.attempts_for(db_session, task_id=task.id)  # type: ignore[arg-type]
    assert [a.outcome for a in attempts] == ["no_answer"] * 5
    assert attempts[3].note == "rang 10 times"
    # Unanswered calls never verify, and the office stays printable meanwhile.
    assert freshness(db_session, office.id, settings) is Freshness.DUE  # type: ignore[arg-type]


def test_confirmed_verifies_now_by_this_person_and_method(
    db_session: Session, settings: Settings
) -> None:
    office = make_office(db_session, verified_at=utcnow() - timedelta(days=250))
    assert not is_printable(db_session, office_id=office.id, now=utcnow(), settings=settings)  # type: ignore[arg-type]
    task = open_task(db_session, settings, office)
    _outcome(db_session, settings, task, Outcome.CONFIRMED, method=OutcomeMethod.SITE_VISIT)
    assert task.state == "done" and task.outcome == "confirmed"
    office = get_office(db_session, office.id, refresh=True)  # type: ignore[arg-type]
    assert office.verified_by == ALICE.label
    assert office.verification_method == "site_visit"
    assert office.last_verified_at is not None
    assert freshness(db_session, office.id, settings) is Freshness.VERIFIED  # type: ignore[arg-type]
    assert is_printable(db_session, office_id=office.id, now=utcnow(), settings=settings)  # type: ignore[arg-type]
    event = (
        db_session.execute(
            select(VerificationEvent)
            .where(VerificationEvent.office_id == office.id)
            .order_by(VerificationEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert event is not None and event.verified_by == ALICE.label
    assert event.source == f"verification task #{task.id}: confirmed"
    with pytest.raises(TaskNotActive):
        _outcome(db_session, settings, task, Outcome.CONFIRMED)


def test_a_reviewers_changed_outcome_applies_details_through_the_audited_path_then_verifies(
    db_session: Session, settings: Settings
) -> None:
    office, task = _due_task(db_session, settings)
    phone_id = office.phones[0].id
    _moved(db_session, settings, task, BOB, phone_id, opening_hours="Mon-Fri 9-17")
    office = get_office(db_session, office.id, refresh=True)  # type: ignore[arg-type]
    assert office.address == "12 New Road, Ikeja"
    assert office.phones[0].number == NG_PHONE_2
    assert freshness(db_session, office.id, settings) is Freshness.VERIFIED  # type: ignore[arg-type]
    revs = db_session.execute(
        select(Revision.field, Revision.actor, Revision.source).where(
            Revision.office_id == office.id, Revision.source.like("verification task%")
        )
    ).all()
    fields = {r.field for r in revs}
    assert {"address", "opening_hours", "number", "last_verified_at"} <= fields
    assert {r.actor for r in revs} == {BOB.label}
    assert is_printable(db_session, office_id=office.id, now=utcnow(), settings=settings)  # type: ignore[arg-type]
    assert db_session.execute(select(func.count(Submission.id))).scalar_one() == 0


def _submissions(session: Session, office_id: int) -> list[Submission]:
    return list(
        session.execute(select(Submission).where(Submission.office_id == office_id)).scalars()
    )


def test_an_officers_changed_outcome_is_queued_for_review_and_edits_nothing(
    db_session: Session, settings: Settings
) -> None:
    officer = principal(db_session, "officer", name="Desk Officer Ada")
    office, task = _due_task(db_session, settings)
    oid, phone_id, address = office.id, office.phones[0].id, office.address
    assert oid is not None and phone_id is not None
    _moved(db_session, settings, task, officer, phone_id, website="https://example.org/new")
    # The call is recorded as the task's outcome …
    assert task.state == "done" and task.outcome == "changed"
    (attempt,) = outcomes.attempts_for(db_session, task_id=task.id)  # type: ignore[arg-type]
    assert attempt.outcome == "changed" and attempt.actor == officer.label
    # … the contact is not edited, and the dead number leaves the sheets at once …
    office = get_office(db_session, oid, refresh=True)
    assert office.address == address and office.website is None
    assert office.phones[0].number != NG_PHONE_2
    assert freshness(db_session, oid, settings) is Freshness.STALE
    assert not is_printable(db_session, office_id=oid, now=utcnow(), settings=settings)
    # … and the details wait in the review queue, naming the call and the officer.
    (sub,) = _submissions(db_session, oid)
    assert sub.kind == "correction" and sub.status == "pending"
    assert sub.source == f"call outcome, task #{task.id}, by Desk Officer Ada"
    assert sub.submitter_key_id == officer.key_id
    assert sub.changes == {
        "office.address": "12 New Road, Ikeja",
        "office.website": "https://example.org/new",
        f"phones.{phone_id}.number": NG_PHONE_2,
    }
    # A reviewer approves: the details change and the call verifies the contact.
    decisions.approve(db_session, submission_id=sub.id, reviewer=BOB)  # type: ignore[arg-type]
    office = get_office(db_session, oid, refresh=True)
    assert office.address == "12 New Road, Ikeja" and office.phones[0].number == NG_PHONE_2
    assert freshness(db_session, oid, settings) is Freshness.VERIFIED
    assert office.verification_method == "phone_call"
    assert office.verified_by == officer.label


def test_changed_needs_details_and_bad_details_change_nothing(
    db_session: Session, settings: Settings
) -> None:
    _, task = _due_task(db_session, settings)
    with pytest.raises(InvalidValue) as missing:
        _outcome(db_session, settings, task, Outcome.CHANGED)
    assert missing.value.field == "changes"
    for actor in (ALICE, BOB):
        with pytest.raises(InvalidValue) as bad, db_session.begin_nested():
            _outcome(
                db_session,
                settings,
                task,
                Outcome.CHANGED,
                actor=actor,
                changes={"region": "AL-01"},
            )
        assert bad.value.field == "region"
    db_session.refresh(task)
    assert task.state == "open"
    assert db_session.execute(select(func.count(TaskAttempt.id))).scalar_one() == 0
    assert db_session.execute(select(func.count(Submission.id))).scalar_one() == 0


@pytest.mark.parametrize("outcome", [Outcome.WRONG_NUMBER, Outcome.DISCONNECTED])
@pytest.mark.parametrize("role", ["officer", "reviewer"])
def test_wrong_or_disconnected_number_makes_the_office_stale_at_once(
    db_session: Session, settings: Settings, outcome: Outcome, role: str
) -> None:
    actor = principal(db_session, role)
    office = make_office(db_session, verified_at=utcnow() - timedelta(days=160))
    oid, phone_id = office.id, office.phones[0].id
    assert oid is not None
    task = open_task(db_session, settings, office)
    assert is_printable(db_session, office_id=oid, now=utcnow(), settings=settings)
    extra = {"phone_id": phone_id} if outcome is Outcome.DISCONNECTED else {}
    _outcome(db_session, settings, task, outcome, actor=actor, **extra)
    assert task.state == "done" and task.outcome == outcome.value
    assert freshness(db_session, oid, settings) is Freshness.STALE
    assert not is_printable(db_session, office_id=oid, now=utcnow(), settings=settings)
    office = get_office(db_session, oid, refresh=True)
    assert office.stale_reason == f"{outcome.value.replace('_', ' ')} (task #{task.id})"
    flagged = db_session.execute(
        select(Revision).where(Revision.office_id == oid, Revision.field == "stale_flagged_at")
    ).scalar_one()
    assert flagged.actor == actor.label
    phone = db_session.get(Phone, phone_id)
    assert phone is not None
    # A reviewer marks the dead number at once; an officer's report of it goes to review.
    marked = outcome is Outcome.DISCONNECTED and role == "reviewer"
    assert phone.status == ("disconnected" if marked else "active")
    queued = _submissions(db_session, oid)
    if outcome is Outcome.DISCONNECTED and role == "officer":
        (sub,) = queued
        assert (sub.kind, sub.closure_reason, sub.phone_id) == (
            "closure",
            "number_disconnected",
            phone_id,
        )
        assert sub.source == f"call outcome, task #{task.id}, by test officer"
    else:
        assert queued == []
    # No new task reopens for a flagged office; a fresh verification clears the flag.
    assert jobs.open_due_tasks(settings=settings, sessions=sessions(db_session)) == 0


def test_a_reviewers_closed_outcome_closes_the_office(
    db_session: Session, settings: Settings
) -> None:
    office = make_office(db_session, verified_at=utcnow() - timedelta(days=160))
    oid = office.id
    assert oid is not None
    task = open_task(db_session, settings, office)
    _outcome(db_session, settings, task, Outcome.CLOSED, actor=BOB, note="shut in May")
    assert get_office(db_session, oid, refresh=True).status == "closed"
    assert not is_printable(db_session, office_id=oid, now=utcnow(), settings=settings)
    assert jobs.open_due_tasks(settings=settings, sessions=sessions(db_session)) == 0
    assert _submissions(db_session, oid) == []


def test_an_officers_closed_outcome_takes_the_office_off_the_sheets_and_asks_review(
    db_session: Session, settings: Settings
) -> None:
    officer = principal(db_session, "officer")
    office = make_office(db_session, verified_at=utcnow() - timedelta(days=160))
    oid = office.id
    assert oid is not None
    task = open_task(db_session, settings, office)
    _outcome(db_session, settings, task, Outcome.CLOSED, actor=officer, note="shut in May")
    office = get_office(db_session, oid, refresh=True)
    assert office.status == "active"
    assert not is_printable(db_session, office_id=oid, now=utcnow(), settings=settings)
    assert office.stale_reason == f"reported closed, sent for review (task #{task.id})"
    (sub,) = _submissions(db_session, oid)
    assert (sub.kind, sub.closure_reason, sub.status) == ("closure", "closed", "pending")
    assert sub.note == "shut in May"
    assert jobs.open_due_tasks(settings=settings, sessions=sessions(db_session)) == 0
    decisions.approve(db_session, submission_id=sub.id, reviewer=BOB)  # type: ignore[arg-type]
    assert get_office(db_session, oid, refresh=True).status == "closed"


def test_a_verification_elsewhere_closes_the_open_task(
    db_session: Session, settings: Settings
) -> None:
    from app.directory.provenance import Provenance
    from app.verification.service import record_verification

    office, task = _due_task(db_session, settings)
    record_verification(
        db_session,
        office_id=office.id,  # type: ignore[arg-type]
        method="email_reply",
        verified_by="reviewer",
        provenance=Provenance(actor="reviewer", source="admin"),
    )
    db_session.refresh(task)
    assert task.state == "done" and task.outcome == "verified_elsewhere"


def test_worklist_filters_and_orders_by_priority(db_session: Session, settings: Settings) -> None:
    now = utcnow()
    due = make_office(db_session, verified_at=now - timedelta(days=170))
    overdue = make_office(db_session, verified_at=now - timedelta(days=200))
    kano = make_office(db_session, verified_at=now - timedelta(days=200), region="NG-KN")
    jobs.open_due_tasks(settings=settings, sessions=sessions(db_session))
    listing = worklist.list_tasks(
        db_session, filters=worklist.TaskFilters(country="NG", region="NG-LA"), now=now
    )
    assert (listing.total, listing.at_least, listing.has_next) == (2, False, False)
    assert [r.office.id for r in listing.rows] == [overdue.id, due.id]
    rows = worklist.list_tasks(
        db_session, filters=worklist.TaskFilters(min_priority=40), now=now
    ).rows
    assert {r.office.id for r in rows} == {overdue.id, kano.id}
    rows = worklist.list_tasks(
        db_session,
        filters=worklist.TaskFilters(due_before=now),
        now=now,
    ).rows
    assert {r.office.id for r in rows} == {overdue.id, kano.id}


def test_worklist_pages_count_up_to_a_limit_and_find_my_claims(
    db_session: Session, settings: Settings
) -> None:
    now = utcnow()
    offices = [make_office(db_session, verified_at=now - timedelta(days=170 + i)) for i in range(5)]
    jobs.open_due_tasks(settings=settings, sessions=sessions(db_session))
    everything = worklist.TaskFilters()
    first = worklist.list_tasks(db_session, filters=everything, now=now, page=Page(size=2))
    assert (first.total, first.at_least, first.has_next) == (5, False, True)
    # Most overdue first; each page is the next slice of one order.
    pages = [
        worklist.list_tasks(db_session, filters=everything, now=now, page=Page(p, 2))
        for p in (1, 2, 3)
    ]
    assert [r.office.id for page in pages for r in page.rows] == [o.id for o in offices[::-1]]
    assert (pages[2].total, pages[2].has_next) == (5, False)
    assert all(len(r.phones) == 1 for page in pages for r in page.rows)
    capped = worklist.list_tasks(
        db_session, filters=everything, now=now, page=Page(size=2), count_limit=3
    )
    assert (capped.total, capped.at_least, capped.has_next) == (3, True, True)
    beyond = worklist.list_tasks(db_session, filters=everything, now=now, page=Page(9, 2))
    assert (beyond.rows, beyond.total, beyond.has_next) == ([], 5, False)

    task = active_tasks(db_session, offices[2].id)[0]  # type: ignore[arg-type]
    assert task.id is not None
    outcomes.claim_task(db_session, task_id=task.id, actor=ALICE, now=now, settings=settings)
    mine = worklist.list_tasks(
        db_session, filters=worklist.TaskFilters(claimed_by=ALICE.label), now=now
    )
    assert [r.task.id for r in mine.rows] == [task.id] and mine.total == 1
    later = now + timedelta(hours=settings.task_claim_hours + 1)
    lapsed = worklist.TaskFilters(claimed_by=ALICE.label)
    assert worklist.list_tasks(db_session, filters=lapsed, now=later).rows == []
    claimed = worklist.list_tasks(
        db_session, filters=worklist.TaskFilters(states=["claimed"]), now=now
    )
    assert [r.task.id for r in claimed.rows] == [task.id]


def test_worklist_pages_are_read_from_the_worklist_index(db_session: Session) -> None:
    """The page's ids come from the partial index in the worklist's order, not from a sort
    of every active task (the planner may only choose it if the query matches its predicate)."""
    bind = db_session.get_bind()
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "ORDER BY verification_task.priority DESC" in statement:
            seen.append((statement, params))

    engine = bind.engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        for filters in (worklist.TaskFilters(), worklist.TaskFilters(states=["open"])):
            worklist.list_tasks(db_session, filters=filters, now=utcnow())
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert len(seen) == 2
    postgres = bind.dialect.name == "postgresql"
    if postgres:  # the test tables are tiny: make the planner show whether it could
        db_session.execute(text("SET LOCAL enable_seqscan = off"))
        db_session.execute(text("SET LOCAL enable_bitmapscan = off"))
        db_session.execute(text("SET LOCAL enable_sort = off"))
    for statement, params in seen:
        plan = db_session.connection().exec_driver_sql(
            ("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, params
        )
        shown = " ".join(str(row[-1]) for row in plan)
        assert "ix_verification_task_worklist" in shown, shown
        assert "Sort" not in shown and "TEMP B-TREE" not in shown, shown


def test_an_officers_outcomes_are_never_refused_by_the_partners_rate_limit(
    db_session: Session, settings: Settings
) -> None:
    officer = principal(db_session, "officer")
    strict = settings.model_copy(update={"submission_rate_limit": 1})
    offices = [make_office(db_session, verified_at=utcnow() - timedelta(days=160)) for _ in "ab"]
    jobs.open_due_tasks(settings=settings, sessions=sessions(db_session))
    for office in offices:
        (task,) = active_tasks(db_session, office.id)  # type: ignore[arg-type]
        _outcome(db_session, strict, task, Outcome.CLOSED, actor=officer)
        assert not is_printable(db_session, office_id=office.id, now=utcnow(), settings=settings)  # type: ignore[arg-type]
    assert db_session.execute(select(func.count(Submission.id))).scalar_one() == 2
