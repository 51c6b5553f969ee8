"""Homeward records read for HSDS in batches of plain rows (SQLAlchemy core), so exports
stream with flat memory: organisations, offices with their phones and languages, and every
verification event and approved change as a metadata entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import (
    Office,
    OfficeLanguage,
    Organization,
    OrganizationService,
    Phone,
    Revision,
)
from app.directory.service import (
    OFFICE_DETAIL_FIELDS,
    OFFICE_FIELD_COLUMNS,
    PHONE_FIELD_COLUMNS,
    active_phones_query,
)
from app.interop.hsds_vocabulary import (
    EMPTY_VALUE,
    VERIFICATION_FIELDS,
    VERIFIED_ACTION,
    VERIFIED_APPROVER,
    VERIFIED_FIELD,
    VERIFIED_SOURCE,
    iso_datetime,
)
from app.kit.clock import as_utc
from app.verification.models import VerificationEvent

# ---- plain records, loaded in batches ----------------------------------------------------


@dataclass
class MetadataEntry:
    key: str
    at: datetime
    action: str
    field_name: str
    previous: str
    replacement: str
    updated_by: str


@dataclass
class OrgRecord:
    id: int
    name: str
    local_name: str | None
    category: str
    description: str | None
    website: str | None
    email: str | None
    confidential: bool
    is_demo: bool
    status: str
    updated_at: datetime
    hsds_source: dict[str, Any] | None = None
    identifiers: list[dict[str, Any]] | None = None
    services: list[str] = field(default_factory=list)
    metadata: list[MetadataEntry] = field(default_factory=list)


@dataclass
class PhoneRecord:
    id: int
    number: str
    extension: str | None
    kind: str
    hours: str | None
    is_24_7: bool
    languages: list[str]
    metadata: list[MetadataEntry] = field(default_factory=list)


@dataclass
class OfficeRecord:
    id: int
    organization_id: int
    org: OrgRecord
    name: str | None
    country: str
    region: str | None
    city: str | None
    address: str | None
    postal_code: str | None
    latitude: float | None
    longitude: float | None
    opening_hours: str | None
    email: str | None
    website: str | None
    meets_on_arrival: bool
    status: str
    updated_at: datetime
    last_verified_at: datetime | None
    verified_by: str | None
    schedules: list[dict[str, Any]] | None = None
    service_name: str | None = None
    service_description: str | None = None
    address_2: str | None = None
    language_notes: dict[str, str] | None = None
    service_areas: list[dict[str, Any]] | None = None
    contacts: list[dict[str, Any]] | None = None
    accessibility: list[dict[str, Any]] | None = None
    external_id: str | None = None
    hsds_source: dict[str, Any] | None = None
    languages: list[str] = field(default_factory=list)
    phones: list[PhoneRecord] = field(default_factory=list)
    metadata: list[MetadataEntry] = field(default_factory=list)


def _chunks(ids: Sequence[int], size: int = 900) -> Iterator[Sequence[int]]:
    # Keep IN lists under SQLite's bound-parameter limit.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _render(value: str | None) -> str:
    """A revision value (JSON) as text for HSDS metadata."""
    if value is None:
        return EMPTY_VALUE
    decoded = json.loads(value)
    if decoded is None or decoded == "":
        return EMPTY_VALUE
    if isinstance(decoded, str):
        return decoded
    return json.dumps(decoded, ensure_ascii=False, sort_keys=True)


def _revision_entry(rev: Any) -> MetadataEntry:
    who = rev.actor
    if rev.approved_by and rev.approved_by != rev.actor:
        who += f"; approved by {rev.approved_by}"
    who += f"; source: {rev.source}"
    created = rev.field == "created"
    return MetadataEntry(
        key=f"revision:{rev.id}",
        at=as_utc(rev.changed_at) or rev.changed_at,
        action="create" if created else "update",
        field_name="*" if created else rev.field,
        previous=_render(rev.old_value),
        replacement=_render(rev.new_value),
        updated_by=who,
    )


def _revisions(session: Session, *conditions: Any) -> list[Any]:
    stmt = (
        select(
            Revision.id,
            Revision.entity,
            Revision.entity_id,
            Revision.office_id,
            Revision.field,
            Revision.old_value,
            Revision.new_value,
            Revision.source,
            Revision.actor,
            Revision.approved_by,
            Revision.changed_at,
        )
        .where(
            Revision.approved_by.is_not(None),
            Revision.field.not_in(VERIFICATION_FIELDS),
            *conditions,
        )
        .order_by(Revision.changed_at, Revision.id)
    )
    return list(session.execute(stmt))


def load_organizations(session: Session, org_ids: Sequence[int]) -> dict[int, OrgRecord]:
    """Organisations by id, with their service tags and approved changes."""
    orgs: dict[int, OrgRecord] = {}
    for chunk in _chunks(sorted(set(org_ids))):
        for row in session.execute(
            select(
                Organization.id,
                Organization.name,
                Organization.local_name,
                Organization.category,
                Organization.description,
                Organization.website,
                Organization.email,
                Organization.confidential,
                Organization.is_demo,
                Organization.status,
                Organization.updated_at,
                Organization.hsds_source,
                Organization.identifiers,
            ).where(Organization.id.in_(chunk))
        ):
            orgs[row.id] = OrgRecord(**row._asdict())
        for org_id, tag in session.execute(
            select(OrganizationService.organization_id, OrganizationService.tag)
            .where(OrganizationService.organization_id.in_(chunk))
            .order_by(OrganizationService.tag)
        ):
            orgs[org_id].services.append(tag)
        for rev in _revisions(
            session, Revision.entity == "organization", Revision.entity_id.in_(chunk)
        ):
            orgs[rev.entity_id].metadata.append(_revision_entry(rev))
    return orgs


def load_offices(
    session: Session,
    office_ids: Sequence[int],
    *,
    orgs: dict[int, OrgRecord] | None = None,
) -> list[OfficeRecord]:
    """Offices in the order given, each with its organisation, phones, languages and history.

    `orgs` is a cache of already loaded organisations, filled as a side effect.
    """
    orgs = {} if orgs is None else orgs
    by_id: dict[int, OfficeRecord] = {}
    for chunk in _chunks(list(office_ids)):
        rows = list(
            session.execute(
                select(
                    Office.id,
                    Office.organization_id,
                    *OFFICE_FIELD_COLUMNS,
                    Office.updated_at,
                    Office.last_verified_at,
                    Office.verified_by,
                    Office.schedules,
                    *(getattr(Office, f) for f in OFFICE_DETAIL_FIELDS),
                    Office.external_id,
                    Office.hsds_source,
                ).where(Office.id.in_(chunk))
            )
        )
        missing = {r.organization_id for r in rows} - orgs.keys()
        if missing:
            orgs.update(load_organizations(session, list(missing)))
        for row in rows:
            by_id[row.id] = OfficeRecord(**row._asdict(), org=orgs[row.organization_id])
        for office_id, language in session.execute(
            select(OfficeLanguage.office_id, OfficeLanguage.language)
            .where(OfficeLanguage.office_id.in_(chunk))
            .order_by(OfficeLanguage.language)
        ):
            by_id[office_id].languages.append(language)
        phones: dict[int, PhoneRecord] = {}
        for p in session.execute(
            active_phones_query(chunk, Phone.id, Phone.office_id, *PHONE_FIELD_COLUMNS)
        ):
            record = PhoneRecord(
                id=p.id,
                number=p.number,
                extension=p.extension,
                kind=p.kind,
                hours=p.hours,
                is_24_7=p.is_24_7,
                languages=sorted(p.languages or []),
            )
            phones[p.id] = record
            by_id[p.office_id].phones.append(record)
        previous: dict[int, datetime] = {}
        for ev in session.execute(
            select(
                VerificationEvent.id,
                VerificationEvent.office_id,
                VerificationEvent.verified_at,
                VerificationEvent.verified_by,
                VerificationEvent.method,
                VerificationEvent.approved_by,
                VerificationEvent.source,
            )
            .where(VerificationEvent.office_id.in_(chunk))
            .order_by(VerificationEvent.verified_at, VerificationEvent.id)
        ):
            at = as_utc(ev.verified_at) or ev.verified_at
            who = ev.verified_by
            if ev.approved_by and ev.approved_by != ev.verified_by:
                who += f"{VERIFIED_APPROVER}{ev.approved_by}"
            who += f"{VERIFIED_SOURCE}{ev.source}"
            before = previous.get(ev.office_id)
            # Exact times (microseconds kept), so an import recreates them as they were.
            by_id[ev.office_id].metadata.append(
                MetadataEntry(
                    key=f"verification:{ev.id}",
                    at=at,
                    action=f"{VERIFIED_ACTION}{ev.method}",
                    field_name=VERIFIED_FIELD,
                    previous=iso_datetime(before, exact=True) if before else EMPTY_VALUE,
                    replacement=iso_datetime(at, exact=True),
                    updated_by=who,
                )
            )
            previous[ev.office_id] = at
        for rev in _revisions(
            session, Revision.entity.in_(("office", "phone")), Revision.office_id.in_(chunk)
        ):
            entry = _revision_entry(rev)
            if rev.entity == "phone" and rev.entity_id in phones:
                phones[rev.entity_id].metadata.append(entry)
            else:
                by_id[rev.office_id].metadata.append(entry)
    for office in by_id.values():
        office.metadata.sort(key=lambda m: m.at)
    return [by_id[i] for i in office_ids if i in by_id]
