"""Open Referral API (ORAPI) reads: our directory in HSDS shape, paged as ORAPI pages.

Services are offices, organizations are organisations; ids are the stable HSDS UUIDs of the
export. Confidential organisations are invisible to viewers who may not see them.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlmodel import Session

from app.directory.models import Office, Organization, OrganizationService
from app.directory.search import search_text_like
from app.directory.visibility import visible_to
from app.interop.hsds_documents import (
    compact,
    organization_doc,
    organization_summary,
    service_doc,
    service_summary,
)
from app.interop.hsds_records import load_offices, load_organizations
from app.interop.hsds_tables import HSDS_PROFILE, HSDS_VERSION
from app.interop.hsds_vocabulary import hsds_id, term_codes_by_id
from app.kit.clock import as_utc
from app.kit.errors import InvalidValue, NotFound
from app.kit.principal import Principal
from app.kit.text import fold, like_anywhere

MAX_PER_PAGE = 200


def api_info(*, base_url: str) -> dict[str, str]:
    """What `GET /hsds/` answers: the HSDS version, profile and where the OpenAPI lives."""
    return {
        "version": HSDS_VERSION,
        "profile": HSDS_PROFILE,
        "openapi_url": f"{base_url.rstrip('/')}/openapi.json",
    }


def _page(items: list[dict[str, Any]], *, total: int, page: int, per_page: int) -> dict:
    total_pages = math.ceil(total / per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(items),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": len(items) == 0,
        "contents": items,
    }


def _term_condition(taxonomy_term_id: str) -> ColumnElement[bool]:
    code = term_codes_by_id().get(taxonomy_term_id.strip().lower())
    if code is None:
        raise InvalidValue(
            f"'{taxonomy_term_id}' is not a term of the Homeward taxonomy",
            field="taxonomy_term_id",
        )
    kind, _, value = code.partition(":")
    match kind:
        case "category":
            return Organization.category == value
        case "service":
            return exists().where(
                OrganizationService.organization_id == Organization.id,
                OrganizationService.tag == value,
            )
        case "flag" if value == "meets_on_arrival":
            return Office.meets_on_arrival.is_(True)
        case "flag" if value == "confidential":
            return Organization.confidential.is_(True)
        case "flag" if value == "demo":
            return Organization.is_demo.is_(True)
        case "flag" if value == "organization_closed":
            return Organization.status == "closed"
    raise InvalidValue(
        f"'{taxonomy_term_id}' is a phone term; services cannot be filtered by it",
        field="taxonomy_term_id",
    )


def _common(
    *,
    viewer: Principal,
    search: str | None,
    taxonomy_term_id: str | None,
    modified_after: datetime | None,
    updated_at: Any,
) -> list[ColumnElement[bool]]:
    """The list filters; `updated_at` is the column `modified_after` compares."""
    conds: list[ColumnElement[bool]] = visible_to(viewer)
    if search and search.strip():
        conds.append(search_text_like(like_anywhere(fold(search))))
    if taxonomy_term_id:
        conds.append(_term_condition(taxonomy_term_id))
    if modified_after is not None:
        conds.append(updated_at >= _utc(modified_after))
    return conds


def _utc(value: datetime) -> datetime:
    # SQLite keeps naive UTC text: compare in UTC whatever offset the client sent.
    return (as_utc(value) or value).astimezone(UTC)


def _check_paging(page: int, per_page: int) -> None:
    if page < 1:
        raise InvalidValue("must be 1 or more", field="page")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidValue(f"must be between 1 and {MAX_PER_PAGE}", field="per_page")


def _ids_page(
    session: Session, ids: Select[Any], *, order: Any, page: int, per_page: int
) -> tuple[int, list[int]]:
    """How many ids `ids` selects, and the ids of one page of them in `order`."""
    total = session.execute(select(func.count()).select_from(ids.subquery())).scalar_one()
    offset = (page - 1) * per_page
    return total, list(
        session.execute(ids.order_by(order).limit(per_page).offset(offset)).scalars()
    )


def list_services(
    session: Session,
    *,
    viewer: Principal,
    search: str | None = None,
    taxonomy_term_id: str | None = None,
    modified_after: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """One ORAPI page of services (offices), one-to-one fields and their organization."""
    _check_paging(page, per_page)
    conds = _common(
        viewer=viewer,
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        modified_after=modified_after,
        updated_at=Office.updated_at,
    )
    base = (
        select(Office.id)
        .join(Organization, Organization.id == Office.organization_id)
        .where(*conds)
    )
    total, ids = _ids_page(session, base, order=Office.id, page=page, per_page=per_page)
    offices = load_offices(session, ids)
    return _page(
        [compact(service_summary(o)) for o in offices],
        total=total,
        page=page,
        per_page=per_page,
    )


def list_organizations(
    session: Session,
    *,
    viewer: Principal,
    search: str | None = None,
    taxonomy_term_id: str | None = None,
    modified_after: datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    """One ORAPI page of organizations (one-to-one fields)."""
    _check_paging(page, per_page)
    conds = _common(
        viewer=viewer,
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        modified_after=modified_after,
        updated_at=Organization.updated_at,
    )
    base = (
        select(Organization.id)
        .outerjoin(Office, Office.organization_id == Organization.id)
        .where(*conds)
        .distinct()
    )
    total, ids = _ids_page(session, base, order=Organization.id, page=page, per_page=per_page)
    orgs = load_organizations(session, ids)
    return _page(
        [compact(organization_summary(orgs[i])) for i in ids],
        total=total,
        page=page,
        per_page=per_page,
    )


def _uuid(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise NotFound(f"no record with id '{value}'", field="id") from exc


class _IdIndex:
    """HSDS UUID -> our id. uuid5 cannot be inverted, but the mapping is a pure function of
    the id, so it is computed once per id and kept; a miss computes only ids not seen yet."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.by_uuid: dict[str, int] = {}
        self.seen: set[int] = set()

    def lookup(self, session: Session, wanted: str, ids: Select[tuple[int]]) -> int | None:
        if wanted in self.by_uuid:
            return self.by_uuid[wanted]
        for our_id in session.execute(ids.execution_options(yield_per=5000)).scalars():
            if our_id not in self.seen:
                self.seen.add(our_id)
                self.by_uuid[hsds_id(self.kind, our_id)] = our_id
        return self.by_uuid.get(wanted)


_SERVICES = _IdIndex("service")
_ORGANIZATIONS = _IdIndex("organization")


def _office_id_for(session: Session, service_id: str, viewer: Principal) -> int:
    office_id = _SERVICES.lookup(session, _uuid(service_id), select(Office.id))
    if office_id is not None:
        stmt = (
            select(Organization.confidential)
            .join(Office, Office.organization_id == Organization.id)
            .where(Office.id == office_id)
        )
        confidential = session.execute(stmt).scalar_one_or_none()
        if confidential is not None and (viewer.sees_confidential or not confidential):
            return office_id
    raise NotFound(f"no service with id '{service_id}'", field="id")


def _org_id_for(session: Session, organization_id: str, viewer: Principal) -> int:
    org_id = _ORGANIZATIONS.lookup(session, _uuid(organization_id), select(Organization.id))
    if org_id is not None:
        stmt = select(Organization.confidential).where(Organization.id == org_id)
        confidential = session.execute(stmt).scalar_one_or_none()
        if confidential is not None and (viewer.sees_confidential or not confidential):
            return org_id
    raise NotFound(f"no organization with id '{organization_id}'", field="id")


def get_service(session: Session, *, service_id: str, viewer: Principal) -> dict[str, Any]:
    """A fully nested service, with its organization."""
    office_id = _office_id_for(session, service_id, viewer)
    (office,) = load_offices(session, [office_id])
    return compact(service_doc(office, with_organization=True))


def get_organization(
    session: Session, *, organization_id: str, viewer: Principal
) -> dict[str, Any]:
    """A fully nested organization, with every service."""
    org_id = _org_id_for(session, organization_id, viewer)
    orgs = load_organizations(session, [org_id])
    office_ids = list(
        session.execute(
            select(Office.id).where(Office.organization_id == org_id).order_by(Office.id)
        ).scalars()
    )
    offices = load_offices(session, office_ids, orgs=orgs)
    doc = organization_doc(orgs[org_id])
    doc["services"] = [service_doc(o) for o in offices]
    return compact(doc)
