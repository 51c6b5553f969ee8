"""The synthetic directory, for the benchmarks and the tests that need many real rows.

Clearly fictional: names end in "(synthetic)", numbers are variations of libphonenumber's
example numbers, every organisation is flagged `is_demo`. Offices spread over every ISO 3166-1
country and its ISO 3166-2 regions, written with SQLAlchemy core bulk inserts.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import phonenumbers
import pycountry
from sqlalchemy import Engine, insert, text

from app.config import Settings
from app.db import unit_of_work
from app.directory import models
from app.directory.enums import Category, ServiceTag
from app.directory.geography import region_name
from app.directory.phone_numbers import display
from app.kit.text import fold
from app.verification import tasks
from app.verification.models import VerificationEvent

BATCH_OFFICES = 5_000
LANGUAGES = ("en", "fr", "es", "ar", "pt", "ru", "sw", "ha", "sq", "ro", "uk", "vi", "zh", "hi")
CATEGORY_WEIGHTS = {
    Category.LAW_ENFORCEMENT: 20,
    Category.NGO: 35,
    Category.LAWYER: 20,
    Category.SOCIAL_WELFARE: 20,
    Category.HELPLINE: 3,
    Category.INTERNATIONAL_ORG: 2,
}
SERVICES = [s.value for s in ServiceTag]


@dataclass
class Directory:
    """Where offices went, so queries can pick regions that have data."""

    next_office_id: int = 1
    next_org_id: int = 1
    next_phone_id: int = 1
    offices: int = 0
    regions_with_offices: set[tuple[str, str]] = field(default_factory=set)


def example_numbers(rng: random.Random) -> dict[str, list[str]]:
    """Per country, a pool of valid E.164 numbers derived from libphonenumber's examples."""
    pools: dict[str, list[str]] = {}
    for country in pycountry.countries:
        cc = country.alpha_2
        pool: set[str] = set()
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(cc, kind)
            if example is None or not phonenumbers.is_valid_number_for_region(example, cc):
                continue
            base = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            pool.add(base)
            for _ in range(40):
                candidate = base[:-3] + f"{rng.randrange(1000):03d}"
                parsed = phonenumbers.parse(candidate, None)
                if phonenumbers.is_valid_number_for_region(parsed, cc):
                    pool.add(candidate)
        pools[cc] = sorted(pool)
    return pools


def _slots() -> list[tuple[str, str | None]]:
    """Every ISO region of every country, plus one nationwide slot per country."""
    slots: list[tuple[str, str | None]] = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        cc = country.alpha_2
        slots.append((cc, None))
        for sub in pycountry.subdivisions.get(country_code=cc) or []:
            slots.append((cc, sub.code))
    return slots


@dataclass(frozen=True)
class Mix:
    """How the offices vary: shares drawn at random, or one moment of verification for all."""

    verified: float = 0.7
    closed: float = 0.02
    temporarily_closed: float = 0.03
    confidential: float = 0.05
    verified_at: datetime | None = None  # None: spread over the last 400 days


# The fields whose creation each synthetic office's history records (a real creation records
# every field; three keep the build quick and the revision table several times the offices).
CREATED_FIELDS = ("name", "country", "region")


def _created(
    row: dict[str, Any],
    field: str,
    entity: str,
    entity_id: int,
    org_id: int,
    office_id: int,
    now: datetime,
) -> dict[str, Any]:
    """The revision that set `field` when the record was created."""
    value = row[field]
    return {
        "change_id": f"bench-{entity}-{entity_id}",
        "entity": entity,
        "entity_id": entity_id,
        "office_id": office_id,
        "organization_id": org_id,
        "field": field,
        "old_value": None,
        "new_value": None if value is None else json.dumps(value),
        "source": "bench",
        "actor": "bench",
        "actor_key_id": None,
        "approved_by": "bench",
        "submission_id": None,
        "reason": None,
        "note": None,
        "changed_at": now,
    }


def populate(
    engine: Engine,
    directory: Directory,
    count: int,
    rng: random.Random,
    numbers: dict[str, list],
    *,
    mix: Mix = Mix(),
) -> None:
    """Add `count` offices (with organisations, phones, languages, services) in bulk, with
    the history a real directory keeps: the revisions that created each office and phone, and
    the verification event behind each `last_verified_at`."""
    slots = _slots()
    now = datetime.now(UTC)
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    done = 0
    while done < count:
        batch = min(BATCH_OFFICES, count - done)
        picks = [slots[rng.randrange(len(slots))] for _ in range(batch)]
        by_country: dict[str, list[str | None]] = defaultdict(list)
        for cc, region in picks:
            by_country[cc].append(region)
        orgs: list[dict[str, Any]] = []
        services: list[dict[str, Any]] = []
        offices: list[dict[str, Any]] = []
        langs: list[dict[str, Any]] = []
        phones: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for cc, regions in by_country.items():
            # About four offices per organisation, all in one country.
            org_ids: list[tuple[int, str]] = []
            for _ in range(max(1, len(regions) // 4)):
                org_id = directory.next_org_id
                directory.next_org_id += 1
                category = rng.choices(categories, weights)[0].value
                name = f"Example {category.replace('_', ' ').title()} {org_id} (synthetic)"
                orgs.append(
                    {
                        "id": org_id,
                        "name": name,
                        "local_name": None,
                        "category": category,
                        "description": "Synthetic benchmark record; not a real organisation.",
                        "website": f"https://org{org_id}.example.org/",
                        "email": f"contact{org_id}@example.org",
                        "confidential": rng.random() < mix.confidential,
                        "is_demo": True,
                        "status": "active",
                        "search_text": fold(name),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for tag in rng.sample(SERVICES, rng.randint(1, 3)):
                    services.append({"organization_id": org_id, "tag": tag})
                org_ids.append((org_id, category))
            for region in regions:
                office_id = directory.next_office_id
                directory.next_office_id += 1
                org_id, _category = org_ids[rng.randrange(len(org_ids))]
                if region is not None:
                    directory.regions_with_offices.add((cc, region))
                city = f"Example City {office_id % 97}"
                office_name = f"Office {office_id} (synthetic)"
                verified = rng.random() < mix.verified
                roll = rng.random()
                status = (
                    "closed"
                    if roll < mix.closed
                    else "temporarily_closed"
                    if roll < mix.closed + mix.temporarily_closed
                    else "active"
                )
                offices.append(
                    {
                        "id": office_id,
                        "organization_id": org_id,
                        "name": office_name,
                        "country": cc,
                        "region": region,
                        "city": city,
                        "address": f"{office_id} Example Street",
                        "postal_code": None,
                        "latitude": None,
                        "longitude": None,
                        "opening_hours": "Mo-Fr 09:00-17:00",
                        "email": f"office{office_id}@example.org",
                        "website": None,
                        "meets_on_arrival": rng.random() < 0.2,
                        "status": status,
                        "search_text": fold(
                            " ".join(p for p in (office_name, city, region_name(region)) if p)
                        ),
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "last_verified_at": (
                            (mix.verified_at or now - timedelta(days=rng.randrange(400)))
                            if verified
                            else None
                        ),
                        "verified_by": "bench" if verified else None,
                        "verification_method": "phone_call" if verified else None,
                        "verification_note": None,
                        "stale_flagged_at": None,
                        "stale_reason": None,
                    }
                )
                office_row = offices[-1]
                history.extend(
                    _created(office_row, field, "office", office_id, org_id, office_id, now)
                    for field in CREATED_FIELDS
                )
                if verified:
                    events.append(
                        {
                            "office_id": office_id,
                            "verified_at": office_row["last_verified_at"],
                            "verified_by": "bench",
                            "method": "phone_call",
                            "note": None,
                            "approved_by": "bench",
                            "source": "bench",
                            "actor_key_id": None,
                        }
                    )
                for lang in sorted(set(rng.sample(LANGUAGES, rng.randint(1, 3)))):
                    langs.append({"office_id": office_id, "language": lang})
                pool = numbers.get(cc) or []
                for position in range(min(len(pool), rng.randint(1, 2))):
                    number = pool[rng.randrange(len(pool))]
                    shown = display(number)
                    phones.append(
                        {
                            "id": directory.next_phone_id,
                            "office_id": office_id,
                            "number": number,
                            "national": shown.national,
                            "international": shown.international,
                            "number_type": shown.type,
                            "kind": "mobile" if position else "voice",
                            "hours": None,
                            "is_24_7": position == 0 and rng.random() < 0.1,
                            "languages": [],
                            "status": "active",
                            "position": position,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                    )
                    history.append(
                        _created(
                            phones[-1], "number", "phone", phones[-1]["id"], org_id, office_id, now
                        )
                    )
                    directory.next_phone_id += 1
        with engine.begin() as conn:
            conn.execute(insert(models.Organization.__table__), orgs)  # type: ignore[attr-defined]
            conn.execute(insert(models.OrganizationService.__table__), services)  # type: ignore[attr-defined]
            conn.execute(insert(models.Office.__table__), offices)  # type: ignore[attr-defined]
            conn.execute(insert(models.OfficeLanguage.__table__), langs)  # type: ignore[attr-defined]
            if phones:
                conn.execute(insert(models.Phone.__table__), phones)  # type: ignore[attr-defined]
            conn.execute(insert(models.Revision.__table__), history)  # type: ignore[attr-defined]
            if events:
                conn.execute(insert(VerificationEvent.__table__), events)  # type: ignore[attr-defined]
        done += batch
        directory.offices += batch
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in ("organization", "office", "phone", "revision", "verification_event"):
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                conn.execute(text(f"SELECT setval({sequence}, max(id)) FROM {table}"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def open_verification_tasks(
    engine: Engine, *, now: datetime, settings: Settings, batch: int = 5_000
) -> int:
    """Open every due verification task as the scheduler's job would, in batches; the count."""
    opened, after = 0, 0
    while True:
        with unit_of_work(engine) as session:
            last, n = tasks.open_due_tasks_batch(
                session, now=now, settings=settings, after_id=after, limit=batch
            )
        if last is None:
            return opened
        opened, after = opened + n, last
