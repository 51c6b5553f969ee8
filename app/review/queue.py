"""Reading the review queue: the reviewers' queue and counts, one submission opened for
review (diff, drift, conflicts, duplicates), and a partner's own submissions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from app.directory import lookup
from app.directory.geography import country_name
from app.directory.models import Office, Organization
from app.directory.validation import checked_country, checked_region
from app.kit.clock import as_utc, utcnow
from app.kit.paging import FIRST_PAGE, Page
from app.kit.principal import Principal
from app.review import diff, duplicates
from app.review.errors import SubmissionNotFound
from app.review.findings import UNKNOWN_COUNTRY
from app.review.models import ClosureReason, Submission, SubmissionKind, SubmissionStatus
from app.review.schemas import (
    CountryCount,
    DuplicateMatch,
    Finding,
    QueuePage,
    SubmissionPublic,
    SubmissionReview,
    SubmissionSummary,
)


def get_submission(session: Session, submission_id: int) -> Submission:
    """A submission by id, or SubmissionNotFound (404)."""
    sub = session.get(Submission, submission_id, populate_existing=True)
    if sub is None:
        raise SubmissionNotFound(submission_id)
    return sub


def submission_public(sub: Submission) -> SubmissionPublic:
    """The partner-facing shape of a submission."""
    return SubmissionPublic.model_validate(sub)


def partner_clause(partner: Principal) -> Any:
    own = (
        Submission.submitter_organization_id == partner.organization_id
        if partner.organization_id is not None
        else Submission.submitter_key_id == partner.key_id
    )
    confidential = exists(
        select(Organization.id).where(
            Organization.id == Submission.organization_id, Organization.confidential.is_(True)
        )
    )
    return own & ~confidential


def get_for_partner(session: Session, *, submission_id: int, partner: Principal) -> Submission:
    """One of the partner's own submissions; anyone else's (or one about a confidential
    organisation) is SubmissionNotFound, so its existence is not revealed."""
    sub = session.execute(
        select(Submission).where(Submission.id == submission_id, partner_clause(partner))
    ).scalar_one_or_none()
    if sub is None:
        raise SubmissionNotFound(submission_id)
    return sub


def page_count(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


@dataclass
class QueueFilters:
    """Reviewer queue filters; `statuses` defaults to pending only."""

    country: str | None = None
    region: str | None = None
    kinds: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=lambda: [SubmissionStatus.PENDING.value])
    older_than_days: int | None = None
    newest_first: bool = False


def _queue_conditions(filters: QueueFilters, now: datetime) -> list[Any]:
    conds: list[Any] = []
    country = filters.country
    if filters.region and not country:
        country = filters.region.split("-", 1)[0]
    if country:
        # An import without a country waits under UNKNOWN_COUNTRY, which a filter may name.
        if country.strip().upper() != UNKNOWN_COUNTRY:
            country = checked_country(country)
        conds.append(Submission.country == country.strip().upper())
    if filters.region:
        assert country is not None
        conds.append(Submission.region == checked_region(country, filters.region))
    if filters.kinds:
        conds.append(Submission.kind.in_(filters.kinds))
    if filters.statuses:
        conds.append(Submission.status.in_(filters.statuses))
    if filters.older_than_days is not None:
        conds.append(Submission.created_at <= now - timedelta(days=filters.older_than_days))
    return conds


def list_queue(
    session: Session,
    *,
    filters: QueueFilters,
    page: Page = FIRST_PAGE,
    now: datetime | None = None,
) -> QueuePage:
    """The reviewers' queue: filtered by country, region, kind, status and age; oldest first
    unless `newest_first`; with possible duplicates flagged."""
    now = now or utcnow()
    conds = _queue_conditions(filters, now)
    total = session.execute(select(func.count()).select_from(Submission).where(*conds)).scalar_one()
    order = (
        (Submission.created_at.desc(), Submission.id.desc())
        if filters.newest_first
        else (Submission.created_at, Submission.id)
    )
    # Page the ids on the index alone, then join the page's rows: skipping thousands of rows
    # on a deep page never touches the table.
    page_ids = page.of(select(Submission.id).where(*conds).order_by(*order)).subquery()
    rows = session.execute(
        select(
            Submission.id,
            Submission.kind,
            Submission.status,
            Submission.closure_reason,
            Submission.country,
            Submission.region,
            Submission.title,
            Submission.changes,
            Submission.submitter_name,
            Submission.source,
            Submission.created_at,
            Submission.duplicate_matches,
            Submission.version,
        )
        .join(page_ids, page_ids.c.id == Submission.id)
        .order_by(*order)
    ).all()
    items = []
    for row in rows:
        created = as_utc(row.created_at) or now
        items.append(
            SubmissionSummary(
                id=row.id,
                kind=SubmissionKind(row.kind),
                status=SubmissionStatus(row.status),
                closure_reason=ClosureReason(row.closure_reason) if row.closure_reason else None,
                country=row.country,
                region=row.region,
                title=row.title,
                fields=list(row.changes),
                submitter_name=row.submitter_name,
                source=row.source,
                created_at=created,
                age_days=max(0, (now - created).days),
                possible_duplicate=bool(row.duplicate_matches),
                duplicate_matches=[DuplicateMatch(**m) for m in row.duplicate_matches],
                version=row.version,
            )
        )
    return QueuePage(
        items=items,
        total=total,
        page=page.number,
        per_page=page.size,
        pages=page_count(total, page.size),
    )


def country_counts(
    session: Session, *, statuses: Sequence[str] = (SubmissionStatus.PENDING.value,)
) -> list[CountryCount]:
    """Submissions per country (pending by default), most first, with the oldest's age."""
    rows = session.execute(
        select(Submission.country, func.count(), func.min(Submission.created_at))
        .where(Submission.status.in_(list(statuses)))
        .group_by(Submission.country)
        .order_by(func.count().desc(), Submission.country)
    ).all()
    return [
        CountryCount(
            country=cc,
            country_name=country_name(cc),
            count=count,
            oldest_created_at=as_utc(oldest) or oldest,
        )
        for cc, count, oldest in rows
    ]


def _target_office(session: Session, sub: Submission) -> Office | None:
    if sub.kind == SubmissionKind.NEW_CONTACT or sub.office_id is None:
        return None
    return lookup.get_office(session, sub.office_id, refresh=True)


def review(session: Session, *, submission_id: int) -> SubmissionReview:
    """Open a submission: field-level diff (now vs proposed vs base), the drift since it was
    made, conflicting fields, and possible duplicates (re-checked live while pending)."""
    sub = get_submission(session, submission_id)
    office = _target_office(session, sub)
    drifted = diff.drift(session, sub, office)
    rows = diff.field_diffs(sub, office, drifted)
    matches = sub.duplicate_matches
    if sub.kind == SubmissionKind.NEW_CONTACT and sub.status == SubmissionStatus.PENDING:
        matches = duplicates.matches_of(session, sub, exclude_submission_id=sub.id)
    return SubmissionReview(
        submission=submission_public(sub),
        submitter_key_id=sub.submitter_key_id,
        submitter_organization_id=sub.submitter_organization_id,
        base_versions=sub.base_versions,
        current_versions=diff.current_versions(office, sub.changes),
        diff=rows,
        drift=drifted,
        conflicts=[r.path for r in rows if r.conflict],
        duplicates=[DuplicateMatch(**m) for m in matches],
        decided_by=sub.decided_by,
        findings=[Finding(**f) for f in sub.findings],
    )


def pending_count(session: Session) -> int:
    """How many submissions wait for a decision (for dashboards)."""
    return int(
        session.execute(
            select(func.count())
            .select_from(Submission)
            .where(Submission.status == SubmissionStatus.PENDING.value)
        ).scalar_one()
    )
