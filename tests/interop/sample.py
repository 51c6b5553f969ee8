"""A small directory that exercises every field the HSDS mapping carries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.directory import lookup
from app.directory.models import Office, Organization
from app.directory.provenance import Provenance
from app.verification.service import record_verification
from tests.factories import BR_PHONE, NG_PHONE, NG_PHONE_2, edit_office, make_office, make_org

AL_PHONE = "+35522345678"

REVIEWER = Provenance(actor="Reviewer Ada (key 7)", source="admin_edit", approved_by="Ada")


@dataclass
class Sample:
    ngo: Organization
    police: Organization
    secret: Organization
    lagos: Office
    national: Office
    tirana: Office
    sao_paulo: Office
    closed: Office
    hidden: Office


def build(session: Session) -> Sample:
    ngo = make_org(
        session,
        name="Example Legal Aid Centre (demo)",
        local_name="Centre d'aide juridique",
        category="lawyer",
        description="Free legal advice for people returning home.",
        website="https://legal.example.org/",
        email="help@legal.example.org",
        services=["legal_aid", "documentation"],
        is_demo=True,
        identifiers=[
            {"identifier_scheme": "NG-CAC", "identifier_type": "RC", "identifier": "1234567"}
        ],
    )
    police = make_org(session, name="Example Police Unit (demo)", category="law_enforcement")
    secret = make_org(session, name="Example Safe House (demo)", confidential=True)
    lagos = make_office(
        session,
        org=ngo,
        name="Ikeja office",
        address="12 Example Street",
        postal_code="100001",
        latitude=6.6018,
        longitude=3.3515,
        opening_hours="Mon-Fri 09:00-17:00",
        email="ikeja@legal.example.org",
        website="https://legal.example.org/ikeja",
        languages=["en", "yo"],
        meets_on_arrival=True,
        # What HSDS models beyond our first fields, as data.
        service_name="Legal aid on return",
        service_description="Free advice on papers and claims after return.",
        address_2="Second floor",
        language_notes={"yo": "Interpreter on Wednesdays"},
        contacts=[{"name": "Ada Example", "title": "Duty lawyer", "email": "ada@example.org"}],
        service_areas=[{"name": "Lagos State", "extent_type": "text"}],
        accessibility=[{"description": "Step-free entrance", "url": "https://example.org/a"}],
        phones=[
            {
                "number": NG_PHONE,
                "extension": "12",
                "kind": "voice",
                "hours": "office hours",
                "languages": ["en"],
            },
            {"number": "+2348001234567", "kind": "hotline", "is_24_7": True},
        ],
    )
    national = make_office(
        session,
        org=police,
        region=None,
        city=None,
        phones=[{"number": NG_PHONE_2, "kind": "whatsapp"}],
        verified_at=None,
    )
    tirana = make_office(
        session,
        org=ngo,
        country="AL",
        status="temporarily_closed",
        phones=[{"number": AL_PHONE, "kind": "fax"}],
    )
    sao_paulo = make_office(
        session,
        org=police,
        country="BR",
        phones=[
            {"number": BR_PHONE, "kind": "voice"},
            {"number": "+5511912345678", "kind": "sms"},
        ],
    )
    closed = make_office(
        session,
        org=police,
        region="NG-KN",
        city="Kano",
        status="closed",
        phones=[{"number": "+2348031234569", "kind": "mobile"}],
    )
    hidden = make_office(
        session, org=secret, phones=[{"number": "+2348031234570", "kind": "voice"}]
    )
    # An approved edit and a second verification, so both reach HSDS metadata.
    assert lagos.id is not None
    edit_office(session, lagos, REVIEWER, city="Ikeja")
    record_verification(
        session,
        office_id=lagos.id,
        method="site_visit",
        verified_by="verifier@example.org",
        provenance=REVIEWER,
    )
    session.flush()
    lagos = lookup.get_office(session, lagos.id, refresh=True)
    return Sample(ngo, police, secret, lagos, national, tirana, sao_paulo, closed, hidden)
