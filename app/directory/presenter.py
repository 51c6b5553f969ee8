"""Turn loaded rows into the public shapes the API, web pages and sheets share."""

from __future__ import annotations

from datetime import datetime

from app.config import Settings
from app.directory import revisions
from app.directory.freshness import office_freshness
from app.directory.geography import country_name, region_name
from app.directory.models import Office, Organization, Phone, Revision
from app.directory.phone_numbers import stored_display
from app.directory.printable import active_phones
from app.directory.schemas import (
    ContactPublic,
    OrganizationPublic,
    OrganizationSummary,
    PhonePublic,
    RevisionPublic,
)
from app.kit.clock import as_utc


def phone_public(phone: Phone) -> PhonePublic:
    """The phone as stored, with the display forms saved with it (or computed when none were)."""
    shown = stored_display(phone.number, phone.national, phone.international, phone.number_type)
    stored = PhonePublic.model_validate(phone, from_attributes=True)
    return stored.model_copy(
        update={
            "national": shown.national,
            "international": shown.international,
            "number_type": shown.type,
        }
    )


def organization_summary(org: Organization) -> OrganizationSummary:
    return OrganizationSummary.model_validate(org)


def organization_public(org: Organization) -> OrganizationPublic:
    return OrganizationPublic.model_validate(org)


def contact_public(
    office: Office, *, now: datetime, settings: Settings, lang: str = "en"
) -> ContactPublic:
    org = office.organization
    assert office.id is not None and org.id is not None
    return ContactPublic(
        id=office.id,
        organization=organization_summary(org),
        name=office.name,
        category=org.category,
        country=office.country,
        country_name=country_name(office.country, lang),
        region=office.region,
        region_name=region_name(office.region, lang),
        nationwide=office.region is None,
        city=office.city,
        address=office.address,
        address_2=office.address_2,
        postal_code=office.postal_code,
        latitude=office.latitude,
        longitude=office.longitude,
        opening_hours=office.opening_hours,
        schedules=office.schedules,
        service_name=office.service_name,
        service_description=office.service_description,
        language_notes=office.language_notes,
        service_areas=office.service_areas,
        contacts=office.contacts,
        accessibility=office.accessibility,
        email=office.email,
        website=office.website or org.website,
        languages=office.language_codes,
        services=org.service_tags,
        meets_on_arrival=office.meets_on_arrival,
        status=office.status,
        phones=[phone_public(p) for p in active_phones(office)],
        last_verified_at=as_utc(office.last_verified_at),
        verified_by=office.verified_by,
        verification_method=office.verification_method,
        freshness=office_freshness(office, category=org.category, now=now, settings=settings),
        version=office.version,
        created_at=as_utc(office.created_at) or now,
        updated_at=as_utc(office.updated_at) or now,
    )


def revision_public(rev: Revision) -> RevisionPublic:
    """The revision as stored, its old and new values decoded."""
    stored = RevisionPublic.model_validate(rev, from_attributes=True)
    return stored.model_copy(
        update={
            "old_value": revisions.decode(rev.old_value),
            "new_value": revisions.decode(rev.new_value),
        }
    )
