"""Loading the directory's records: an office with its organisation, phones and languages,
many of them in a few queries, and whether a viewer may see them (confidential ones only
for staff). Reads only; the writes are `service`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.directory.errors import OfficeNotFound, OrganizationNotFound, PhoneNotFound
from app.directory.models import Office, Organization, Phone
from app.kit.principal import Principal


def office_load_options() -> list[Any]:
    return [
        selectinload(Office.organization).selectinload(Organization.services),
        selectinload(Office.phones),
        selectinload(Office.languages),
    ]


def get_office(
    session: Session,
    office_id: int,
    *,
    viewer: Principal | None = None,
    refresh: bool = False,
    lock: bool = False,
) -> Office:
    """Load an office with its organisation, phones and languages, or raise OfficeNotFound.

    `refresh` reads the rows afresh over what the session holds, as a write must. It takes
    no lock: two edits racing on one office are told apart by its version column, and the
    loser gets VersionConflict (its author saw a version that is gone).

    `lock` (implies `refresh`) also takes the office's row lock until the transaction ends
    (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's writers already take turns): for a write
    that does not build on what its author saw, such as a verification, which waits for a
    concurrent one and then applies on top of it instead of failing.
    """
    stmt = select(Office).where(Office.id == office_id).options(*office_load_options())
    if lock:
        stmt = stmt.with_for_update(of=Office)
    if refresh or lock:
        stmt = stmt.execution_options(populate_existing=True)
    return visible_office(session.execute(stmt).scalar_one_or_none(), office_id, viewer=viewer)


def visible_office(office: Office | None, office_id: int, *, viewer: Principal | None) -> Office:
    """The office if it exists and `viewer` may see it, else OfficeNotFound."""
    if office is None:
        raise OfficeNotFound(office_id)
    if viewer is not None and not viewer.sees_confidential and office.organization.confidential:
        raise OfficeNotFound(office_id)
    return office


def get_organization(
    session: Session, organization_id: int, *, viewer: Principal | None = None
) -> Organization:
    stmt = (
        select(Organization)
        .where(Organization.id == organization_id)
        .options(selectinload(Organization.services))
        .execution_options(populate_existing=True)
    )
    org = session.execute(stmt).scalar_one_or_none()
    return visible_organization(org, organization_id, viewer=viewer)


def visible_organization(
    org: Organization | None, organization_id: int, *, viewer: Principal | None
) -> Organization:
    """The organisation if it exists and `viewer` may see it, else OrganizationNotFound."""
    if org is None or (viewer is not None and not viewer.sees_confidential and org.confidential):
        raise OrganizationNotFound(organization_id)
    return org


def get_phone(session: Session, phone_id: int) -> Phone:
    phone = session.get(Phone, phone_id)
    if phone is None:
        raise PhoneNotFound(phone_id)
    return phone
