"""Homeward records as Open Referral HSDS 3.0 objects, and back.

Our model maps onto HSDS like this:
- organisation -> `organization` (category, service tags and flags as `attribute`s of the
  Homeward taxonomy);
- office -> one `service` (status from ours), one `location` with one `address` (country = ISO
  3166-1 code, state_province = ISO 3166-2 region) and one `service_at_location`; opening
  hours -> a `schedule` description;
- phone -> `phone` (kind as an attribute, hours as description), languages -> `language`;
- every verification event and every approved change -> a `metadata` row.

Ids and vocabularies are in hsds_vocabulary.py, the batched loading in hsds_records.py and
the flattening of documents into tabular rows in hsds_rows.py.
"""

from __future__ import annotations

from functools import cache
from typing import Any, overload

from babel import Locale
from email_validator import EmailNotValidError, validate_email

from app.directory.geography import region_name
from app.interop.hsds_details import write_office_details, write_organization_details
from app.interop.hsds_records import MetadataEntry, OfficeRecord, OrgRecord, PhoneRecord
from app.interop.hsds_source import organization_from_source, service_from_source
from app.interop.hsds_vocabulary import (
    NOT_RECORDED,
    PHONE_KIND_TO_HSDS,
    STATUS_TO_HSDS,
    TAXONOMY_NAME,
    TERMS_BY_CODE,
    hsds_id,
    iso_datetime,
    taxonomy_id,
)
from app.kit.clock import as_utc
from app.kit.text import is_whole_number

# ---- HSDS documents ----------------------------------------------------------------------


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


def _attribute(
    link_entity: str, link_id: str, code: str, value: str | None = None
) -> dict[str, Any]:
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


def _metadata(
    resource_type: str, resource_id: str, entries: list[MetadataEntry]
) -> list[dict[str, Any]]:
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


def _language(owner: str, owner_id: str, code: str, note: str | None = None) -> dict[str, Any]:
    return {
        "id": hsds_id("language", owner, owner_id, code),
        "service_id": owner_id if owner == "service" else None,
        "location_id": None,
        "phone_id": owner_id if owner == "phone" else None,
        "name": language_name(code),
        "code": code,
        "note": note,
    }


@overload
def compact(value: dict[str, Any]) -> dict[str, Any]: ...
@overload
def compact(value: list[Any]) -> list[Any]: ...
def compact(value: Any) -> Any:
    """Drop null fields (in nested values too): HSDS JSON schemas type fields strictly, so
    absent beats null."""
    if isinstance(value, dict):
        return {k: compact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def organization_id(org: OrgRecord) -> str:
    """The organisation's HSDS id: its source's when it was imported, else ours."""
    if org.hsds_source is not None:
        source_id = org.hsds_source["organization"].get("id")
        if isinstance(source_id, str) and source_id:
            return source_id
    return hsds_id("organization", org.id)


def organization_doc(org: OrgRecord) -> dict[str, Any]:
    """The HSDS organization (one-to-one fields, attributes and metadata; no services); an
    imported one is its source record with our changes (hsds_source)."""
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
    if org.hsds_source is not None:
        doc = organization_from_source(org, doc)
    write_organization_details(doc, org.id, org.identifiers)
    return doc


def _extension(extension: str | None) -> int | str | None:
    """HSDS types an extension as a number: digits go out as one."""
    return int(extension) if extension and is_whole_number(extension) else extension


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
        "extension": _extension(phone.extension),
        "type": PHONE_KIND_TO_HSDS.get(phone.kind, "voice"),
        "description": phone.hours,
        "languages": [_language("phone", phone_id, code) for code in phone.languages],
        "attributes": attributes,
        "metadata": _metadata("phone", phone_id, phone.metadata),
    }


def _schedules(office: OfficeRecord, service_id: str) -> list[dict[str, Any]]:
    """The structured opening hours, then the free-text ones unless a schedule says them."""
    out = [
        {
            **schedule,
            "id": hsds_id("schedule", office.id, n),
            "service_id": service_id,
            "location_id": None,
            "service_at_location_id": None,
        }
        for n, schedule in enumerate(office.schedules or [])
    ]
    if office.opening_hours and all(s.get("description") != office.opening_hours for s in out):
        out.append(
            {
                "id": hsds_id("schedule", office.id),
                "service_id": service_id,
                "location_id": None,
                "service_at_location_id": None,
                "description": office.opening_hours,
            }
        )
    return out


def service_doc(office: OfficeRecord, *, with_organization: bool = False) -> dict[str, Any]:
    """One office as a fully nested HSDS service (location, address, phones, languages…)."""
    org = office.org
    service_id = hsds_id("service", office.id)
    location_id = hsds_id("location", office.id)
    org_id = organization_id(org)
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
                "address_2": office.address_2,
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
        "name": office.service_name or office.name or org.name,
        "alternate_name": None,
        "description": office.service_description,
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
        "schedules": _schedules(office, service_id),
        "service_at_locations": [
            {
                "id": hsds_id("service_at_location", office.id),
                "service_id": service_id,
                "location_id": location_id,
                "description": None,
                "location": location,
            }
        ],
        "languages": [
            _language("service", service_id, code, (office.language_notes or {}).get(code))
            for code in office.languages
        ],
        "attributes": attributes,
        "metadata": _metadata("service", service_id, office.metadata),
    }
    if office.hsds_source is not None:
        doc = service_from_source(office, doc)
    write_office_details(
        doc,
        office.id,
        {
            "service_areas": office.service_areas,
            "contacts": office.contacts,
            "accessibility": office.accessibility,
        },
    )
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
