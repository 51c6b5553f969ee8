"""Open Referral API (ORAPI) reads: our directory in HSDS shape, paged as ORAPI pages.

Services are offices, organizations are organisations, each office is also one
service_at_location; ids are the stable HSDS UUIDs of the export. Confidential organisations
are invisible to viewers who may not see them: `_visible` is the one filter every read applies.
Lists are counted and cut in SQL (`orapi_paging`); `format=ndjson` streams every record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session

from app.directory.models import Office, Organization
from app.directory.search import search_text_like
from app.directory.visibility import exportable_to
from app.interop import orapi_documents as docs
from app.interop import orapi_proximity as near
from app.interop.hsds_documents import (
    compact,
    organization_doc,
    organization_summary,
    service_doc,
    service_summary,
)
from app.interop.hsds_records import load_offices, load_organizations
from app.interop.hsds_tables import HSDS_PROFILE, HSDS_VERSION
from app.interop.hsds_vocabulary import hsds_id
from app.interop.orapi_paging import (
    Answer,
    EmptyIds,
    IdSource,
    Listing,
    RankedIds,
    SqlIds,
    answer,
)
from app.interop.orapi_taxonomy import taxonomy_condition, term_condition
from app.kit.clock import as_utc
from app.kit.errors import InvalidValue, NotFound
from app.kit.principal import Principal
from app.kit.text import fold, like_anywhere
from app.sheets.nearest import centroid, located


def api_info(*, openapi_url: str) -> dict[str, str]:
    """What `GET /hsds/` answers: the HSDS version, profile and where the OpenAPI lives."""
    return {"version": HSDS_VERSION, "profile": HSDS_PROFILE, "openapi_url": openapi_url}


# The columns a statement selects, kept through the joins and filters added to it.
Columns = TypeVarTuple("Columns")


@dataclass(frozen=True)
class Filters:
    """ORAPI's list filters; each endpoint passes those its operation has."""

    search: str | None = None
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    organization_id: str | None = None
    modified_after: datetime | None = None
    postcode: str | None = None
    proximity: str | None = None


def _visible(viewer: Principal) -> list[ColumnElement[bool]]:
    """The clauses (over Organization) hiding what `viewer` may not see, for every read:
    confidential organisations leave through ORAPI only for keys that may export them."""
    return exportable_to(viewer)


def _utc(value: datetime) -> datetime:
    # SQLite keeps naive UTC text: compare in UTC whatever offset the client sent.
    return (as_utc(value) or value).astimezone(UTC)


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


class _IdIndex:
    """HSDS UUID -> our id. uuid5 cannot be inverted, but the mapping is a pure function of
    the id, so it is computed once per id and kept; a miss computes only ids not seen yet."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.by_uuid: dict[str, int] = {}
        self.seen: set[int] = set()

    def lookup(self, session: Session, wanted: str, ids: Select[int]) -> int | None:
        key = _uuid(wanted)
        if key is None:
            return None
        if key in self.by_uuid:
            return self.by_uuid[key]
        for our_id in session.execute(ids.execution_options(yield_per=5000)).scalars():
            if our_id not in self.seen:
                self.seen.add(our_id)
                self.by_uuid[hsds_id(self.kind, our_id)] = our_id
        return self.by_uuid.get(key)


_SERVICES = _IdIndex("service")
_SERVICE_AT_LOCATIONS = _IdIndex("service_at_location")
_ORGANIZATIONS = _IdIndex("organization")


def _conditions(
    session: Session, viewer: Principal, filters: Filters, *, updated_at: Any
) -> list[ColumnElement[bool]]:
    """The WHERE clauses (over Office joined to Organization) of the filters; `updated_at` is
    the column `modified_after` compares. An unknown id in a filter matches nothing."""
    conds = _visible(viewer)
    if filters.search and filters.search.strip():
        conds.append(search_text_like(like_anywhere(fold(filters.search))))
    if filters.taxonomy_term_id is not None:
        conds.append(term_condition(filters.taxonomy_term_id))
    if filters.taxonomy_id is not None:
        conds.append(taxonomy_condition(filters.taxonomy_id))
    if filters.organization_id is not None:
        org_id = _ORGANIZATIONS.lookup(session, filters.organization_id, select(Organization.id))
        conds.append(false() if org_id is None else Organization.id == org_id)
    if filters.modified_after is not None:
        conds.append(updated_at >= _utc(filters.modified_after))
    return conds


def _office_ids(session: Session, viewer: Principal, filters: Filters) -> IdSource:
    """The offices the filters keep: by id, or nearest first for a proximity search."""
    conds = _conditions(session, viewer, filters, updated_at=Office.updated_at)
    if filters.proximity is None:
        if filters.postcode is not None:
            conds.append(near.postcode_condition(filters.postcode))
        return SqlIds(_offices_where(select(Office.id), conds), Office.id)
    metres = near.parse_proximity(filters.proximity)
    if filters.postcode is None or not filters.postcode.strip():
        raise InvalidValue(
            "needs a postcode: it is the distance in metres from the postcode's centroid",
            field="proximity",
        )
    points = session.execute(
        _offices_where(
            select(Office.latitude, Office.longitude),
            [*_visible(viewer), near.postcode_condition(filters.postcode), near.has_coordinates()],
        )
    ).all()
    origin = centroid(located(points))
    if origin is None:
        return EmptyIds()  # no office we know of places this postcode
    candidates = session.execute(
        _offices_where(
            select(Office.id, Office.latitude, Office.longitude),
            [*conds, *near.bounding_box(origin, metres)],
        )
    ).all()
    located_candidates = [
        (office_id, lat, lon)
        for office_id, lat, lon in candidates
        if lat is not None and lon is not None
    ]
    return RankedIds(near.nearest_within(origin, metres, located_candidates))


def _offices_where(stmt: Select[*Columns], conds: list[ColumnElement[bool]]) -> Select[*Columns]:
    return stmt.join(Organization, Organization.id == Office.organization_id).where(*conds)


# ---- services ----------------------------------------------------------------------------


def _service_summaries(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    return [compact(service_summary(o)) for o in load_offices(session, ids)]


def _full_services(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    return [compact(service_doc(o, with_organization=True)) for o in load_offices(session, ids)]


def _minimal_services(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    stmt = _offices_where(
        select(Office.id, Office.name, Organization.name, Office.status, Office.updated_at),
        [Office.id.in_(ids)],
    )
    rows = {row[0]: row for row in session.execute(stmt)}
    return [
        docs.minimal_service(i, name=office or org, status=status, updated_at=updated_at)
        for i, office, org, status, updated_at in (rows[i] for i in ids if i in rows)
    ]


def list_services(
    session: Session, *, viewer: Principal, filters: Filters, listing: Listing
) -> Answer:
    """Services (offices): one-to-one fields with their organization; `full` nests
    everything, `minimal` keeps id, name, status and last_modified."""
    load = (
        _minimal_services
        if listing.minimal
        else _full_services
        if listing.full
        else _service_summaries
    )
    return answer(session, _office_ids(session, viewer, filters), load, listing)


def list_service_at_locations(
    session: Session, *, viewer: Principal, filters: Filters, listing: Listing
) -> Answer:
    """Service_at_locations (one per office): location and service, one-to-one fields, or
    fully nested with `full`. `postcode` and `proximity` as `orapi_proximity` reads them."""

    def load(session: Session, ids: list[int]) -> list[dict[str, Any]]:
        shape = docs.service_at_location_doc if listing.full else docs.service_at_location_summary
        return [compact(shape(o)) for o in load_offices(session, ids)]

    return answer(session, _office_ids(session, viewer, filters), load, listing)


def _office_id_for(
    session: Session, index: _IdIndex, wanted: str, viewer: Principal, what: str
) -> int:
    office_id = index.lookup(session, wanted, select(Office.id))
    # No stored id holds a NUL, and PostgreSQL refuses one in a text parameter.
    if office_id is None and index is _SERVICES and "\x00" not in wanted:
        # An imported service is exported under its source's id (interop.hsds_source).
        office_id = session.execute(
            select(Office.id)
            .where(
                or_(
                    Office.external_id == wanted,
                    Office.external_id.startswith(f"{wanted}@", autoescape=True),
                )
            )
            .order_by(Office.id)
            .limit(1)
        ).scalar_one_or_none()
    if office_id is not None:
        stmt = _offices_where(select(Office.id), [Office.id == office_id, *_visible(viewer)])
        if session.execute(stmt).scalar_one_or_none() is not None:
            return office_id
    raise NotFound(f"no {what} with id '{wanted}'", field="id")


def get_service(session: Session, *, service_id: str, viewer: Principal) -> dict[str, Any]:
    """A fully nested service, with its organization."""
    office_id = _office_id_for(session, _SERVICES, service_id, viewer, "service")
    (office,) = load_offices(session, [office_id])
    return compact(service_doc(office, with_organization=True))


def get_service_at_location(
    session: Session, *, service_at_location_id: str, viewer: Principal
) -> dict[str, Any]:
    """A fully nested service_at_location: location, phones, schedules and the service."""
    office_id = _office_id_for(
        session, _SERVICE_AT_LOCATIONS, service_at_location_id, viewer, "service_at_location"
    )
    (office,) = load_offices(session, [office_id])
    return compact(docs.service_at_location_doc(office))


# ---- organizations -----------------------------------------------------------------------


def _organization_docs(
    session: Session, org_ids: list[int], *, full: bool, full_service: bool
) -> list[dict[str, Any]]:
    """Organizations in the order given: one-to-one fields, or (`full`) nested with their
    services, each service fully nested with `full_service`, else its one-to-one fields."""
    orgs = load_organizations(session, org_ids)
    if not full:
        return [compact(organization_summary(orgs[i])) for i in org_ids]
    office_ids = list(
        session.execute(
            select(Office.id)
            .where(Office.organization_id.in_(org_ids))
            .order_by(Office.organization_id, Office.id)
        ).scalars()
    )
    services: dict[int, list[dict[str, Any]]] = {i: [] for i in org_ids}
    for office in load_offices(session, office_ids, orgs=orgs):
        doc = service_doc(office)
        services[office.organization_id].append(doc if full_service else docs.one_to_one(doc))
    return [compact({**organization_doc(orgs[i]), "services": services[i]}) for i in org_ids]


def list_organizations(
    session: Session, *, viewer: Principal, filters: Filters, listing: Listing
) -> Answer:
    """Organizations: one-to-one fields, or fully nested with `full` (their services' own
    fields, or the services fully nested with `full_service`)."""
    conds = _conditions(session, viewer, filters, updated_at=Organization.updated_at)
    ids = (
        select(Organization.id)
        .outerjoin(Office, Office.organization_id == Organization.id)
        .where(*conds)
        .distinct()
    )

    def load(session: Session, org_ids: list[int]) -> list[dict[str, Any]]:
        return _organization_docs(
            session, org_ids, full=listing.full, full_service=listing.full_service
        )

    return answer(session, SqlIds(ids, Organization.id), load, listing)


def get_organization(
    session: Session, *, organization_id: str, viewer: Principal, full_service: bool = False
) -> dict[str, Any]:
    """A fully nested organization with its services: their one-to-one fields, or fully
    nested with `full_service`."""
    org_id = _ORGANIZATIONS.lookup(session, organization_id, select(Organization.id))
    if org_id is not None:
        stmt = select(Organization.id).where(Organization.id == org_id, *_visible(viewer))
        if session.execute(stmt).scalar_one_or_none() is not None:
            (doc,) = _organization_docs(session, [org_id], full=True, full_service=full_service)
            return doc
    raise NotFound(f"no organization with id '{organization_id}'", field="id")
