"""`homeward export`: the directory as CSV (the import format) or a JSON array of contacts.

Both stream: offices are read with `yield_per` (a server-side cursor on PostgreSQL) and each
row is written as soon as it is read, so memory stays flat however large the directory is.
Confidential organisations are left out unless the operator asks for them.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import contains_eager, selectinload
from sqlmodel import Session

from app.config import Settings
from app.directory import csv_format as fmt
from app.directory.enums import PhoneStatus
from app.directory.models import Office, Organization, Phone
from app.directory.presenter import contact_public
from app.kit.clock import utcnow

BATCH_SIZE = 500


def _visibility(include_confidential: bool) -> list[ColumnElement[bool]]:
    return [] if include_confidential else [Organization.confidential.is_(False)]


def iter_offices(
    session: Session, *, include_confidential: bool = False, batch_size: int = BATCH_SIZE
) -> Iterator[Office]:
    """Every office (all statuses) with its organisation, phones and languages, grouped by
    organisation, read `batch_size` at a time."""
    stmt = (
        select(Office)
        .join(Office.organization)
        .where(*_visibility(include_confidential))
        .options(
            contains_eager(Office.organization).selectinload(Organization.services),
            selectinload(Office.phones),
            selectinload(Office.languages),
        )
        .order_by(Office.organization_id, Office.id)
        .execution_options(yield_per=batch_size, populate_existing=True)
    )
    for partition in session.execute(stmt).scalars().partitions():
        yield from partition


def phone_group_count(session: Session, *, include_confidential: bool = False) -> int:
    """The most active phones any exported office has (the CSV needs that many groups)."""
    per_office = (
        select(func.count(Phone.id).label("n"))
        .join(Office, Office.id == Phone.office_id)
        .join(Organization, Organization.id == Office.organization_id)
        .where(Phone.status == PhoneStatus.ACTIVE.value, *_visibility(include_confidential))
        .group_by(Phone.office_id)
        .subquery()
    )
    most = session.execute(select(func.max(per_office.c.n))).scalar_one_or_none()
    return max(int(most or 0), fmt.MIN_PHONE_GROUPS)


def csv_row(office: Office, phone_groups: int) -> list[str]:
    """One office as a row of the import format."""
    org = office.organization
    values: dict[str, object] = {
        "organization_name": org.name,
        "organization_local_name": org.local_name,
        "category": org.category,
        "services": org.service_tags,
        "organization_description": org.description,
        "organization_website": org.website,
        "organization_email": org.email,
        "confidential": org.confidential,
        "is_demo": org.is_demo,
        "organization_status": org.status,
        "office_name": office.name,
        "country": office.country,
        "region": office.region,
        "city": office.city,
        "address": office.address,
        "postal_code": office.postal_code,
        "latitude": office.latitude,
        "longitude": office.longitude,
        "opening_hours": office.opening_hours,
        "office_email": office.email,
        "office_website": office.website,
        "languages": office.language_codes,
        "meets_on_arrival": office.meets_on_arrival,
        "status": office.status,
        "last_verified_at": office.last_verified_at,
        "verification_method": office.verification_method,
        "verified_by": office.verified_by,
    }
    active = [p for p in office.phones if p.status == PhoneStatus.ACTIVE.value]
    for i, phone in enumerate(active, start=1):
        values[f"phone{i}"] = phone.number
        values[f"phone{i}_kind"] = phone.kind
        values[f"phone{i}_hours"] = phone.hours
        values[f"phone{i}_24_7"] = phone.is_24_7
        values[f"phone{i}_languages"] = list(phone.languages)
    return [fmt.format_cell(column, values.get(column)) for column in fmt.header(phone_groups)]


def write_csv(
    session: Session, out: IO[str], *, include_confidential: bool = False, settings: Settings
) -> int:
    """Write the directory in the import format; returns the number of offices written."""
    groups = phone_group_count(session, include_confidential=include_confidential)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fmt.header(groups))
    count = 0
    for office in iter_offices(session, include_confidential=include_confidential):
        writer.writerow(csv_row(office, groups))
        count += 1
    return count


def write_json(
    session: Session, out: IO[str], *, include_confidential: bool = False, settings: Settings
) -> int:
    """Write a JSON array of contacts (the API's ContactPublic shape), one per line."""
    now = utcnow()
    count = 0
    out.write("[")
    for office in iter_offices(session, include_confidential=include_confidential):
        item = contact_public(office, now=now, settings=settings).model_dump(mode="json")
        out.write(("\n" if count == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
