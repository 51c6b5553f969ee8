"""Field-level diff of a submission against the record as it is now, and drift: what
changed on the same records after the submission was made (from the Revision table).

Field paths: `office.<field>`, `organization.<field>`, `phones.<phone id>.<field>`,
`new_phones.<n>` (a whole new phone). A new contact uses `organization.<field>`,
`office.<field>` and `new_phones.<n>`; it has no current values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.directory import revisions
from app.directory.change_set import ChangePath
from app.directory.models import Office, Revision
from app.kit.clock import as_utc
from app.review.models import Submission, SubmissionKind, SubmissionStatus
from app.review.schemas import DriftEntry, FieldDiff

# Verification bookkeeping is not content: a verification after the submission is not drift.
NOT_CONTENT = frozenset(
    {"last_verified_at", "verification_method", "verified_by", "stale_flagged_at", "stale_reason"}
)


def current_value(office: Office | None, path: str) -> Any:
    """The value the record holds now at `path` (None for new records)."""
    if office is None:
        return None
    where = ChangePath.parse(path)
    if where.entity == "office":
        return office.language_codes if where.field == "languages" else getattr(office, where.field)
    if where.entity == "organization":
        org = office.organization
        return org.service_tags if where.field == "services" else getattr(org, where.field)
    if where.entity == "phone":
        phone = next((p for p in office.phones if p.id == where.entity_id), None)
        return None if phone is None else getattr(phone, where.field)
    return None


def current_versions(office: Office | None, paths: Iterable[str]) -> dict[str, int]:
    """Versions now of the records `paths` touch, keyed like `Submission.base_versions`."""
    if office is None:
        return {}
    versions: dict[str, int] = {"office": office.version}
    for path in paths:
        where = ChangePath.parse(path)
        if where.entity == "organization":
            versions["organization"] = office.organization.version
        elif where.entity == "phone":
            phone = next((p for p in office.phones if p.id == where.entity_id), None)
            if phone is not None:
                versions[f"phone:{phone.id}"] = phone.version
    return versions


def conflicting_paths(
    submission: Submission, office: Office | None, values: Mapping[str, Any]
) -> list[str]:
    """Paths whose value someone else changed since intake, to something other than `values`.

    Compared by value, so an unrelated edit of the same record is never a conflict, and a
    change to the very value proposed is not one either.
    """
    if office is None:
        return []
    found = []
    for path, value in values.items():
        if ChangePath.parse(path).entity == "new_phone":
            continue
        now = current_value(office, path)
        if now != submission.base.get(path) and now != value:
            found.append(path)
    return sorted(found)


def _path_of(rev: Revision) -> str:
    if rev.entity == "phone":
        return (
            f"phones.{rev.entity_id}"
            if rev.field == "created"
            else (f"phones.{rev.entity_id}.{rev.field}")
        )
    return f"{rev.entity}.{rev.field}"


def drift(session: Session, submission: Submission, office: Office | None) -> list[DriftEntry]:
    """Fields of the submission's records changed by others after it was made, latest first
    per field, with their value now."""
    if office is None or submission.status != SubmissionStatus.PENDING:
        return []
    assert office.id is not None
    targets = [
        and_(Revision.entity == "office", Revision.entity_id == office.id),
        and_(Revision.entity == "phone", Revision.office_id == office.id),
    ]
    if any(p.startswith("organization.") for p in submission.changes):
        targets.append(
            and_(Revision.entity == "organization", Revision.entity_id == office.organization_id)
        )
    stmt = (
        select(Revision)
        .where(
            Revision.id > submission.base_revision_id,
            or_(*targets),
            or_(Revision.submission_id.is_(None), Revision.submission_id != submission.id),
            Revision.field.not_in(NOT_CONTENT),
        )
        .order_by(Revision.id.desc())
    )
    entries: dict[str, DriftEntry] = {}
    for rev in session.execute(stmt).scalars():
        path = _path_of(rev)
        if path in entries:
            continue
        if rev.field == "created":
            value_now = revisions.decode(rev.new_value)
        else:
            value_now = current_value(office, path)
        entries[path] = DriftEntry(
            path=path,
            entity=rev.entity,
            entity_id=rev.entity_id,
            field=rev.field,
            value_now=value_now,
            changed_at=as_utc(rev.changed_at) or rev.changed_at,
            changed_by=rev.actor,
            source=rev.source,
            proposed_here=path in submission.changes,
        )
    return sorted(entries.values(), key=lambda e: e.path)


def field_diffs(
    submission: Submission, office: Office | None, drifted: Iterable[DriftEntry]
) -> list[FieldDiff]:
    """One row per proposed field: current, proposed and base values, drift and conflict."""
    by_path = {d.path: d for d in drifted}
    pending = submission.status == SubmissionStatus.PENDING
    compare = pending and submission.kind != SubmissionKind.NEW_CONTACT
    rows: list[FieldDiff] = []
    for path, proposed in submission.changes.items():
        where = ChangePath.parse(path)
        entity_id = where.entity_id
        if office is not None and where.entity == "office":
            entity_id = office.id
        elif office is not None and where.entity == "organization":
            entity_id = office.organization_id
        now = current_value(office, path) if compare else None
        base = submission.base.get(path)
        has_drifted = compare and where.entity != "new_phone" and now != base
        change = by_path.get(path)
        rows.append(
            FieldDiff(
                path=path,
                entity=where.entity,
                entity_id=entity_id,
                field=where.field,
                current=now if compare else base,
                proposed=proposed,
                base=base,
                drifted=has_drifted,
                conflict=has_drifted and now != proposed,
                changed_at=change.changed_at if change and has_drifted else None,
                changed_by=change.changed_by if change and has_drifted else None,
                change_source=change.source if change and has_drifted else None,
            )
        )
    return rows
