"""A small Nigerian directory for sheet tests: printable offices of every kind, plus one of
each kind that must never print. Built with the plain factories (flush, never commit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from app.directory import service
from app.kit.clock import utcnow
from tests.factories import TEST_PROVENANCE, make_office, make_org

# Valid Nigerian mobile numbers from the 0803 example range (fictional).
NG = [f"+23480312345{n:02d}" for n in range(60, 99)]


@dataclass
class Directory:
    printed: dict[str, int] = field(default_factory=dict)  # name -> office id
    absent: dict[str, int] = field(default_factory=dict)  # name -> office id
    phones: dict[str, int] = field(default_factory=dict)


def build_lagos_directory(session: Session) -> Directory:
    """NG-LA plus nationwide offices; one office elsewhere (Kano) that must not print."""
    d = Directory()
    now = utcnow()

    police = make_org(
        session, name="Example Police Unit (demo)", category="law_enforcement", is_demo=True
    )
    office = make_office(
        session,
        org=police,
        region=None,
        city="Abuja",
        address="1 Example Plaza, Garki",
        phones=[
            {"number": NG[0], "kind": "hotline", "is_24_7": True},
            {"number": NG[1], "kind": "voice", "hours": "Mon–Fri 08:00–17:00"},
        ],
        languages=["en", "ha", "yo"],
    )
    d.printed["Example Police Unit (demo)"] = office.id

    # A name that must never print (Rec. 42): printed as the neutral "Police" label.
    unit = make_org(
        session,
        name="Anti-Trafficking Unit (demo)",
        category="law_enforcement",
        description="Helps victims of trafficking.",
        is_demo=True,
    )
    office = make_office(
        session, org=unit, address="5 Example Road, Ikeja", phones=[{"number": NG[2]}]
    )
    d.printed["Anti-Trafficking Unit (demo)"] = office.id

    ngo = make_org(
        session,
        name="Example Support Centre (demo)",
        local_name="Ilé Ìrànlọ́wọ́ (demo)",
        category="ngo",
        is_demo=True,
    )
    office = make_office(
        session,
        org=ngo,
        name="Ikeja office",
        address="12 Example Street, Ikeja",
        opening_hours="Mon–Sat 09:00–18:00",
        meets_on_arrival=True,
        latitude=6.6018,
        longitude=3.3515,
        languages=["en", "yo", "fr"],
        phones=[{"number": NG[3]}, {"number": NG[4], "kind": "whatsapp"}],
    )
    d.printed["Example Support Centre (demo)"] = office.id
    d.phones["disconnected"] = office.phones[1].id
    service.close_phone(session, phone_id=office.phones[1].id, provenance=TEST_PROVENANCE)

    lawyer = make_org(
        session, name="Example Legal Aid Centre (demo)", category="lawyer", is_demo=True
    )
    office = make_office(
        session, org=lawyer, address="3 Example Close, Yaba", phones=[{"number": NG[5]}]
    )
    d.printed["Example Legal Aid Centre (demo)"] = office.id

    welfare = make_org(
        session, name="Example Welfare Office (demo)", category="social_welfare", is_demo=True
    )
    office = make_office(session, org=welfare, phones=[{"number": NG[6]}])
    d.printed["Example Welfare Office (demo)"] = office.id

    # Never printed: stale, closed, temporarily closed, unverified, confidential, elsewhere.
    stale = make_org(session, name="Stale Shelter (demo)", category="ngo", is_demo=True)
    office = make_office(
        session, org=stale, verified_at=now - timedelta(days=400), phones=[{"number": NG[7]}]
    )
    d.absent["Stale Shelter (demo)"] = office.id

    closed = make_org(session, name="Closed Clinic (demo)", category="ngo", is_demo=True)
    office = make_office(session, org=closed, phones=[{"number": NG[8]}])
    service.close_office(session, office_id=office.id, provenance=TEST_PROVENANCE)
    d.absent["Closed Clinic (demo)"] = office.id

    paused = make_org(session, name="Paused Drop-in (demo)", category="ngo", is_demo=True)
    office = make_office(
        session, org=paused, status="temporarily_closed", phones=[{"number": NG[9]}]
    )
    d.absent["Paused Drop-in (demo)"] = office.id

    unverified = make_org(session, name="Unverified Helpers (demo)", category="ngo", is_demo=True)
    office = make_office(session, org=unverified, verified_at=None, phones=[{"number": NG[10]}])
    d.absent["Unverified Helpers (demo)"] = office.id

    secret = make_org(
        session,
        name="Confidential Safe House (demo)",
        category="ngo",
        confidential=True,
        is_demo=True,
    )
    office = make_office(session, org=secret, phones=[{"number": NG[11]}])
    d.absent["Confidential Safe House (demo)"] = office.id

    kano = make_org(session, name="Kano Desk (demo)", category="ngo", is_demo=True)
    office = make_office(
        session, org=kano, region="NG-KN", city="Kano", phones=[{"number": NG[12]}]
    )
    d.absent["Kano Desk (demo)"] = office.id
    session.flush()
    return d
