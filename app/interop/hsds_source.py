"""A lossless HSDS round trip: what an import keeps of its source, and how exports give it back.

An imported office keeps, beside the fields Homeward models, its source record as it came
(`Office.hsds_source`, `Organization.hsds_source`): the HSDS service at this one location with
everything nested in it (cost options, funding, program, required documents, attributes and
metadata of the source…), and the values the import took from it (`taken`, before the
directory's checks). Its structured opening hours, the service's name and description, the
second address line and language notes are data (`Office.schedules`, `.service_name`…), and
`Office.external_id` ("<service id>@<location id>") lets a second import of the same dataset
match the office again. Service areas, contacts, accessibility and organisation identifiers
are data too, their rows kept here only as skeletons (ids, links, unmodelled columns) and
written back from the data (hsds_details).

An export starts from the source record and puts Homeward's value only where the directory
now holds something else than what the import took (a correction approved since, a reviewer's
edit), so an approved, untouched record comes back with every field and table as the source
gave it. Homeward-generated rows are added, never put in place of the source's: its taxonomy
attributes, its `metadata` rows (revisions and verifications) and the service's
`last_modified`. Values the directory's checks refused (a region it does not know, a phone of
another country) were never taken: the source's stay in the export.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from app.directory.details import OFFICE_DETAILS, ORGANIZATION_DETAILS
from app.directory.geography import region_name
from app.directory.phone_numbers import InvalidPhoneNumber, to_e164
from app.directory.schemas import OfficeUpdate, OrganizationUpdate, Schedule
from app.directory.service import OFFICE_FIELDS
from app.interop.hsds_details import skeletons, source_value
from app.interop.hsds_records import OfficeRecord, OrgRecord
from app.interop.hsds_vocabulary import (
    NOT_RECORDED,
    STATUS_TO_HSDS,
    VERIFIED_ACTION,
    VERIFIED_FIELD,
    term_codes_by_id,
)

# The office fields an import takes (meets_on_arrival is an attribute of ours, added anyway).
OFFICE_TAKEN = (
    *(f for f in OFFICE_FIELDS if f != "meets_on_arrival"),
    "languages",
    "schedules",
    "service_name",
    "service_description",
    "address_2",
    "language_notes",
)
ORGANIZATION_TAKEN = ("name", "local_name", "description", "email", "website")
SCHEDULE_FIELDS = tuple(Schedule.model_fields)
_STRUCTURED = {"opens_at", "closes_at", "byday", "bymonthday", "valid_from", "valid_to"}
# A source's unmodelled rows that link to no record of the package ride on its first record.
UNLINKED = "unlinked"
_LEFT_OUT = object()


# ---- import: what is kept -----------------------------------------------------------------


def structured_schedules(schedules: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The structured opening hours of HSDS schedules (Homeward's `Schedule` fields), or None
    when none gives hours, days or dates."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for schedule in schedules:
        schedule_id = source_value(schedule.get("id"))
        if isinstance(schedule_id, str):
            if schedule_id in seen:
                continue  # one schedule of the service, its location and both
            seen.add(schedule_id)
        picked = {k: v for k in SCHEDULE_FIELDS if (v := source_value(schedule.get(k))) is not None}
        if picked.keys() & _STRUCTURED:
            out.append(picked)
    return out or None


def external_id(service: dict[str, Any], location: dict[str, Any]) -> str | None:
    service_id = source_value(service.get("id"))
    if not isinstance(service_id, str):
        return None
    location_id = source_value(location.get("id"))
    return f"{service_id}@{location_id}" if isinstance(location_id, str) else service_id


def _not_regenerated(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` without what Homeward makes again from what the import reads: attributes of the
    Homeward taxonomy (category, services, flags) and verification metadata rows (they become
    verification events)."""
    ours = term_codes_by_id()
    out = dict(doc)
    if isinstance(doc.get("attributes"), list):
        out["attributes"] = [
            a
            for a in doc["attributes"]
            if not (isinstance(a, dict) and str(a.get("taxonomy_term_id") or "").lower() in ours)
        ]
    if isinstance(doc.get("metadata"), list):
        out["metadata"] = [
            m
            for m in doc["metadata"]
            if not (
                isinstance(m, dict)
                and m.get("field_name") == VERIFIED_FIELD
                and str(m.get("last_action_type") or "").startswith(VERIFIED_ACTION)
            )
        ]
    return out


def office_source(
    service: dict[str, Any], sal: dict[str, Any], office: dict[str, Any]
) -> dict[str, Any]:
    """The source record of one office: the service at this location only, without its
    organisation (kept on the organisation), and the values the import took from it."""
    kept = {
        k: v
        for k, v in _not_regenerated(service).items()
        if k not in ("organization", "service_at_locations")
    }
    kept["service_at_locations"] = [sal] if sal else []
    # What the import took of these rows is the office's, not kept twice (hsds_details).
    kept = skeletons(kept, {f: office.get(f) for f in OFFICE_DETAILS})
    taken = {k: office.get(k) for k in OFFICE_TAKEN}
    taken["phones"] = office.get("phones", [])
    return {"service": kept, "taken": taken}


def organization_source(org: dict[str, Any], organization: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in _not_regenerated(org).items() if k != "services"}
    kept = skeletons(kept, {f: organization.get(f) for f in ORGANIZATION_DETAILS})
    return {"organization": kept, "taken": {k: organization.get(k) for k in ORGANIZATION_TAKEN}}


# ---- export: what differs from what was taken -------------------------------------------


def _normalised(model: type[BaseModel], field: str, value: Any) -> Any:
    """`value` as the directory stores it (its own checks), or _LEFT_OUT when they refuse it."""
    if value is None:
        return None
    try:
        checked = model.model_validate({field: value}).model_dump(mode="json", warnings=False)
    except ValidationError:
        return _LEFT_OUT
    out = checked[field]
    return sorted(set(out)) if field == "languages" else out


def _changed(model: type[BaseModel], taken: dict[str, Any], current: dict[str, Any]) -> set[str]:
    """The fields whose value now is not the one the import took (as the directory stores it)."""
    out = set()
    for field, now in current.items():
        before = _normalised(model, field, taken.get(field))
        if isinstance(before, str) and field in ("country", "region"):
            before = before.upper()
        if before is _LEFT_OUT:
            before = None  # never taken: the record holds nothing of it unless edited since
        if (before or None) != (now or None):
            out.add(field)
    return out


def _phone_key(phone: dict[str, Any], country: str) -> tuple[Any, ...] | None:
    try:
        number = to_e164(str(phone.get("number")), country)
    except InvalidPhoneNumber:
        return None
    return (
        number,
        phone.get("extension"),
        phone.get("kind"),
        phone.get("hours"),
        bool(phone.get("is_24_7")),
    )


def _phones_changed(office: OfficeRecord, taken: list[dict[str, Any]]) -> bool:
    before = {k for p in taken if (k := _phone_key(p, office.country)) is not None}
    now = {(p.number, p.extension, p.kind, p.hours, p.is_24_7) for p in office.phones}
    return before != now


def _current_office(office: OfficeRecord) -> dict[str, Any]:
    values = {f: getattr(office, f) for f in OFFICE_TAKEN if f not in ("languages", "schedules")}
    values["languages"] = sorted(office.languages)
    values["schedules"] = office.schedules
    return values


def _repointed(rows: list[dict[str, Any]], key: str, old: str, new: str) -> list[dict[str, Any]]:
    return [{**r, key: new} if r.get(key) == old else r for r in rows]


def _address(location: dict[str, Any]) -> dict[str, Any]:
    addresses = location.setdefault("addresses", [])
    if not addresses:
        addresses.append({"address_type": "physical"})
    physical = [a for a in addresses if a.get("address_type") == "physical"] or addresses
    found: dict[str, Any] = physical[0]
    return found


def _place_patches(office: OfficeRecord) -> dict[str, Callable[[dict[str, Any]], None]]:
    """How each changed office field is written into the source's location."""

    def address(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
        return lambda location: _address(location).update({field: value})

    return {
        "name": lambda location: location.update(name=office.name),
        "latitude": lambda location: location.update(latitude=office.latitude),
        "longitude": lambda location: location.update(longitude=office.longitude),
        "address": address("address_1", office.address or NOT_RECORDED),
        "address_2": address("address_2", office.address_2),
        "city": address("city", office.city or NOT_RECORDED),
        "postal_code": address("postal_code", office.postal_code or NOT_RECORDED),
        "country": address("country", office.country),
        "region": lambda location: _address(location).update(
            state_province=office.region or NOT_RECORDED,
            region=region_name(office.region) if office.region else None,
        ),
    }


def service_from_source(office: OfficeRecord, homeward: dict[str, Any]) -> dict[str, Any]:
    """The HSDS service of an imported office: its source record, with Homeward's values
    where they now differ from what was taken, and Homeward's attributes and metadata added.
    `homeward` is the service as Homeward alone would export it (hsds_documents.service_doc)."""
    assert office.hsds_source is not None
    source, taken = office.hsds_source["service"], office.hsds_source.get("taken", {})
    doc: dict[str, Any] = copy.deepcopy(source)
    own_id, doc_id = homeward["id"], doc.get("id") or homeward["id"]
    changed = _changed(OfficeUpdate, taken, _current_office(office))
    sals = doc.setdefault("service_at_locations", [])
    if not sals:
        sals.append(copy.deepcopy(homeward["service_at_locations"][0]))
    location = sals[0].setdefault("location", homeward["service_at_locations"][0]["location"])
    for field, patch in _place_patches(office).items():
        if field in changed:
            patch(location)
    for field, hsds_field in (("service_name", "name"), ("service_description", "description")):
        if field in changed:
            doc[hsds_field] = homeward[hsds_field]
    if "email" in changed:
        doc["email"] = office.email
    if "website" in changed:
        doc["url"] = office.website
    if "status" in changed:
        doc["status"] = STATUS_TO_HSDS[office.status]
    if changed & {"opening_hours", "schedules"}:
        for holder in (doc, sals[0], location):
            holder.pop("schedules", None)
        doc["schedules"] = _repointed(homeward["schedules"], "service_id", own_id, doc_id)
    if changed & {"languages", "language_notes"}:
        location.pop("languages", None)
        doc["languages"] = _repointed(homeward["languages"], "service_id", own_id, doc_id)
    if _phones_changed(office, taken.get("phones", [])):
        for holder in (doc, sals[0], location):
            holder.pop("phones", None)
        phones = _repointed(homeward["phones"], "service_id", own_id, doc_id)
        doc["phones"] = _repointed(
            phones, "location_id", homeward_location(homeward), location.get("id")
        )
    doc["organization_id"] = homeward["organization_id"]
    doc["last_modified"] = homeward["last_modified"]
    if homeward.get("assured_date") and homeward["assured_date"] > str(
        doc.get("assured_date") or ""
    ):
        doc["assured_date"], doc["assurer_email"] = (
            homeward["assured_date"],
            homeward.get("assurer_email"),
        )
    doc["attributes"] = [
        *doc.get("attributes", []),
        *_repointed(homeward["attributes"], "link_id", own_id, doc_id),
    ]
    doc["metadata"] = [
        *doc.get("metadata", []),
        *_repointed(homeward["metadata"], "resource_id", own_id, doc_id),
    ]
    return doc


def homeward_location(homeward: dict[str, Any]) -> str:
    location_id: str = homeward["service_at_locations"][0]["location"]["id"]
    return location_id


def organization_from_source(org: OrgRecord, homeward: dict[str, Any]) -> dict[str, Any]:
    """The HSDS organization of an imported organisation, as `service_from_source` does it."""
    assert org.hsds_source is not None
    doc: dict[str, Any] = copy.deepcopy(org.hsds_source["organization"])
    own_id, doc_id = homeward["id"], doc.get("id") or homeward["id"]
    current = {f: getattr(org, f) for f in ORGANIZATION_TAKEN}
    changed = _changed(OrganizationUpdate, org.hsds_source.get("taken", {}), current)
    for field, hsds_field in (
        ("name", "name"),
        ("local_name", "alternate_name"),
        ("description", "description"),
        ("email", "email"),
        ("website", "website"),
    ):
        if field in changed:
            doc[hsds_field] = homeward[hsds_field]
    doc["id"] = doc_id
    doc["attributes"] = [
        *doc.get("attributes", []),
        *_repointed(homeward["attributes"], "link_id", own_id, doc_id),
    ]
    doc["metadata"] = [
        *doc.get("metadata", []),
        *_repointed(homeward["metadata"], "resource_id", own_id, doc_id),
    ]
    return doc
