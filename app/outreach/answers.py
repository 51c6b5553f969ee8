"""The organisation's answer through its link: open it, "all still correct", "something
changed". A link records one answer (a conditional UPDATE), and nothing when it is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.directory import lookup
from app.directory.errors import OfficeNotFound
from app.directory.models import Office, Organization
from app.directory.provenance import Provenance
from app.kit.clock import as_utc
from app.kit.principal import Principal
from app.outreach.errors import LinkRefused
from app.outreach.models import ANSWERABLE_STATES, Answer, OutreachRequest, RequestState
from app.outreach.tokens import Link, parse_link
from app.review import intake
from app.review.models import Submission, SubmissionOrigin
from app.verification.models import OutcomeMethod
from app.verification.service import record_verification

_ANSWERABLE = [s.value for s in ANSWERABLE_STATES]


def source_label(request_id: int) -> str:
    """How revisions, verifications and submissions name an answer to a request."""
    return f"email update request #{request_id}"


def organisation_principal(req: OutreachRequest) -> Principal:
    """The organisation answering through its link: a partner without a key. Its
    corrections reach the review queue as an NGO partner's do (the submission carries its
    organisation), and it sees no confidential record."""
    assert req.id is not None
    return Principal(
        name=f"reply to {source_label(req.id)}",
        role="ngo",
        organization_id=req.organization_id,
    )


@dataclass(frozen=True)
class OpenRequest:
    """A link that may still record an answer, with its request and office."""

    link: Link
    request: OutreachRequest
    office: Office


def _answerable(session: Session, *, raw: str, now: datetime) -> tuple[Link, OutreachRequest]:
    """The link and its request, if the link may still record an answer; else LinkRefused
    (`invalid`: forged, altered or for another office; `used`; `expired`)."""
    link = parse_link(raw)
    if link is None:
        raise LinkRefused("invalid")
    token_hash = link.token_hash
    req = session.execute(
        select(OutreachRequest).where(
            or_(
                OutreachRequest.token_hash == token_hash,
                OutreachRequest.reminder_token_hash == token_hash,
            )
        )
    ).scalar_one_or_none()
    if req is None or req.office_id != link.office_id:
        raise LinkRefused("invalid")
    if req.answered_at is not None:
        raise LinkRefused("used", language=req.language)
    expires = as_utc(req.expires_at)
    if req.state not in _ANSWERABLE or expires is None or expires <= now:
        raise LinkRefused("expired", language=req.language)
    return link, req


def open_link(session: Session, *, raw: str, now: datetime) -> OpenRequest:
    """The request behind a link with its office (as the organisation may see it), if the
    link may still record an answer; else LinkRefused."""
    link, req = _answerable(session, raw=raw, now=now)
    try:
        office = lookup.get_office(
            session, req.office_id, viewer=organisation_principal(req), refresh=True
        )
    except OfficeNotFound as exc:  # it became confidential since: nothing to show
        raise LinkRefused("invalid") from exc
    return OpenRequest(link, req, office)


def _claim_answer(session: Session, req: OutreachRequest, answer: Answer, now: datetime) -> None:
    """Take the request's one answer: a conditional UPDATE, so of two clicks at once only
    one records anything (the other is `used`)."""
    result = session.execute(
        update(OutreachRequest)
        .where(
            OutreachRequest.id == req.id,
            OutreachRequest.answered_at.is_(None),
            OutreachRequest.state.in_(_ANSWERABLE),
            OutreachRequest.expires_at > now,
        )
        .values(
            state=RequestState.ANSWERED.value, answer=answer.value, answered_at=now, updated_at=now
        )
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise LinkRefused("used", language=req.language)
    # What the UPDATE wrote, without reading the row back (nor writing it again at flush).
    for name, value in (
        ("state", RequestState.ANSWERED.value),
        ("answer", answer.value),
        ("answered_at", now),
        ("updated_at", now),
    ):
        set_committed_value(req, name, value)


def _answered_by(req: OutreachRequest, organization_name: str) -> str:
    assert req.id is not None
    return f"{organization_name} ({source_label(req.id)})"[:200]


def _organization_name(session: Session, req: OutreachRequest) -> str:
    """The name of the organisation answering; LinkRefused when it became confidential."""
    row = session.execute(
        select(Organization.name, Organization.confidential)
        .join(Office, Office.organization_id == Organization.id)
        .where(Office.id == req.office_id)
    ).one_or_none()
    if row is None or row.confidential:
        raise LinkRefused("invalid")
    return str(row.name)


def confirm(session: Session, *, raw: str, now: datetime) -> OutreachRequest:
    """Record "all still correct": a verification by `email_reply`, answered as the
    organisation, from this request, which closes the office's open call task. Once per
    request; returns the request, answered, with its verification event."""
    _, req = _answerable(session, raw=raw, now=now)
    assert req.id is not None
    who = _answered_by(req, _organization_name(session, req))
    _claim_answer(session, req, Answer.CONFIRMED, now)
    event = record_verification(
        session,
        office_id=req.office_id,
        method=OutcomeMethod.EMAIL_REPLY.value,
        verified_by=who,
        note=f"answered {source_label(req.id)} sent to {req.email}",
        provenance=Provenance(actor=who, source=source_label(req.id)),
        verified_at=now,
    )
    req.verification_event_id = event.id
    session.flush()
    return req


def submit_correction(
    session: Session, *, raw: str, now: datetime, proposal: intake.Proposal
) -> Submission:
    """Queue "something changed": the correction goes to the review queue as the organisation's
    own, exactly like an NGO partner's (validated by the review intake; nothing is kept when
    it is refused). Once per request; `proposal` must be about the link's office."""
    opened = open_link(session, raw=raw, now=now)
    req = opened.request
    assert req.id is not None
    if getattr(proposal, "office_id", None) != req.office_id:
        raise LinkRefused("invalid")
    _claim_answer(session, req, Answer.CHANGED, now)
    submission = intake.create_submission(
        session,
        proposal=proposal,
        submitter=organisation_principal(req),
        source=source_label(req.id),
        origin=SubmissionOrigin.ORGANISATION,
    )
    req.submission_id = submission.id
    session.flush()
    return submission
