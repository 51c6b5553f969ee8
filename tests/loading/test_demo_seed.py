"""The demo directory: fictional, marked demo, and something to show for every feature."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.enums import CORE_CATEGORIES
from app.directory.freshness import Freshness
from app.directory.lookup import office_load_options as load_options
from app.directory.models import Office, Organization, Revision
from app.directory.phone_numbers import to_e164
from app.directory.presenter import contact_public
from app.kit.clock import as_utc, utcnow
from app.loading.demo_seed import load_demo_document, seed_demo
from tests.directory.csv_samples import demo_subset

DOCUMENT = load_demo_document()
DEMO_NUMBERS = [
    (office["country"], phone["number"])
    for org in DOCUMENT["organisations"]
    for office in org["offices"]
    for phone in office["phones"]
]
EXAMPLE_TYPES = (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE)


@pytest.mark.parametrize(("country", "number"), DEMO_NUMBERS)
def test_demo_numbers_are_valid_variations_of_libphonenumber_example_numbers(
    country: str, number: str
):
    e164 = to_e164(number, country)
    examples = [
        phonenumbers.format_number(
            phonenumbers.example_number_for_type(country, t), PhoneNumberFormat.E164
        )
        for t in EXAMPLE_TYPES
    ]
    # Only the last two digits may differ from a published example number.
    assert any(len(e164) == len(ex) and e164[:-2] == ex[:-2] for ex in examples), e164


def test_demo_entries_are_named_and_flagged_demo():
    for org in DOCUMENT["organisations"]:
        assert org["name"].endswith("(demo)")
        for url in filter(None, [org.get("website"), org.get("email")]):
            assert "example.org" in url


def test_the_demo_has_something_for_every_feature(db_session: Session, settings: Settings):
    summary = seed_demo(db_session)
    offices = (
        db_session.execute(select(Office).options(*load_options()).order_by(Office.id))
        .scalars()
        .all()
    )
    assert summary.offices == len(offices) >= 100
    now = utcnow()
    contacts = [contact_public(o, now=now, settings=settings) for o in offices]

    categories: dict[str, set[str]] = defaultdict(set)
    regions: dict[str, set[str]] = defaultdict(set)
    nationwide: set[str] = set()
    for c in contacts:
        categories[c.country].add(c.category)
        if c.region:
            regions[c.country].add(c.region)
        else:
            nationwide.add(c.country)
    assert {"NG", "AL", "BR", "RO", "VN", "UA", "TH", "MD"} <= set(categories)
    for country, found in categories.items():
        assert {c.value for c in CORE_CATEGORIES} <= found, country
        assert len(regions[country]) >= 3, country
    assert {"NG-LA", "NG-ED", "NG-FC", "AL-11", "AL-02", "AL-05", "BR-SP", "BR-RJ"} <= {
        r for rs in regions.values() for r in rs
    }
    assert nationwide == set(categories)

    freshness = {c.freshness for c in contacts}
    assert set(Freshness) <= freshness
    statuses = {c.status for c in contacts}
    assert statuses == {"active", "temporarily_closed", "closed"}
    assert any(c.organization.confidential for c in contacts)
    assert any(c.meets_on_arrival and c.category == "ngo" for c in contacts)
    assert any(p.is_24_7 and p.kind == "hotline" for c in contacts for p in c.phones)
    assert len({lang for c in contacts for lang in c.languages}) >= 10
    assert all(c.latitude is not None and c.opening_hours for c in contacts)

    orgs = db_session.execute(select(Organization)).scalars().all()
    assert all(o.is_demo and o.name.endswith("(demo)") for o in orgs)
    assert any(o.status == "closed" for o in orgs)
    sources = set(db_session.execute(select(Revision.source)).scalars())
    assert sources == {"seed"}


def test_demo_verifications_are_relative_to_the_time_of_loading(
    db_session: Session, frozen_clock, tmp_path: Path
):
    frozen_clock.now = frozen_clock.now.replace(year=2031)
    seed_demo(db_session, path=demo_subset(tmp_path))
    first = DOCUMENT["organisations"][0]["offices"][0]
    office = db_session.execute(select(Office).order_by(Office.id).limit(1)).scalar_one()
    expected = frozen_clock.now - timedelta(days=first["verification"]["days_ago"])
    assert as_utc(office.last_verified_at) == expected
