"""Who made a submission, as parts a page can word in its own language.

A submission keeps its submitter as one English text (`submitter_name`, e.g. "Example NGO —
key 'Field team'"), which the JSON API and the audit trail show as it is. The pages build
the label again from the structured data (the organisation, the key, the update request
answered), so they need no stored translation and no data migration."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.directory.models import Organization
from app.review.models import Submission, SubmissionOrigin

_REQUEST_NUMBER = re.compile(r"#(\d+)$")


@dataclass(frozen=True)
class Submitter:
    """The parts of a submitter's label; `stored` is the English text kept on the row."""

    stored: str
    organization: str | None = None
    key_name: str | None = None
    key_id: int | None = None
    # The email update request an organisation answered through its link (app/outreach).
    request_id: int | None = None


def submitters(session: Session, submission_ids: Iterable[int]) -> dict[int, Submitter]:
    """The submitter of each of `submission_ids`, by submission id."""
    ids = sorted(set(submission_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(
            Submission.id,
            Submission.submitter_name,
            Submission.submitter_key_id,
            Submission.origin,
            Submission.source,
            Organization.name.label("organization"),
            ApiKey.name.label("key_name"),
        )
        .outerjoin(Organization, Organization.id == Submission.submitter_organization_id)
        .outerjoin(ApiKey, ApiKey.id == Submission.submitter_key_id)
        .where(Submission.id.in_(ids))
    ).all()
    found: dict[int, Submitter] = {}
    for row in rows:
        request = _REQUEST_NUMBER.search(row.source or "")
        answered = row.origin == SubmissionOrigin.ORGANISATION and request is not None
        found[row.id] = Submitter(
            stored=row.submitter_name,
            organization=row.organization,
            key_name=row.key_name,
            key_id=row.submitter_key_id if row.key_name is not None else None,
            request_id=int(request.group(1)) if answered and request is not None else None,
        )
    return found
