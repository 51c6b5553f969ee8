"""A small, readable directory for the browser tests, built through the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from app.auth.service import create_key
from app.config import get_settings
from app.kit.clock import utcnow
from app.verification import reports, tasks
from tests.factories import NG_PHONE, NG_PHONE_2, make_office, make_org


@dataclass
class Scenario:
    offices: dict[str, int] = field(default_factory=dict)
    organizations: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def seed(session: Session) -> Scenario:
    """Lagos with every freshness state, one confidential and one closed office; Kano with a
    gap; one Albanian office; open call tasks and a digest; and a key for each role (the
    ngo key belongs to a partner)."""
    now = utcnow()
    s = Scenario()

    def office(label: str, org_name: str, category: str, **kwargs: object) -> None:
        org_kwargs = {"confidential": kwargs.pop("confidential", False)}
        services = kwargs.pop("services", ["legal_aid" if category == "lawyer" else "shelter"])
        org = make_org(session, name=org_name, category=category, services=services, **org_kwargs)
        made = make_office(session, org=org, **kwargs)  # type: ignore[arg-type]
        assert made.id is not None and org.id is not None
        s.offices[label] = made.id
        s.organizations[label] = org.id

    office(
        "police",
        "Lagos State Police Command (demo)",
        "law_enforcement",
        name="Anti-Trafficking Desk",
        phones=[{"number": "+2348031234569", "kind": "hotline", "is_24_7": True}],
        opening_hours="24/7",
        services=["protection"],
    )
    office(
        "ngo",
        "Example Return Support (demo)",
        "ngo",
        name="Ikeja office",
        address="12 Example Street",
        meets_on_arrival=True,
        languages=["en", "yo"],
        phones=[{"number": NG_PHONE, "kind": "voice"}],
        opening_hours="Mon–Fri 09:00–17:00",
    )
    office(
        "lawyer",
        "Example Legal Aid Council (demo)",
        "lawyer",
        region=None,
        city="Abuja",
        verified_at=now - timedelta(days=100),
        phones=[{"number": NG_PHONE_2, "kind": "voice", "extension": "12"}],
        # What an HSDS source brings, as data (shown on its contact page).
        service_name="Free legal advice clinic",
        address_2="Legal Aid House, second floor",
        language_notes={"en": "Interpreters on Tuesdays"},
        contacts=[{"name": "Ada Example", "title": "Duty lawyer"}],
        service_areas=[{"name": "Federal Capital Territory"}],
        accessibility=[{"description": "Step-free entrance and lift"}],
    )
    office(
        "welfare_stale",
        "Example Welfare Office (demo)",
        "social_welfare",
        verified_at=now - timedelta(days=400),
        phones=[{"number": "+2348031234570", "kind": "voice"}],
    )
    office(
        "kano_unverified",
        "Kano Example Shelter (demo)",
        "ngo",
        region="NG-KN",
        city="Kano",
        verified_at=None,
        phones=[{"number": "+2348031234571", "kind": "voice"}],
    )
    office(
        "confidential",
        "Confidential Safe House (demo)",
        "ngo",
        confidential=True,
        phones=[{"number": "+2348031234572", "kind": "mobile"}],
    )
    office(
        "closed",
        "Former Drop-in Centre (demo)",
        "social_welfare",
        status="closed",
        phones=[{"number": "+2348031234573", "kind": "voice"}],
    )
    office(
        "partner",
        "Partner Network Nigeria (demo)",
        "ngo",
        city="Lagos",
        phones=[{"number": "+2348091234567", "kind": "voice"}],
    )
    office(
        "tirana",
        "Tirana Example Police (demo)",
        "law_enforcement",
        country="AL",
        region="AL-11",
        city="Tirana",
        phones=[{"number": "+35522345678", "kind": "voice"}],
    )
    office(
        "law_clinic_due",
        "Lagos Example Law Clinic (demo)",
        "lawyer",
        verified_at=now - timedelta(days=160),
        phones=[{"number": "+2348031234574", "kind": "voice"}],
    )
    office(
        "ogun_unverified",
        "Ogun Example Counselling (demo)",
        "social_welfare",
        region="NG-OG",
        city="Abeokuta",
        verified_at=None,
        phones=[{"number": "+2348031234578", "kind": "voice"}],
    )
    # What the scheduler would have done by now: due tasks opened, today's digest written.
    settings = get_settings()
    tasks.open_due_tasks_batch(session, now=now, settings=settings, after_id=0, limit=1000)
    reports.write_digests(session, now=now, settings=settings)
    for role in ("admin", "reviewer", "officer"):
        s.keys[role] = create_key(session, name=f"Test {role}", role=role).secret
    s.keys["ngo"] = create_key(
        session, name="Partner desk", role="ngo", organization_id=s.organizations["partner"]
    ).secret
    session.flush()
    return s
