"""`homeward export`: the directory as CSV (the import format) or a JSON array of contacts.

Both stream: offices are read with `yield_per` (a server-side cursor on PostgreSQL) and each
row is written as soon as it is read, so memory stays flat however large the directory is.
Confidential organisations are left out unless the operator asks for them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, contains_eager, selectinload

from app.config import Settings
from app.directory import csv_format as fmt
from app.directory.models import Office, OfficeLanguage, Organization, OrganizationService, Phone
from app.directory.presenter import contact_public
from app.directory.printable import PHONE_IS_ACTIVE
from app.directory.service import PHONE_FIELD_COLUMNS, active_phones_query
from app.directory.visibility import confidential_filter
from app.kit import safe_csv
from app.kit.clock import utcnow

BATCH_SIZE = 500


def iter_offices(
    session: Session, *, include_confidential: bool = False, batch_size: int = BATCH_SIZE
) -> Iterator[Office]:
    """Every office (all statuses) with its organisation, phones and languages, grouped by
    organisation, read `batch_size` at a time."""
    stmt = (
        select(Office)
        .join(Office.organization)
        .where(*confidential_filter(include_confidential=include_confidential))
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
        .where(
            PHONE_IS_ACTIVE,
            *confidential_filter(include_confidential=include_confidential),
        )
        .group_by(Phone.office_id)
        .subquery()
    )
    most = session.execute(select(func.max(per_office.c.n))).scalar_one_or_none()
    return max(int(most or 0), fmt.MIN_PHONE_GROUPS)


_ORG_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "organization_name": Organization.name,
    "organization_local_name": Organization.local_name,
    "category": Organization.category,
    "organization_description": Organization.description,
    "organization_website": Organization.website,
    "organization_email": Organization.email,
    "confidential": Organization.confidential,
    "is_demo": Organization.is_demo,
    "organization_status": Organization.status,
}
_OFFICE_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "office_name": Office.name,
    "country": Office.country,
    "region": Office.region,
    "city": Office.city,
    "address": Office.address,
    "postal_code": Office.postal_code,
    "latitude": Office.latitude,
    "longitude": Office.longitude,
    "opening_hours": Office.opening_hours,
    "office_email": Office.email,
    "office_website": Office.website,
    "meets_on_arrival": Office.meets_on_arrival,
    "status": Office.status,
    "last_verified_at": Office.last_verified_at,
    "verification_method": Office.verification_method,
    "verified_by": Office.verified_by,
}


def iter_csv_records(
    session: Session, *, include_confidential: bool = False, batch_size: int = BATCH_SIZE
) -> Iterator[dict[str, object]]:
    """Each office as a mapping of CSV column to value, grouped by organisation.

    Plain rows, not ORM objects: the office rows stream with `yield_per`, and each batch's
    phones, languages and services come in three more queries, so a large export costs a few
    queries per thousand offices and memory holds one batch at a time.
    """
    columns = [
        Office.id.label("office_id"),
        Office.organization_id.label("org_id"),
        *(col.label(name) for name, col in {**_ORG_COLUMNS, **_OFFICE_COLUMNS}.items()),
    ]
    stmt = (
        select(*columns)
        .join(Organization, Organization.id == Office.organization_id)
        .where(*confidential_filter(include_confidential=include_confidential))
        .order_by(Office.organization_id, Office.id)
        .execution_options(yield_per=batch_size)
    )
    for partition in session.execute(stmt).partitions():
        office_ids = [row.office_id for row in partition]
        org_ids = sorted({row.org_id for row in partition})
        phones: dict[int, list[Any]] = defaultdict(list)
        for phone in session.execute(
            active_phones_query(office_ids, Phone.office_id, *PHONE_FIELD_COLUMNS)
        ):
            phones[phone.office_id].append(phone)
        languages = _values_by_key(
            session, OfficeLanguage.office_id, OfficeLanguage.language, office_ids
        )
        services = _values_by_key(
            session, OrganizationService.organization_id, OrganizationService.tag, org_ids
        )
        for row in partition:
            record: dict[str, object] = dict(row._mapping)
            record["services"] = services[row.org_id]
            record["languages"] = languages[row.office_id]
            for i, phone in enumerate(phones[row.office_id], start=1):
                record[f"phone{i}"] = phone.number
                record[f"phone{i}_extension"] = phone.extension
                record[f"phone{i}_kind"] = phone.kind
                record[f"phone{i}_hours"] = phone.hours
                record[f"phone{i}_24_7"] = phone.is_24_7
                record[f"phone{i}_languages"] = list(phone.languages or [])
            yield record


def _values_by_key(
    session: Session,
    key: InstrumentedAttribute[int],
    value: InstrumentedAttribute[str],
    keys: list[int],
) -> dict[int, list[str]]:
    """The `value`s of the rows whose `key` is one of `keys`, sorted, by key."""
    grouped: dict[int, list[str]] = defaultdict(list)
    for k, v in session.execute(select(key, value).where(key.in_(keys)).order_by(key, value)):
        grouped[k].append(v)
    return grouped


def csv_row(record: dict[str, object], columns: list[str]) -> list[str]:
    """One office record as a row of the import format."""
    return [fmt.format_cell(record.get(column)) for column in columns]


def write_csv(
    session: Session, out: IO[str], *, include_confidential: bool = False, settings: Settings
) -> int:
    """Write the directory in the import format; returns the number of offices written."""
    columns = fmt.header(phone_group_count(session, include_confidential=include_confidential))
    writer = safe_csv.writer(out)
    writer.writerow(columns)
    count = 0
    for record in iter_csv_records(session, include_confidential=include_confidential):
        writer.writerow(csv_row(record, columns))
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
