"""Plain factories: `make_x(session, **overrides)`. They flush, never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict, Unpack

from sqlalchemy.orm import Session

from app.auth.service import IssuedKey, create_key
from app.directory import lookup, service
from app.directory.models import Office, Organization, Phone
from app.directory.provenance import Provenance
from app.directory.schemas import OfficeCreate, OrganizationCreate
from app.kit.clock import utcnow
from app.kit.principal import Principal
from app.verification import partners
from app.verification.service import record_verification

TEST_ACTOR = Principal(name="test-admin", role="admin")
TEST_PROVENANCE = Provenance(actor="test-admin", source="test", approved_by="test-admin")

# Valid for phonenumbers, from example ranges: NG, AL, BR.
NG_PHONE = "+2348031234567"
NG_PHONE_2 = "+2348031234568"
AL_PHONE = "+35522345678"
BR_PHONE = "+551123456789"

# Where make_office puts an office in each test country unless told otherwise: a region,
# a city, the language and a phone of that country. In any other country the test says
# where (and gives the phones).
PLACES: dict[str, dict[str, Any]] = {
    "NG": {"region": "NG-LA", "city": "Lagos", "languages": ["en"], "phone": NG_PHONE},
    "AL": {"region": "AL-11", "city": "Tiranë", "languages": ["sq"], "phone": AL_PHONE},
    "BR": {"region": "BR-SP", "city": "São Paulo", "languages": ["pt"], "phone": BR_PHONE},
}
ELSEWHERE: dict[str, Any] = {"region": None, "city": None, "languages": ["en"], "phone": None}


def make_org(session: Session, **overrides: Any) -> Organization:
    data: dict[str, Any] = {
        "name": "Example Support Centre (demo)",
        "category": "ngo",
        "services": ["shelter"],
    }
    data.update(overrides)
    return service.create_organization(
        session, data=OrganizationCreate(**data), provenance=TEST_PROVENANCE
    )


def make_office(
    session: Session,
    *,
    org: Organization | None = None,
    country: str = "NG",
    verified_at: datetime | str | None = "now",
    **overrides: Any,
) -> Office:
    """An office with one phone in the `country`'s place (Lagos, NG-LA, by default),
    verified now unless told otherwise."""
    if org is None:
        org = make_org(session)
    place = PLACES.get(country, ELSEWHERE)
    data: dict[str, Any] = {
        "organization_id": org.id,
        "country": country,
        "region": place["region"],
        "city": place["city"],
        "languages": list(place["languages"]),
        "phones": [{"number": place["phone"], "kind": "voice"}],
    }
    data.update(overrides)
    office = service.create_office(session, data=OfficeCreate(**data), provenance=TEST_PROVENANCE)
    assert office.id is not None
    if verified_at is not None:
        record_verification(
            session,
            office_id=office.id,
            method="phone_call",
            verified_by="test-verifier",
            verified_at=utcnow() if verified_at == "now" else verified_at,  # type: ignore[arg-type]
            provenance=TEST_PROVENANCE,
        )
    return lookup.get_office(session, office.id, refresh=True)


# The countries the factories' records are in: test partners work in all of them by default.
TEST_COUNTRIES = ("NG", "AL", "BR")


def allow_partner_countries(
    session: Session, organization_id: int | None, countries: tuple[str, ...] = TEST_COUNTRIES
) -> None:
    """Let a partner organisation work in `countries` (reviewer rules; no offices needed)."""
    assert organization_id is not None
    for country in countries:
        partners.set_scope(
            session,
            organization_id=organization_id,
            country=country,
            allowed=True,
            set_by="test-reviewer",
        )


def _versioned(record: Office | Phone, provenance: Provenance, changes: Any) -> dict[str, Any]:
    assert record.id is not None
    return {"changes": changes, "expected_version": record.version, "provenance": provenance}


def edit_office(
    session: Session, office: Office, /, provenance: Provenance = TEST_PROVENANCE, **changes: Any
) -> Office:
    """An audited edit of `office` through the directory service, at its version as loaded."""
    return service.update_office(
        session, office_id=office.id or 0, **_versioned(office, provenance, changes)
    )


def edit_phone(
    session: Session, phone: Phone, /, provenance: Provenance = TEST_PROVENANCE, **changes: Any
) -> Phone:
    """An audited edit of `phone` (its office's revision), at its version as loaded."""
    return service.update_phone(
        session, phone_id=phone.id or 0, **_versioned(phone, provenance, changes)
    )


class KeyFields(TypedDict, total=False):
    """What a test may say about a key it makes (the helpers that make one take these)."""

    organization_id: int | None
    name: str | None


def issue_key(session: Session, role: str, **fields: Unpack[KeyFields]) -> IssuedKey:
    """A key for `role`, named "test <role>" unless told otherwise."""
    return create_key(
        session,
        name=fields.get("name") or f"test {role}",
        role=role,
        organization_id=fields.get("organization_id"),
    )


def make_key(session: Session, role: str, **fields: Unpack[KeyFields]) -> dict[str, str]:
    """Create a key and return the Authorization header for it."""
    return {"Authorization": f"Bearer {issue_key(session, role, **fields).secret}"}
