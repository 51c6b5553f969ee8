"""Helpers for review tests: principals behind real keys, and table dumps for
byte-for-byte comparisons."""

from __future__ import annotations

from typing import Any, Unpack

from sqlalchemy import text
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization
from app.kit.principal import Principal
from app.review import decisions, intake
from app.review.models import Submission
from tests.factories import KeyFields, allow_partner_countries, issue_key, make_office, make_org

DIRECTORY_TABLES = (
    "organization",
    "organization_service",
    "office",
    "office_language",
    "phone",
    "revision",
    "verification_event",
)
REVIEW_TABLES = ("submission", "submission_phone")


def principal(session: Session, role: str, **fields: Unpack[KeyFields]) -> Principal:
    """A principal backed by a real key (so four-eyes checks see its key id)."""
    key = issue_key(session, role, **fields).key
    assert key.id is not None
    return Principal(
        name=key.name, role=key.role, key_id=key.id, organization_id=key.organization_id
    )


def partner(
    session: Session, name: str = "Partner Network (demo)"
) -> tuple[Organization, Principal]:
    """A partner NGO organisation, working in the test countries, and an ngo key for it."""
    org = make_org(session, name=name)
    assert org.id is not None
    allow_partner_countries(session, org.id)
    return org, principal(session, "ngo", organization_id=org.id, name=f"{name} field team")


def submit(
    session: Session,
    ngo: Principal | None,
    proposal: dict[str, Any],
    *,
    source: str = "ngo: test",
) -> Submission:
    """`proposal` queued as the partner `ngo` sent it (None: an import)."""
    return intake.create_submission(session, proposal=proposal, submitter=ngo, source=source)


def correction(
    session: Session,
    office: Office,
    ngo: Principal | None,
    /,
    *,
    source: str = "ngo: test",
    **parts: Any,
) -> Submission:
    """A correction of `office` (`parts`: office, phones, new_phones, note…)."""
    proposal = {"kind": "correction", "office_id": office.id, **parts}
    return submit(session, ngo, proposal, source=source)


def proposed(session: Session, proposal: dict[str, Any]) -> tuple[Submission, Principal]:
    """`proposal` queued by a partner, and a reviewer to decide it."""
    _, ngo = partner(session)
    reviewer = principal(session, "reviewer")
    return submit(session, ngo, proposal), reviewer


def office_partner_reviewer(session: Session, **office: Any) -> tuple[Office, Principal, Principal]:
    """An office (`make_office` overrides), a partner's ngo principal and a reviewer."""
    made = make_office(session, **office)
    _, ngo = partner(session)
    return made, ngo, principal(session, "reviewer")


def new_contact(org_name: str, number: str = "08031234599") -> dict[str, Any]:
    """A partner's proposal of a new contact in Lagos for a new organisation `org_name`."""
    return {
        "kind": "new_contact",
        "organization": {"name": org_name, "category": "ngo"},
        "office": {"country": "NG", "region": "NG-LA", "phones": [{"number": number}]},
    }


def proposed_duplicate(
    session: Session, *, org_id: int | None, org_name: str, of_office_id: int | None, reason: str
) -> Submission:
    """A new contact proposed from the web by a partner of organisation `org_id`, that a
    reviewer marked as a duplicate of office `of_office_id`."""
    sub = intake.create_submission(
        session,
        proposal=new_contact(org_name),
        submitter=principal(session, "ngo", organization_id=org_id),
        source="web",
    )
    assert sub.id is not None and of_office_id is not None
    decisions.mark_duplicate(
        session,
        submission_id=sub.id,
        reviewer=principal(session, "reviewer"),
        of_office_id=of_office_id,
        reason=reason,
    )
    return sub


def dump(
    session: Session, tables: tuple[str, ...] = DIRECTORY_TABLES + REVIEW_TABLES
) -> dict[str, Any]:
    """Every row of the tables, as the database returns them, in primary-key order."""
    session.flush()
    return {
        table: [
            tuple(row) for row in session.execute(text(f'SELECT * FROM "{table}" ORDER BY 1, 2'))
        ]
        for table in tables
    }
