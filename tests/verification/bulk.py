"""Bulk-insert many offices with SQLAlchemy core (for tests that need real commits)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, insert

from app.directory.models import Office, Organization
from app.kit.clock import utcnow


def bulk_offices(conn: Connection, n: int, *, verified_at: datetime | None) -> None:
    now = utcnow()
    org_id = conn.execute(
        insert(Organization)
        .values(
            name="Example Bulk Network (demo)",
            category="ngo",
            confidential=False,
            is_demo=True,
            status="active",
            search_text="example bulk network demo",
            version=1,
            created_at=now,
            updated_at=now,
        )
        .returning(Organization.id)
    ).scalar_one()
    conn.execute(
        insert(Office),
        [
            {
                "organization_id": org_id,
                "name": f"Bulk office {i}",
                "country": "NG",
                "region": "NG-LA",
                "meets_on_arrival": False,
                "status": "active",
                "search_text": f"bulk office {i}",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "last_verified_at": verified_at,
            }
            for i in range(n)
        ],
    )
