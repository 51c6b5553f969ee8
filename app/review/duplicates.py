"""Possible duplicates of a new-contact proposal: the same phone number (E.164) as an existing
office or a pending proposal, or a near-identical name in the same country and region."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.enums import OfficeStatus
from app.directory.models import Office, Organization, Phone
from app.directory.printable import PHONE_IS_ACTIVE
from app.kit.text import fold
from app.review.models import Submission, SubmissionKind, SubmissionPhone, SubmissionStatus

# Names at least this similar (difflib ratio of the folded forms) are flagged.
NAME_SIMILARITY = 0.88
# A region rarely holds more; the cap keeps a pathological country bounded.
MAX_NAME_CANDIDATES = 5000


def name_key(organization_name: str | None, office_name: str | None) -> str:
    """The folded name a proposal is matched on."""
    return fold(" ".join(p for p in (organization_name, office_name) if p))


def proposed_numbers(changes: Mapping[str, Any]) -> list[str]:
    """The numbers (E.164) of the new phones a submission's changes propose."""
    return [v["number"] for p, v in changes.items() if p.startswith("new_phones.")]


def organization_name(
    session: Session, changes: Mapping[str, Any], organization_id: int | None
) -> str | None:
    """The organisation name a proposal is matched on: proposed, or the existing one's."""
    if "organization.name" in changes:
        return str(changes["organization.name"])
    if organization_id is not None:
        org = session.get(Organization, organization_id)
        return org.name if org else None
    return None


def similarity(a: str, b: str) -> float:
    """1.0 for the same words in any order, else difflib's ratio of the folded names."""
    if not a or not b:
        return 0.0
    if sorted(a.split()) == sorted(b.split()):
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # The cheap upper bounds rule most candidates out before the quadratic ratio.
    if matcher.real_quick_ratio() < NAME_SIMILARITY or matcher.quick_ratio() < NAME_SIMILARITY:
        return min(matcher.real_quick_ratio(), matcher.quick_ratio())
    return matcher.ratio()


class Proposed(Protocol):
    """A new-contact proposal: an intake on its way in, or a stored submission."""

    @property
    def country(self) -> str: ...
    @property
    def region(self) -> str | None: ...
    @property
    def changes(self) -> Mapping[str, Any]: ...
    @property
    def organization_id(self) -> int | None: ...


def matches_of(
    session: Session, proposed: Proposed, *, exclude_submission_id: int | None = None
) -> list[dict[str, Any]]:
    """`find_matches` for a proposal, on its names and numbers."""
    return find_matches(
        session,
        country=proposed.country,
        region=proposed.region,
        organization_name=organization_name(session, proposed.changes, proposed.organization_id),
        office_name=proposed.changes.get("office.name"),
        numbers=proposed_numbers(proposed.changes),
        exclude_submission_id=exclude_submission_id,
    )


def _region_clause(column: Any, region: str | None) -> Any:
    return column.is_(None) if region is None else column == region


def find_matches(
    session: Session,
    *,
    country: str,
    region: str | None,
    organization_name: str | None,
    office_name: str | None,
    numbers: Sequence[str],
    exclude_submission_id: int | None = None,
) -> list[dict[str, Any]]:
    """Offices and pending new-contact proposals this proposal may duplicate, best first."""
    matches: list[dict[str, Any]] = []
    seen: set[tuple[str, int, str]] = set()

    def add(kind: str, ident: int, reason: str, detail: str, name: str, score: float) -> None:
        if (kind, ident, reason) in seen:
            return
        seen.add((kind, ident, reason))
        matches.append(
            {
                "kind": kind,
                "id": ident,
                "reason": reason,
                "detail": detail,
                "name": name,
                "similarity": round(score, 3),
            }
        )

    if numbers:
        rows = session.execute(
            select(Phone.number, Office.id, Office.name, Organization.name)
            .join(Office, Office.id == Phone.office_id)
            .join(Organization, Organization.id == Office.organization_id)
            .where(
                Phone.number.in_(list(numbers)),
                PHONE_IS_ACTIVE,
                Office.status != OfficeStatus.CLOSED.value,
            )
            .order_by(Office.id)
        ).all()
        for number, office_id, office_name_, org_name in rows:
            label = " — ".join(p for p in (org_name, office_name_) if p)
            add("office", office_id, "phone", f"same number {number}", label, 1.0)
        pending_numbers = session.execute(
            select(SubmissionPhone.number, Submission.id, Submission.title)
            .join(Submission, Submission.id == SubmissionPhone.submission_id)
            .where(
                SubmissionPhone.number.in_(list(numbers)),
                Submission.status == SubmissionStatus.PENDING.value,
            )
            .order_by(Submission.id)
        ).all()
        for number, sub_id, title in pending_numbers:
            if sub_id != exclude_submission_id:
                add("submission", sub_id, "phone", f"same number {number}", title, 1.0)

    wanted = name_key(organization_name, office_name)
    wanted_org = fold(organization_name or "")
    if wanted:
        similar = session.execute(
            select(Office.id, Office.name, Organization.name)
            .join(Organization, Organization.id == Office.organization_id)
            .where(
                Office.country == country,
                _region_clause(Office.region, region),
                Office.status != OfficeStatus.CLOSED.value,
            )
            .limit(MAX_NAME_CANDIDATES)
        ).all()
        for office_id, office_name_, org_name in similar:
            candidate = name_key(org_name, office_name_)
            score = max(similarity(wanted, candidate), similarity(wanted_org, fold(org_name)))
            if score >= NAME_SIMILARITY:
                label = " — ".join(p for p in (org_name, office_name_) if p)
                add(
                    "office",
                    office_id,
                    "name",
                    f"similar name in {region or country}",
                    label,
                    score,
                )
        pending = session.execute(
            select(Submission.id, Submission.title, Submission.name_key).where(
                Submission.status == SubmissionStatus.PENDING.value,
                Submission.kind == SubmissionKind.NEW_CONTACT.value,
                Submission.country == country,
                _region_clause(Submission.region, region),
            )
        ).all()
        for sub_id, title, key in pending:
            if sub_id == exclude_submission_id or not key:
                continue
            score = similarity(wanted, key)
            if score >= NAME_SIMILARITY:
                add(
                    "submission",
                    sub_id,
                    "name",
                    f"similar name in {region or country}",
                    title,
                    score,
                )
    matches.sort(key=lambda m: (m["reason"] != "phone", -m["similarity"], m["kind"], m["id"]))
    return matches
