"""Homeward records as Open Referral HSDS 3.0 objects, and back.

Our model maps onto HSDS like this:
- organisation -> `organization` (category, service tags and flags as `attribute`s of the
  Homeward taxonomy);
- office -> one `service` (status from ours), one `location` with one `address` (country = ISO
  3166-1 code, state_province = ISO 3166-2 region) and one `service_at_location`; opening
  hours -> a `schedule` description;
- phone -> `phone` (kind as an attribute, hours as description), languages -> `language`;
- every verification event and every approved change -> a `metadata` row.

Ids are UUIDs derived with uuid5 from our ids, so a re-export gives the same ids and a round
trip can be matched. HSDS requires some fields Homeward may not hold (an address's postal code,
an organisation's description...): those carry `NOT_RECORDED`, which the import reads back as
"no value".

Loading works in batches of plain rows (SQLAlchemy core), so exports stream with flat memory.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlmodel import Session

from app.config import get_settings
from app.directory.enums import Category, PhoneKind, ServiceTag
from app.directory.geography import region_name
from app.directory.models import (
    Office,
    OfficeLanguage,
    Organization,
    OrganizationService,
    Phone,
    Revision,
)
from app.directory.service import OFFICE_FIELD_COLUMNS, PHONE_FIELD_COLUMNS, active_phones_query
from app.kit.clock import as_utc
from app.verification.models import VerificationEvent

NOT_RECORDED = "not recorded"
EMPTY_VALUE = "(empty)"
TAXONOMY_NAME = "Homeward"

# Fields whose changes are verification, exported from verification events instead.
VERIFICATION_FIELDS = frozenset(
    {"last_verified_at", "verification_method", "verified_by", "stale_flagged_at"}
)

# A verification event as a metadata row: field, action prefix ("verified: <method>") and the
# parts of `updated_by` after the verifier ("<who>; approved by <reviewer>; source: <source>").
VERIFIED_FIELD = "last_verified_at"
VERIFIED_ACTION = "verified: "
VERIFIED_APPROVER = "; approved by "
VERIFIED_SOURCE = "; source: "

STATUS_TO_HSDS = {
    "active": "active",
    "temporarily_closed": "temporarily closed",
    "closed": "defunct",
}
STATUS_FROM_HSDS = {
    "active": "active",
    "temporarily closed": "temporarily_closed",
    "inactive": "temporarily_closed",
    "defunct": "closed",
}
# RFC 6350 TYPE values, which HSDS phone.type uses.
PHONE_KIND_TO_HSDS = {
    "voice": "voice",
    "mobile": "cell",
    "hotline": "voice",
    "whatsapp": "cell",
    "sms": "text",
    "fax": "fax",
}
PHONE_KIND_FROM_HSDS = {"voice": "voice", "cell": "mobile", "text": "sms", "fax": "fax"}


# ---- ids -------------------------------------------------------------------------------


@cache
def _namespace(base_url: str) -> Any:
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url.rstrip('/')}/hsds")
    return hashlib.sha1(namespace.bytes)


def hsds_id(kind: str, *parts: object) -> str:
    """A stable UUID for one of our records, e.g. hsds_id("service", 12).

    This is uuid5(namespace, "kind:part:…") computed with hashlib directly: an export makes
    a dozen ids per office, and uuid.UUID objects cost more than the hash.
    """
    digest = _namespace(get_settings().base_url).copy()
    digest.update(":".join((kind, *map(str, parts))).encode())
    raw = bytearray(digest.digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


# ---- the Homeward taxonomy ---------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return _term_id(self.code)


def _label(value: str) -> str:
    return value.replace("_", " ")


def _terms() -> list[Term]:
    terms = [
        Term(f"category:{c.value}", f"Category: {_label(c.value)}", f"Kind of organisation: {c}")
        for c in Category
    ]
    terms += [
        Term(f"service:{t.value}", f"Service: {_label(t.value)}", f"Offers {_label(t.value)}")
        for t in ServiceTag
    ]
    terms += [
        Term(f"phone_kind:{k.value}", f"Phone: {_label(k.value)}", f"A {k.value} number")
        for k in PhoneKind
    ]
    terms += [
        Term("flag:meets_on_arrival", "Meets on arrival", "Meets people at their arrival"),
        Term("flag:open_24_7", "Open 24/7", "Answers at any hour, every day"),
        Term("flag:confidential", "Confidential", "Never printed or shown to partners"),
        Term("flag:demo", "Demo data", "Fictional demonstration record"),
        Term("flag:organization_closed", "Organisation closed", "The organisation has closed"),
    ]
    return terms


TERMS: tuple[Term, ...] = tuple(_terms())
TERMS_BY_CODE = {t.code: t for t in TERMS}


@cache
def _term_id(code: str) -> str:
    return hsds_id("taxonomy_term", code)


@cache
def taxonomy_id() -> str:
    return hsds_id("taxonomy", TAXONOMY_NAME)


def taxonomy_doc() -> dict[str, Any]:
    return {
        "id": taxonomy_id(),
        "name": TAXONOMY_NAME,
        "description": "Homeward categories, service tags and flags",
        "uri": None,
        "version": "1",
    }


def term_doc(term: Term) -> dict[str, Any]:
    return {
        "id": term.id,
        "code": term.code,
        "name": term.name,
        "description": term.description,
        "parent_id": None,
        "taxonomy": TAXONOMY_NAME,
        "language": "en",
        "taxonomy_id": taxonomy_id(),
        "term_uri": None,
    }


@cache
def term_codes_by_id() -> dict[str, str]:
    return {t.id: t.code for t in TERMS}


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
    services: list[str] = field(default_factory=list)
    metadata: list[MetadataEntry] = field(default_factory=list)


@dataclass
class PhoneRecord:
    id: int
    number: str
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


# ---- HSDS documents ----------------------------------------------------------------------


def iso_datetime(value: datetime, *, exact: bool = False) -> str:
    """UTC, ISO 8601 with a Z; to the second unless `exact` (then microseconds are kept)."""
    value = (as_utc(value) or value).astimezone(UTC)
    if not exact:
        value = value.replace(microsecond=0)
    return value.replace(tzinfo=None).isoformat() + "Z"


def _email_or_none(value: str | None) -> str | None:
    if not value or "@" not in value:
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


@cache
def language_name(code: str) -> str:
    return str(Locale("en").languages.get(code) or code)


@cache
def _nested_term(code: str) -> dict[str, Any]:
    term = TERMS_BY_CODE[code]
    return {
        "id": term.id,
        "code": term.code,
        "name": term.name,
        "description": term.description,
        "taxonomy": TAXONOMY_NAME,
        "taxonomy_id": taxonomy_id(),
    }


def _attribute(link_entity: str, link_id: str, code: str, value: str | None = None) -> dict:
    term = _nested_term(code)  # shared and never mutated: built once per term
    return {
        "id": hsds_id("attribute", link_entity, link_id, code),
        "link_id": link_id,
        "taxonomy_term_id": term["id"],
        "link_type": code.split(":", 1)[0],
        "link_entity": link_entity,
        "value": value,
        "taxonomy_term": term,
    }


def _metadata(resource_type: str, resource_id: str, entries: list[MetadataEntry]) -> list[dict]:
    return [
        {
            "id": hsds_id("metadata", m.key),
            "resource_id": resource_id,
            "resource_type": resource_type,
            "last_action_date": m.at.date().isoformat(),
            "last_action_type": m.action,
            "field_name": m.field_name,
            "previous_value": m.previous,
            "replacement_value": m.replacement,
            "updated_by": m.updated_by,
        }
        for m in entries
    ]


def _language(owner: str, owner_id: str, code: str) -> dict[str, Any]:
    return {
        "id": hsds_id("language", owner, owner_id, code),
        "service_id": owner_id if owner == "service" else None,
        "location_id": None,
        "phone_id": owner_id if owner == "phone" else None,
        "name": language_name(code),
        "code": code,
        "note": None,
    }


def compact(value: Any) -> Any:
    """Drop null fields: HSDS JSON schemas type fields strictly, so absent beats null."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def organization_doc(org: OrgRecord) -> dict[str, Any]:
    """The HSDS organization (one-to-one fields, attributes and metadata; no services)."""
    org_id = hsds_id("organization", org.id)
    attributes = [
        _attribute("organization", org_id, f"category:{org.category}"),
        *(_attribute("organization", org_id, f"service:{tag}") for tag in org.services),
    ]
    for flag, on in (
        ("confidential", org.confidential),
        ("demo", org.is_demo),
        ("organization_closed", org.status == "closed"),
    ):
        if on:
            attributes.append(_attribute("organization", org_id, f"flag:{flag}", "true"))
    doc = {
        "id": org_id,
        "name": org.name,
        "alternate_name": org.local_name,
        "description": org.description or NOT_RECORDED,
        "email": org.email,
        "website": org.website,
        "tax_status": None,
        "tax_id": None,
        "year_incorporated": None,
        "legal_status": None,
        "logo": None,
        "uri": None,
        "parent_organization_id": None,
        "attributes": attributes,
        "metadata": _metadata("organization", org_id, org.metadata),
    }
    return doc


def _phone_doc(phone: PhoneRecord, service_id: str, location_id: str) -> dict[str, Any]:
    phone_id = hsds_id("phone", phone.id)
    attributes = [_attribute("phone", phone_id, f"phone_kind:{phone.kind}")]
    if phone.is_24_7:
        attributes.append(_attribute("phone", phone_id, "flag:open_24_7", "true"))
    return {
        "id": phone_id,
        "location_id": location_id,
        "service_id": service_id,
        "organization_id": None,
        "contact_id": None,
        "service_at_location_id": None,
        "number": phone.number,
        "extension": None,
        "type": PHONE_KIND_TO_HSDS.get(phone.kind, "voice"),
        "description": phone.hours,
        "languages": [_language("phone", phone_id, code) for code in phone.languages],
        "attributes": attributes,
        "metadata": _metadata("phone", phone_id, phone.metadata),
    }


def service_doc(office: OfficeRecord, *, with_organization: bool = False) -> dict[str, Any]:
    """One office as a fully nested HSDS service (location, address, phones, languages…)."""
    org = office.org
    service_id = hsds_id("service", office.id)
    location_id = hsds_id("location", office.id)
    org_id = hsds_id("organization", org.id)
    attributes = [
        _attribute("service", service_id, f"category:{org.category}"),
        *(_attribute("service", service_id, f"service:{tag}") for tag in org.services),
    ]
    if office.meets_on_arrival:
        attributes.append(_attribute("service", service_id, "flag:meets_on_arrival", "true"))
    verified = as_utc(office.last_verified_at)
    location = {
        "id": location_id,
        "location_type": "physical",
        "url": None,
        "organization_id": org_id,
        "name": office.name,
        "alternate_name": None,
        "description": None,
        "transportation": None,
        "latitude": office.latitude,
        "longitude": office.longitude,
        "external_identifier": None,
        "external_identifier_type": None,
        "addresses": [
            {
                "id": hsds_id("address", office.id),
                "location_id": location_id,
                "attention": None,
                "address_1": office.address or NOT_RECORDED,
                "address_2": None,
                "city": office.city or NOT_RECORDED,
                "region": region_name(office.region) if office.region else None,
                "state_province": office.region or NOT_RECORDED,
                "postal_code": office.postal_code or NOT_RECORDED,
                "country": office.country,
                "address_type": "physical",
            }
        ],
    }
    doc: dict[str, Any] = {
        "id": service_id,
        "organization_id": org_id,
        "program_id": None,
        "name": office.name or org.name,
        "alternate_name": None,
        "description": None,
        "url": office.website,
        "email": office.email,
        "status": STATUS_TO_HSDS[office.status],
        "interpretation_services": None,
        "application_process": None,
        "fees_description": None,
        "wait_time": None,
        "fees": None,
        "accreditations": None,
        "eligibility_description": None,
        "minimum_age": None,
        "maximum_age": None,
        "assured_date": verified.date().isoformat() if verified else None,
        "assurer_email": _email_or_none(office.verified_by) if verified else None,
        "licenses": None,
        "alert": None,
        "last_modified": iso_datetime(office.updated_at),
        "phones": [_phone_doc(p, service_id, location_id) for p in office.phones],
        "schedules": (
            [
                {
                    "id": hsds_id("schedule", office.id),
                    "service_id": service_id,
                    "location_id": None,
                    "service_at_location_id": None,
                    "description": office.opening_hours,
                }
            ]
            if office.opening_hours
            else []
        ),
        "service_at_locations": [
            {
                "id": hsds_id("service_at_location", office.id),
                "service_id": service_id,
                "location_id": location_id,
                "description": None,
                "location": location,
            }
        ],
        "languages": [_language("service", service_id, code) for code in office.languages],
        "attributes": attributes,
        "metadata": _metadata("service", service_id, office.metadata),
    }
    if with_organization:
        doc["organization"] = organization_doc(org)
    return doc


def service_summary(office: OfficeRecord) -> dict[str, Any]:
    """The one-to-one fields of a service, as ORAPI list pages carry them."""
    full = service_doc(office)
    keep = {k: v for k, v in full.items() if not isinstance(v, list) and k != "organization"}
    keep["organization"] = {
        k: v for k, v in organization_doc(office.org).items() if not isinstance(v, list)
    }
    return keep


def organization_summary(org: OrgRecord) -> dict[str, Any]:
    return {k: v for k, v in organization_doc(org).items() if not isinstance(v, list)}


# ---- flattening nested documents into tabular rows --------------------------------------

_CHILD_TABLES = {
    "services": "service",
    "phones": "phone",
    "languages": "language",
    "attributes": "attribute",
    "metadata": "metadata",
    "service_at_locations": "service_at_location",
    "addresses": "address",
    "schedules": "schedule",
    "locations": "location",
}
_SINGLE_CHILD_TABLES = {"location": "location"}


def flatten(table: str, doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (table, row) for a nested document and everything nested in it."""
    yield table, doc
    for key, value in doc.items():
        if key in _CHILD_TABLES and isinstance(value, list):
            for child in value:
                yield from flatten(_CHILD_TABLES[key], child)
        elif key in _SINGLE_CHILD_TABLES and isinstance(value, dict):
            yield from flatten(_SINGLE_CHILD_TABLES[key], value)


def _attached_rows(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The language, attribute and metadata rows attached to a service or phone document."""
    for language in doc["languages"]:
        yield "language", language
    for attribute in doc["attributes"]:
        yield "attribute", attribute
    for entry in doc["metadata"]:
        yield "metadata", entry


def service_rows(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """`flatten("service", service_doc(...))` unrolled for the shape service_doc makes: the
    export writes a dozen rows per office, and generator recursion costs more than the rows."""
    yield "service", doc
    for phone in doc["phones"]:
        yield "phone", phone
        yield from _attached_rows(phone)
    for schedule in doc["schedules"]:
        yield "schedule", schedule
    for sal in doc["service_at_locations"]:
        yield "service_at_location", sal
        location = sal["location"]
        yield "location", location
        for address in location["addresses"]:
            yield "address", address
    yield from _attached_rows(doc)


def grouped(rows: Iterator[tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for table, row in rows:
        out[table].append(row)
    return out
