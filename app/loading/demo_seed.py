"""Demo data: a fictional directory loaded from seeds/demo.json through the directory service.

Every name ends in "(demo)" and every organisation is flagged `is_demo`. Phone numbers are
libphonenumber's published example numbers with only the last digits changed: valid for
phonenumbers, yet fictional. Never dial them and never print them for a real person.
Verifications are stored as "days ago" in the file and recorded relative to `utcnow()`, so
the demo shows the same mix of fresh, due, overdue and stale contacts whenever it is loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.directory import service
from app.directory.provenance import Provenance
from app.directory.schemas import OfficeCreate, OrganizationCreate
from app.kit.clock import utcnow
from app.verification.service import flag_office_stale, record_verification

DEMO_FILE = PROJECT_ROOT / "seeds" / "demo.json"
SEED_PROVENANCE = Provenance(actor="seed", source="seed", approved_by="seed")


@dataclass(frozen=True)
class SeedSummary:
    organizations: int
    offices: int
    phones: int
    verified: int


def load_demo_document(path: Path = DEMO_FILE) -> dict[str, Any]:
    """The demo directory as written in seeds/demo.json."""
    with path.open(encoding="utf-8") as handle:
        document: dict[str, Any] = json.load(handle)
    return document


def seed_demo(session: Session, *, path: Path = DEMO_FILE) -> SeedSummary:
    """Load the demo directory: organisations, offices, phones, verifications and closures.

    Everything goes through the directory and verification services with
    Provenance(source="seed"), so the demo has the same revisions as real data. Flushes only.
    """
    document = load_demo_document(path)
    now = utcnow()
    organizations = offices = phones = verified = 0
    for entry in document["organisations"]:
        org_fields = {
            k: v for k, v in entry.items() if k not in ("offices", "closed") and v is not None
        }
        org = service.create_organization(
            session,
            data=OrganizationCreate(**org_fields, is_demo=True),
            provenance=SEED_PROVENANCE,
        )
        assert org.id is not None
        organizations += 1
        for office_entry in entry["offices"]:
            fields = {
                k: v
                for k, v in office_entry.items()
                if k not in ("verification", "flag_stale") and v is not None
            }
            office = service.create_office(
                session,
                data=OfficeCreate(**fields, organization_id=org.id),
                provenance=SEED_PROVENANCE,
            )
            assert office.id is not None
            offices += 1
            phones += len(fields.get("phones", []))
            verification = office_entry.get("verification")
            if verification is not None:
                record_verification(
                    session,
                    office_id=office.id,
                    method=verification["method"],
                    verified_by=verification["by"],
                    verified_at=now - timedelta(days=verification["days_ago"]),
                    note="demo verification",
                    provenance=SEED_PROVENANCE,
                )
                verified += 1
            if office_entry.get("flag_stale"):
                flag_office_stale(
                    session,
                    office_id=office.id,
                    reason=office_entry["flag_stale"],
                    provenance=SEED_PROVENANCE,
                )
        if entry.get("closed"):
            service.close_organization(session, organization_id=org.id, provenance=SEED_PROVENANCE)
    session.flush()
    return SeedSummary(
        organizations=organizations, offices=offices, phones=phones, verified=verified
    )
