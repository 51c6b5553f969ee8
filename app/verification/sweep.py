"""The sweep's database side: which offices to check, their offline findings (phones,
emails), storing findings as check history and reading that history back."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from app.directory.enums import OfficeStatus
from app.directory.models import Office, Organization, Phone
from app.directory.printable import PHONE_IS_ACTIVE
from app.kit.clock import utcnow
from app.verification.checks import Finding, check_email, check_phone
from app.verification.models import CheckKind, CheckResult
from app.verification.tasks import Annotation, annotate_office_task

ALL_KINDS = (CheckKind.PHONE, CheckKind.WEBSITE, CheckKind.EMAIL)


@dataclass
class OfficeTargets:
    office_id: int
    organization_id: int
    country: str
    phones: list[tuple[int, str]]
    emails: list[str]
    website: str | None


@dataclass
class CheckSummary:
    offices: int = 0
    results: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    annotated_tasks: int = 0
    stored: int = 0

    def add(self, finding: Finding) -> None:
        self.results[finding.kind.value] += 1
        if not finding.ok:
            self.failures[finding.kind.value] += 1
        for flag in finding.flags:
            self.flags[f"{finding.kind.value}:{flag}"] += 1


def _selection(
    *, country: str | None, office_ids: Sequence[int] | None, older_than: Any
) -> list[Any]:
    conds: list[Any] = [
        Office.status != OfficeStatus.CLOSED.value,
        Organization.status == "active",
    ]
    if country:
        conds.append(Office.country == country.upper())
    if office_ids is not None:
        conds.append(Office.id.in_(list(office_ids)))
    if older_than is not None:
        conds.append(
            ~exists().where(
                CheckResult.office_id == Office.id, CheckResult.checked_at >= older_than
            )
        )
    return conds


def count_targets(
    session: Session,
    *,
    country: str | None = None,
    office_ids: Sequence[int] | None = None,
    older_than: Any = None,
) -> int:
    return int(
        session.execute(
            select(func.count(Office.id))
            .join(Organization, Organization.id == Office.organization_id)
            .where(*_selection(country=country, office_ids=office_ids, older_than=older_than))
        ).scalar_one()
    )


def load_targets(
    session: Session,
    *,
    after_id: int,
    limit: int,
    country: str | None = None,
    office_ids: Sequence[int] | None = None,
    older_than: Any = None,
) -> list[OfficeTargets]:
    """The next batch of offices to check (by id), with their phones, emails and website."""
    rows = session.execute(
        select(
            Office.id,
            Office.organization_id,
            Office.country,
            Office.email,
            Office.website,
            Organization.email,
            Organization.website,
        )
        .join(Organization, Organization.id == Office.organization_id)
        .where(
            Office.id > after_id,
            *_selection(country=country, office_ids=office_ids, older_than=older_than),
        )
        .order_by(Office.id)
        .limit(limit)
    ).all()
    phones: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if rows:
        for phone_id, office_id, number in session.execute(
            select(Phone.id, Phone.office_id, Phone.number)
            .where(Phone.office_id.in_([r[0] for r in rows]), PHONE_IS_ACTIVE)
            .order_by(Phone.id)
        ):
            phones[office_id].append((phone_id, number))
    return [
        OfficeTargets(
            office_id=oid,
            organization_id=org_id,
            country=country_code,
            phones=phones.get(oid, []),
            emails=list(dict.fromkeys(e for e in (office_email, org_email) if e)),
            website=office_site or org_site,
        )
        for oid, org_id, country_code, office_email, office_site, org_email, org_site in rows
    ]


def shared_numbers(session: Session, numbers: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
    """For each number, the (office id, organisation id) of every open office listing it."""
    numbers = list(set(numbers))
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    if not numbers:
        return out
    for number, office_id, org_id in session.execute(
        select(Phone.number, Office.id, Office.organization_id)
        .join(Office, Office.id == Phone.office_id)
        .where(
            Phone.number.in_(numbers),
            PHONE_IS_ACTIVE,
            Office.status != OfficeStatus.CLOSED.value,
        )
    ):
        out[number].append((office_id, org_id))
    return out


def offline_findings(
    targets: Sequence[OfficeTargets],
    kinds: Sequence[CheckKind],
    shared: dict[str, list[tuple[int, int]]],
) -> list[Finding]:
    """Phone and email findings (no network needed)."""
    findings: list[Finding] = []
    for t in targets:
        if CheckKind.PHONE in kinds:
            for phone_id, number in t.phones:
                unrelated = [o for o, org in shared.get(number, []) if org != t.organization_id]
                findings.append(
                    check_phone(
                        number,
                        t.country,
                        office_id=t.office_id,
                        phone_id=phone_id,
                        shared_with=unrelated,
                    )
                )
        if CheckKind.EMAIL in kinds:
            findings.extend(check_email(e, office_id=t.office_id) for e in t.emails)
    return findings


def store_findings(session: Session, findings: Sequence[Finding]) -> tuple[int, int]:
    """Write findings as check history and annotate open tasks of failures.

    Returns (rows stored, tasks annotated). Storing never touches the office's verification.
    """
    now = utcnow()
    annotated = set()
    if findings:
        # On the connection, a Core executemany: no ORM object per result (the session's
        # bulk insert would send one statement per row here), in the session's transaction.
        session.connection().execute(
            insert(CheckResult),
            [
                {
                    "office_id": f.office_id,
                    "phone_id": f.phone_id,
                    "kind": f.kind.value,
                    "target": f.target[:500],
                    "checked_at": now,
                    "ok": f.ok,
                    "flags": f.flags,
                    "status_code": f.status_code,
                    "final_url": (f.final_url or None) and f.final_url[:2000],
                    "elapsed_ms": f.elapsed_ms,
                    "error": f.error and f.error[:1000],
                    "details": f.details,
                }
                for f in findings
            ],
        )
    for f in findings:
        if not f.ok:
            details = {"status_code": f.status_code, "final_url": f.final_url}
            note = Annotation("automated_check", f.kind.value, f.target, f.flags, details)
            task = annotate_office_task(session, office_id=f.office_id, note=note, now=now)
            if task is not None:
                annotated.add(task.id)
    session.flush()
    return len(findings), len(annotated)


def check_history(
    session: Session, *, office_id: int, kind: str | None = None, limit: int = 100
) -> Sequence[CheckResult]:
    """An office's check results, newest first."""
    stmt = select(CheckResult).where(CheckResult.office_id == office_id)
    if kind:
        stmt = stmt.where(CheckResult.kind == kind)
    stmt = stmt.order_by(CheckResult.checked_at.desc(), CheckResult.id.desc()).limit(limit)
    return session.execute(stmt).scalars().all()
