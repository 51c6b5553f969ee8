"""A small Nigerian directory for sheet tests: printable offices of every kind, plus one of
each kind that must never print. Built with the plain factories (flush, never commit)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.directory import service
from app.directory.models import Office
from app.kit.clock import utcnow
from tests.factories import TEST_PROVENANCE, make_office, make_org

# Valid Nigerian mobile numbers from the 0803 example range (fictional).
NG = [f"+23480312345{n:02d}" for n in range(60, 99)]


@dataclass
class Directory:
    printed: dict[str, int] = field(default_factory=dict)  # name -> office id
    absent: dict[str, int] = field(default_factory=dict)  # name -> office id
    phones: dict[str, int] = field(default_factory=dict)


def _lister(session: Session, names: dict[str, int]) -> Callable[..., Office]:
    """`add(organisation, category, number, org={...}, **office)`: an office of a new demo
    organisation (with that one phone number unless `phones` says more), noted in `names`
    under the organisation's name."""

    def add(
        organization: str,
        category: str,
        number: str | None = None,
        /,
        org: dict[str, Any] | None = None,
        **office: Any,
    ) -> Office:
        org_row = make_org(
            session, name=organization, category=category, is_demo=True, **(org or {})
        )
        phones = {"phones": [{"number": number}]} if number else {}
        made = make_office(session, org=org_row, **phones, **office)
        names[organization] = made.id
        return made

    return add


def build_lagos_directory(session: Session) -> Directory:
    """NG-LA plus nationwide offices; one office elsewhere (Kano) that must not print."""
    d = Directory()
    now = utcnow()
    printed, absent = _lister(session, d.printed), _lister(session, d.absent)

    printed(
        "Example Police Unit (demo)",
        "law_enforcement",
        region=None,
        city="Abuja",
        address="1 Example Plaza, Garki",
        phones=[
            {"number": NG[0], "kind": "hotline", "is_24_7": True},
            {"number": NG[1], "kind": "voice", "hours": "Mon–Fri 08:00–17:00"},
        ],
        languages=["en", "ha", "yo"],
    )
    # A name that must never print (Rec. 42): printed as the neutral "Police" label.
    printed(
        "Anti-Trafficking Unit (demo)",
        "law_enforcement",
        NG[2],
        org={"description": "Helps victims of trafficking."},
        address="5 Example Road, Ikeja",
    )
    office = printed(
        "Example Support Centre (demo)",
        "ngo",
        org={"local_name": "Ilé Ìrànlọ́wọ́ (demo)"},
        name="Ikeja office",
        address="12 Example Street, Ikeja",
        opening_hours="Mon–Sat 09:00–18:00",
        meets_on_arrival=True,
        latitude=6.6018,
        longitude=3.3515,
        languages=["en", "yo", "fr"],
        phones=[{"number": NG[3]}, {"number": NG[4], "kind": "whatsapp"}],
    )
    d.phones["disconnected"] = office.phones[1].id
    service.close_phone(session, phone_id=office.phones[1].id, provenance=TEST_PROVENANCE)
    printed("Example Legal Aid Centre (demo)", "lawyer", NG[5], address="3 Example Close, Yaba")
    printed("Example Welfare Office (demo)", "social_welfare", NG[6])

    # Never printed: stale, closed, temporarily closed, unverified, confidential, elsewhere.
    absent("Stale Shelter (demo)", "ngo", NG[7], verified_at=now - timedelta(days=400))
    office = absent("Closed Clinic (demo)", "ngo", NG[8])
    service.close_office(session, office_id=office.id, provenance=TEST_PROVENANCE)
    absent("Paused Drop-in (demo)", "ngo", NG[9], status="temporarily_closed")
    absent("Unverified Helpers (demo)", "ngo", NG[10], verified_at=None)
    absent("Confidential Safe House (demo)", "ngo", NG[11], org={"confidential": True})
    absent("Kano Desk (demo)", "ngo", NG[12], region="NG-KN", city="Kano")
    session.flush()
    return d
