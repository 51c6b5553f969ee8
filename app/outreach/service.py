"""Update requests: who gets one, claiming them for the SMTP server, recording what it said,
reminders, giving up, and the organisation's answer through the link.

Services take a session, flush and never commit; the jobs (jobs.py) commit between steps so
that a request is `sending` in the database before its mail leaves (see delivery.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from typing import Any

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import dialect_insert
from app.directory import service as directory
from app.directory.enums import OfficeStatus
from app.directory.models import Office, Organization
from app.directory.service import IN_LIST_SIZE
from app.kit.batches import batched
from app.kit.clock import as_utc
from app.outreach.delivery import Delivery, DeliveryResult
from app.outreach.errors import MailWithheld
from app.outreach.i18n import language_for, outreach_language
from app.outreach.listing import address_of
from app.outreach.mail import compose
from app.outreach.models import (
    ANSWERABLE_STATES,
    OutreachRequest,
    RequestState,
)
from app.outreach.tokens import Link, new_link
from app.verification.tasks import Annotation, annotate_office_task, needs_task_clause

_ANSWERABLE = [s.value for s in ANSWERABLE_STATES]
# The states in which the call worklist takes over, and the flag its task gets.
TAKEN_OVER = {
    RequestState.BOUNCED.value: "bounced",
    RequestState.UNANSWERED.value: "no_answer",
    RequestState.WITHHELD.value: "withheld",
}


def link_url(link: Link, settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/update/{link}"


# ---- who gets a request ---------------------------------------------------------------------


def _office_email() -> Any:
    return func.coalesce(func.nullif(Office.email, ""), func.nullif(Organization.email, ""))


def _asked_since_verified() -> Any:
    """An office is asked once per due period: not again until it was verified after its
    last request (whatever became of that request)."""
    return exists().where(
        OutreachRequest.office_id == Office.id,
        or_(
            Office.last_verified_at.is_(None),
            OutreachRequest.created_at > Office.last_verified_at,
        ),
    )


def eligible_offices_query(*, now: datetime, settings: Settings, country: str | None) -> Any:
    """Offices that need verifying (the worklist's rule), have an address, belong to an
    organisation that is not confidential, and were not asked in this due period."""
    stmt = (
        select(Office.id)
        .join(Organization, Organization.id == Office.organization_id)
        .where(
            needs_task_clause(now=now, settings=settings),
            Organization.confidential.is_(False),
            _office_email().is_not(None),
            ~_asked_since_verified(),
        )
        .order_by(Office.id)
    )
    return stmt.where(Office.country == country) if country else stmt


def enqueue_batch(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    after_id: int,
    limit: int,
    country: str | None = None,
) -> tuple[int | None, int]:
    """Queue one request for each of the next `limit` eligible offices after `after_id`.

    Returns (last office id seen, requests queued); (None, 0) when none is left. The partial
    unique index keeps a concurrent run from queueing a second open request for an office.
    """
    ids = list(
        session.execute(
            eligible_offices_query(now=now, settings=settings, country=country)
            .where(Office.id > after_id)
            .limit(limit)
        ).scalars()
    )
    if not ids:
        return None, 0
    values = []
    for office in directory.load_offices(session, ids).values():
        email = address_of(office)
        assert office.id is not None and email
        values.append(
            {
                "office_id": office.id,
                "organization_id": office.organization_id,
                "country": office.country,
                "email": email,
                "language": language_for(office.language_codes, office.country),
                "state": RequestState.QUEUED.value,
                "created_at": now,
                "next_attempt_at": now,
                "attempts": 0,
                "delivery_uncertain": False,
                "updated_at": now,
            }
        )
    table = OutreachRequest.__table__
    inserted = session.execute(
        dialect_insert(session, table).on_conflict_do_nothing().returning(table.c.id), values
    ).all()
    return ids[-1], len(inserted)


# ---- claiming mails for the SMTP server -----------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A mail claimed for the SMTP server: its request is `sending` or `reminding`."""

    request_id: int
    to: str
    reminder: bool
    message: Message


def _due_reminder(now: datetime, settings: Settings) -> Any:
    return and_(
        OutreachRequest.state == RequestState.SENT.value,
        OutreachRequest.sent_at <= now - timedelta(days=settings.outreach_reminder_days),
        OutreachRequest.expires_at > now,
    )


def _due_first_mail() -> Any:
    return OutreachRequest.state == RequestState.QUEUED.value


def due_mails_query(*, now: datetime, settings: Settings, country: str | None) -> Any:
    """Requests whose first mail or reminder is due now, oldest first."""
    stmt = (
        select(OutreachRequest)
        .where(
            or_(_due_first_mail(), _due_reminder(now, settings)),
            OutreachRequest.next_attempt_at <= now,
        )
        .order_by(OutreachRequest.next_attempt_at, OutreachRequest.id)
    )
    return stmt.where(OutreachRequest.country == country) if country else stmt


@dataclass
class ClaimedBatch:
    outgoing: list[Outgoing]
    withheld: int = 0

    @property
    def empty(self) -> bool:
        return not self.outgoing and not self.withheld


def _still_askable(office: Office) -> bool:
    org = office.organization
    return (
        office.status != OfficeStatus.CLOSED.value
        and org.status == "active"
        and not org.confidential
    )


def claim_batch(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    limit: int,
    country: str | None = None,
) -> ClaimedBatch:
    """Claim the next `limit` due mails: each gets a fresh link (only its hash is kept) and
    its request turns `sending` (a first mail) or `reminding`. The caller commits before
    handing them to the SMTP server. A mail that would carry a blocklisted word is not
    claimed: its request is `withheld`, and the call worklist takes over."""
    rows = list(
        session.execute(
            due_mails_query(now=now, settings=settings, country=country)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    offices = directory.load_offices(session, {r.office_id for r in rows})
    batch = ClaimedBatch([])
    for req in rows:
        assert req.id is not None
        office = offices[req.office_id]
        address = address_of(office)
        if not _still_askable(office) or not address:
            # Closed, confidential or without an address since it was queued: never mailed.
            req.state, req.updated_at = RequestState.WITHHELD.value, now
            req.detail = "not sent: the office was closed, made confidential or lost its email"
            batch.withheld += 1
            continue
        req.email = address
        reminder = req.state == RequestState.SENT.value
        link = new_link(req.office_id)
        expires_at = as_utc(req.expires_at) if reminder else None
        expires_at = expires_at or now + timedelta(days=settings.outreach_link_days)
        try:
            message = compose(
                request_id=req.id,
                to=req.email,
                office=office,
                lang=outreach_language(req.language),
                link_url=link_url(link, settings),
                expires_at=expires_at,
                sent_at=now,
                settings=settings,
                first_sent_at=as_utc(req.sent_at) if reminder else None,
            )
        except MailWithheld as exc:
            req.state, req.detail, req.updated_at = RequestState.WITHHELD.value, exc.message, now
            batch.withheld += 1
            continue
        if reminder:
            req.state = RequestState.REMINDING.value
            req.reminder_token_hash = link.token_hash
        else:
            req.state = RequestState.SENDING.value
            req.token_hash = link.token_hash
            req.expires_at = expires_at
        req.claimed_at = req.updated_at = now
        req.attempts += 1
        batch.outgoing.append(Outgoing(req.id, req.email, reminder, message))
    session.flush()
    return batch


def record_delivery(
    session: Session,
    *,
    request_id: int,
    reminder: bool,
    result: DeliveryResult,
    now: datetime,
    settings: Settings,
) -> None:
    """Record what the SMTP server said about a claimed mail (see delivery.py). Only a
    request still in the claimed state changes (it may have been answered meanwhile)."""
    claimed = RequestState.REMINDING if reminder else RequestState.SENDING
    values: dict[str, Any]
    match result.delivery:
        case Delivery.ACCEPTED:
            values = (
                {"state": RequestState.REMINDED.value, "reminded_at": now}
                if reminder
                else {"state": RequestState.SENT.value, "sent_at": now}
            )
        case Delivery.DEFERRED:
            retry = now + timedelta(minutes=settings.outreach_retry_minutes)
            values = {"next_attempt_at": retry, "detail": result.detail}
            values |= (
                {"state": RequestState.SENT.value, "reminder_token_hash": None}
                if reminder
                else {"state": RequestState.QUEUED.value, "token_hash": None, "expires_at": None}
            )
        case Delivery.REFUSED:
            values = {"state": RequestState.BOUNCED.value, "detail": result.detail}
        case Delivery.UNCERTAIN:
            values = {"detail": result.detail}
    session.execute(
        update(OutreachRequest)
        .where(OutreachRequest.id == request_id, OutreachRequest.state == claimed.value)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )


def record_deliveries(
    session: Session,
    results: Sequence[tuple[int, bool, DeliveryResult]],
    *,
    now: datetime,
    settings: Settings,
) -> None:
    """`record_delivery` for a batch of (request id, reminder, result): the accepted ones,
    nearly all of them, in one UPDATE per kind of mail."""
    accepted: dict[bool, list[int]] = {False: [], True: []}
    for request_id, reminder, result in results:
        if result.delivery is Delivery.ACCEPTED:
            accepted[reminder].append(request_id)
        else:
            record_delivery(
                session,
                request_id=request_id,
                reminder=reminder,
                result=result,
                now=now,
                settings=settings,
            )
    for reminder, ids in accepted.items():
        if not ids:
            continue
        claimed = RequestState.REMINDING if reminder else RequestState.SENDING
        values = (
            {"state": RequestState.REMINDED.value, "reminded_at": now}
            if reminder
            else {"state": RequestState.SENT.value, "sent_at": now}
        )
        for chunk in batched(ids, IN_LIST_SIZE):
            session.execute(
                update(OutreachRequest)
                .where(
                    OutreachRequest.id.in_(chunk),
                    OutreachRequest.state == claimed.value,
                )
                .values(updated_at=now, **values)
                .execution_options(synchronize_session=False)
            )


def settle_interrupted(session: Session, *, now: datetime, settings: Settings) -> int:
    """Requests left `sending`/`reminding` longer than the bound by a handover that never
    recorded the server's answer count as sent (delivery_uncertain), never sent again.
    Returns how many."""
    bound = now - timedelta(minutes=settings.outreach_sending_timeout_minutes)
    stamp = OutreachRequest.claimed_at
    settled = 0
    for claimed, values in (
        (RequestState.SENDING, {"state": RequestState.SENT.value, "sent_at": stamp}),
        (RequestState.REMINDING, {"state": RequestState.REMINDED.value, "reminded_at": stamp}),
    ):
        result = session.execute(
            update(OutreachRequest)
            .where(OutreachRequest.state == claimed.value, OutreachRequest.claimed_at < bound)
            .values(delivery_uncertain=True, updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        settled += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return settled


# ---- follow-up --------------------------------------------------------------------------------


def follow_up(session: Session, *, now: datetime, settings: Settings) -> tuple[int, int]:
    """Give up on requests reminded `outreach_reminder_days` ago without an answer
    (`unanswered`: the call worklist takes over) and expire those whose link lapsed.
    Returns (unanswered, expired)."""
    waited = now - timedelta(days=settings.outreach_reminder_days)
    unanswered = session.execute(
        update(OutreachRequest)
        .where(
            OutreachRequest.state == RequestState.REMINDED.value,
            OutreachRequest.reminded_at <= waited,
        )
        .values(state=RequestState.UNANSWERED.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    expired = session.execute(
        update(OutreachRequest)
        .where(
            OutreachRequest.state.in_(_ANSWERABLE),
            OutreachRequest.state.not_in(
                [RequestState.SENDING.value, RequestState.REMINDING.value]
            ),
            OutreachRequest.expires_at <= now,
        )
        .values(state=RequestState.EXPIRED.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(unanswered.rowcount or 0), int(expired.rowcount or 0)  # type: ignore[attr-defined]


def _summary(req: OutreachRequest) -> str:
    match req.state:
        case RequestState.BOUNCED.value:
            return f"Update request by email to {req.email} bounced: {req.detail or ''}".strip()
        case RequestState.WITHHELD.value:
            return f"Update request by email not sent: {req.detail or ''}".strip()
    return f"No answer to the update request by email to {req.email}, nor to its reminder"


def escalate_taken_over(session: Session, *, now: datetime, settings: Settings) -> int:
    """Raise the call task of each office whose request bounced, was withheld or went
    unanswered, with the reason shown on the worklist (once per request). An office that
    has no task yet is raised when it gets one; one verified since no longer needs it."""
    rows = session.execute(
        select(OutreachRequest)
        .join(Office, Office.id == OutreachRequest.office_id)
        .join(Organization, Organization.id == Office.organization_id)
        .where(
            OutreachRequest.state.in_(list(TAKEN_OVER)),
            OutreachRequest.escalated_at.is_(None),
            needs_task_clause(now=now, settings=settings),
        )
        .order_by(OutreachRequest.id)
    ).scalars()
    raised = 0
    for req in rows:
        details = {"summary": _summary(req), "request_id": req.id}
        note = Annotation("outreach", "outreach", req.email, [TAKEN_OVER[req.state]], details)
        task = annotate_office_task(session, office_id=req.office_id, note=note, now=now)
        if task is not None:
            req.escalated_at = now
            raised += 1
    session.flush()
    return raised


@dataclass(frozen=True)
class Planned:
    """A mail a run would send now (`homeward outreach send --dry-run`)."""

    office_id: int
    organization_name: str
    email: str
    language: str
    kind: str  # "request" or "reminder"


def plan(
    session: Session, *, now: datetime, settings: Settings, country: str | None, limit: int
) -> list[Planned]:
    """The mails a run would send now (at most `limit`), writing nothing: requests already
    queued, reminders due, then offices that would get a new request."""
    out: list[Planned] = []
    due = session.execute(
        due_mails_query(now=now, settings=settings, country=country)
        .add_columns(Organization.name)
        .join(Organization, Organization.id == OutreachRequest.organization_id)
        .limit(limit)
    ).all()
    for req, name in due:
        kind = "reminder" if req.state == RequestState.SENT.value else "request"
        out.append(Planned(req.office_id, name, req.email, req.language, kind))
    ids = session.execute(
        eligible_offices_query(now=now, settings=settings, country=country).limit(limit - len(out))
    ).scalars()
    for office in directory.load_offices(session, list(ids)).values():
        assert office.id is not None
        out.append(
            Planned(
                office.id,
                office.organization.name,
                address_of(office) or "",
                language_for(office.language_codes, office.country),
                "request",
            )
        )
    return out
