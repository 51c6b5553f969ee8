"""Freshness reports (region x category counts) and the per-country daily digest."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import dialect_insert
from app.directory.enums import OfficeStatus
from app.directory.freshness import Freshness, freshness_of_office_clause
from app.directory.geography import region_name
from app.directory.models import Office, Organization
from app.directory.printable import ORGANIZATION_ACTIVE
from app.directory.validation import checked_country
from app.verification.models import TaskState, VerificationDigest, VerificationTask

STATES = [f.value for f in Freshness]


def freshness_case(*, now: datetime, settings: Settings) -> Any:
    """The office's freshness state as one SQL expression (stale wins, as in freshness_of)."""
    order = (Freshness.STALE, Freshness.UNVERIFIED, Freshness.OVERDUE, Freshness.DUE)
    return case(
        *((freshness_of_office_clause(s, now=now, settings=settings), s.value) for s in order),
        else_=Freshness.VERIFIED.value,
    )


def _listed() -> list[Any]:
    return [Office.status != OfficeStatus.CLOSED.value, ORGANIZATION_ACTIVE.clause()]


def freshness_report(
    session: Session,
    *,
    now: datetime,
    settings: Settings,
    country: str | None = None,
    lang: str = "en",
) -> dict[str, Any]:
    """Counts per freshness state for each region x category of a country (or per country)."""
    state = freshness_case(now=now, settings=settings)
    group = Office.region if country else Office.country
    conds = _listed()
    if country:
        country = checked_country(country)
        conds.append(Office.country == country)
    stmt = (
        select(group, Organization.category, state, func.count(Office.id))
        .join(Organization, Organization.id == Office.organization_id)
        .where(*conds)
        .group_by(group, Organization.category, state)
    )
    cells: dict[tuple[str | None, str], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(STATES, 0)
    )
    totals = dict.fromkeys(STATES, 0)
    for key, category, st, count in session.execute(stmt):
        cells[(key, category)][st] = int(count)
        totals[st] += int(count)
    rows = []
    for (key, category), counts in sorted(cells.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        row: dict[str, Any] = {
            "category": category,
            "counts": counts,
            "total": sum(counts.values()),
        }
        if country:
            row["region"] = key
            row["region_name"] = region_name(key, lang) if key else None
        else:
            row["country"] = key
        rows.append(row)
    return {"country": country, "rows": rows, "totals": totals, "generated_at": now}


def write_digests(session: Session, *, now: datetime, settings: Settings) -> int:
    """Write (or rewrite) today's digest for every country with contacts. Idempotent."""
    state = freshness_case(now=now, settings=settings)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATES, 0))
    for country, st, n in session.execute(
        select(Office.country, state, func.count(Office.id))
        .join(Organization, Organization.id == Office.organization_id)
        .where(*_listed())
        .group_by(Office.country, state)
    ):
        counts[country][st] = int(n)
    tasks: dict[str, dict[str, int]] = defaultdict(dict)
    for country, task_state, n in session.execute(
        select(Office.country, VerificationTask.state, func.count(VerificationTask.id))
        .join(Office, Office.id == VerificationTask.office_id)
        .where(
            VerificationTask.state.in_(
                [TaskState.OPEN.value, TaskState.CLAIMED.value, TaskState.ESCALATED.value]
            )
        )
        .group_by(Office.country, VerificationTask.state)
    ):
        tasks[country][task_state] = int(n)
    oldest = dict(
        session.execute(
            select(Office.country, func.min(Office.last_verified_at))
            .join(Organization, Organization.id == Office.organization_id)
            .where(
                *_listed(),
                freshness_of_office_clause(Freshness.OVERDUE, now=now, settings=settings),
            )
            .group_by(Office.country)
        ).all()
    )
    day = f"{now:%Y-%m-%d}"
    insert = dialect_insert(session, VerificationDigest)
    for country, per_state in counts.items():
        t = tasks.get(country, {})
        values = {
            "country": country,
            "digest_date": day,
            "generated_at": now,
            "counts": per_state,
            "open_tasks": sum(t.values()),
            "escalated_tasks": t.get(TaskState.ESCALATED.value, 0),
            "claimed_tasks": t.get(TaskState.CLAIMED.value, 0),
            "oldest_overdue_since": oldest.get(country),
        }
        stmt = insert.values(values)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["country", "digest_date"],
                set_={k: stmt.excluded[k] for k in values if k not in ("country", "digest_date")},
            )
        )
    session.flush()
    return len(counts)


def list_digests(
    session: Session, *, country: str | None = None, day: str | None = None, limit: int = 100
) -> Sequence[VerificationDigest]:
    """Digests, newest day first."""
    stmt = select(VerificationDigest)
    if country:
        stmt = stmt.where(VerificationDigest.country == checked_country(country))
    if day:
        stmt = stmt.where(VerificationDigest.digest_date == day)
    stmt = stmt.order_by(VerificationDigest.digest_date.desc(), VerificationDigest.country)
    return session.execute(stmt.limit(limit)).scalars().all()
