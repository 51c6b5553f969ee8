"""Importing an HSDS dataset into the review queue: never a direct write.

Every record (one office of the dataset) becomes a submission with source
"import: <dataset>", which a reviewer approves or rejects:
- a record matching an existing office (one of its phones in E.164, or its folded organisation
  and office name in the same country and region) becomes a *correction* holding only what
  differs; a record equal to its office is counted as unchanged and not queued;
- any other record becomes a *new contact* (under an existing organisation of the same name
  when there is one).
Validation is the directory's own (the review queue's intake reuses its schemas and rules).
A record that cannot be mapped or is invalid is listed with its CSV row or JSON path and the
reason; the others continue. Each record is queued in its own savepoint, so a failure leaves
nothing of that record behind. A dry run does everything, then rolls it all back.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlmodel import Session

from app.auth.principal import Principal
from app.directory.enums import PhoneStatus
from app.directory.models import Office, Organization, Phone
from app.directory.phone_numbers import InvalidPhoneNumber, to_e164
from app.interop.hsds_reader import Candidate, DatasetError, Problem, read_dataset
from app.kit.errors import HomewardError, InvalidValue
from app.kit.text import fold
from app.review import service as review

OFFICE_UPDATE_FIELDS = (
    "name",
    "country",
    "region",
    "city",
    "address",
    "postal_code",
    "latitude",
    "longitude",
    "opening_hours",
    "email",
    "website",
    "languages",
    "meets_on_arrival",
    "status",
)
ORG_UPDATE_FIELDS = ("name", "local_name", "description", "website", "email", "services")
PHONE_UPDATE_FIELDS = ("kind", "hours", "is_24_7", "languages")
NOTHING_DIFFERS = "nothing differs"
CHUNK = 500  # records matched together (phones looked up in one query per chunk)
T = TypeVar("T")

__all__ = ["DatasetError", "ImportReport", "Problem", "import_path"]


@dataclass
class ImportReport:
    dataset: str
    source: str
    dry_run: bool
    records: int = 0
    new_contacts: int = 0
    corrections: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    submission_ids: list[int] = field(default_factory=list)

    @property
    def queued(self) -> int:
        return self.new_contacts + self.corrections


class _Matcher:
    """Finds the existing office a record describes: by phone first, then by name."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_region: dict[tuple[str, str | None], dict[str, int]] = {}
        self.orgs: dict[str, int | None] = {}
        # Filled per chunk of records by prefetch(): one query each instead of one per record.
        self.office_by_number: dict[str, int] = {}
        self.countries: dict[int, str] = {}
        self.phones: dict[int, list[Any]] = {}

    def prefetch(self, candidates: list[Candidate]) -> None:
        numbers = sorted({n for c in candidates for n in self.numbers(c)})
        self.office_by_number = {}
        for chunk in _chunks(numbers):
            for number, office_id in self.session.execute(
                select(Phone.number, Phone.office_id)
                .where(Phone.number.in_(chunk), Phone.status == PhoneStatus.ACTIVE.value)
                .order_by(Phone.office_id.desc())
            ):
                self.office_by_number[number] = office_id  # the lowest office id wins
        offices = sorted(set(self.office_by_number.values()))
        self.countries, self.phones = {}, {}
        for chunk in _chunks(offices):
            for office_id, country in self.session.execute(
                select(Office.id, Office.country).where(Office.id.in_(chunk))
            ):
                self.countries[office_id] = country
                self.phones[office_id] = []
            for row in self.session.execute(
                select(
                    Phone.id,
                    Phone.office_id,
                    Phone.number,
                    Phone.kind,
                    Phone.hours,
                    Phone.is_24_7,
                    Phone.languages,
                )
                .where(Phone.office_id.in_(chunk), Phone.status == PhoneStatus.ACTIVE.value)
                .order_by(Phone.office_id, Phone.position, Phone.id)
            ):
                self.phones.setdefault(row.office_id, []).append(row)

    def office_phones(self, office_id: int) -> tuple[str, list[Any]]:
        """(country, active phones) of a matched office."""
        if office_id not in self.countries:
            self.countries[office_id] = self.session.execute(
                select(Office.country).where(Office.id == office_id)
            ).scalar_one()
            self.phones[office_id] = list(
                self.session.execute(
                    select(
                        Phone.id,
                        Phone.office_id,
                        Phone.number,
                        Phone.kind,
                        Phone.hours,
                        Phone.is_24_7,
                        Phone.languages,
                    )
                    .where(Phone.office_id == office_id, Phone.status == PhoneStatus.ACTIVE.value)
                    .order_by(Phone.position, Phone.id)
                )
            )
        return self.countries[office_id], self.phones.get(office_id, [])

    def numbers(self, candidate: Candidate) -> list[str]:
        out = []
        for phone in candidate.office.get("phones", []):
            try:
                out.append(to_e164(str(phone["number"]), str(candidate.office["country"])))
            except InvalidPhoneNumber:
                continue
        return out

    def office(self, candidate: Candidate) -> int | None:
        found = [
            self.office_by_number[n] for n in self.numbers(candidate) if n in self.office_by_number
        ]
        if found:
            return min(found)
        country = str(candidate.office["country"]).upper()
        region = candidate.office.get("region")
        key = (country, region)
        if key not in self.by_region:
            stmt = (
                select(Office.id, Office.name, Organization.name)
                .join(Organization, Organization.id == Office.organization_id)
                .where(Office.country == country)
                .order_by(Office.id)
            )
            stmt = stmt.where(
                Office.region.is_(None) if region is None else Office.region == region
            )
            index: dict[str, int] = {}
            for office_id, office_name, org_name in self.session.execute(stmt):
                index.setdefault(_name_key(org_name, office_name), office_id)
            self.by_region[key] = index
        wanted = _name_key(candidate.organization.get("name"), candidate.office.get("name"))
        return self.by_region[key].get(wanted)

    def organization(self, name: str | None) -> int | None:
        if not name:
            return None
        if name not in self.orgs:
            self.orgs[name] = self.session.execute(
                select(Organization.id)
                .where(Organization.name == name, Organization.status == "active")
                .order_by(Organization.id)
                .limit(1)
            ).scalar_one_or_none()
        return self.orgs[name]


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _chunks(values: list[Any], size: int = 900) -> Iterator[list[Any]]:
    # Keep IN lists under SQLite's bound-parameter limit.
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _name_key(org_name: str | None, office_name: str | None) -> str:
    text = " ".join(p for p in (org_name, office_name) if p)
    # fold() walks every character; for plain ASCII it reduces to this (the index of a
    # region is built from thousands of names).
    return " ".join(text.casefold().split()) if text.isascii() else fold(text)


def _given(values: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    # A dataset that leaves a field out may simply not hold it: propose only what it gives.
    return {k: values[k] for k in fields if values.get(k) not in (None, [], "")}


def _note(candidate: Candidate, report: ImportReport) -> str:
    note = f"Imported from HSDS dataset '{report.dataset}' ({candidate.where})."
    if not candidate.category_given:
        note += " The dataset gives no Homeward category: 'ngo' was assumed; check it."
    return note


def _differs(phone: Any, field: str, value: Any) -> bool:
    current = getattr(phone, field)
    if field == "languages":
        return sorted(current or []) != sorted(value)
    return bool(current != value)


def _correction(matcher: _Matcher, office_id: int, candidate: Candidate, note: str) -> dict:
    # Plain rows: the queue's intake loads the whole office again anyway.
    country, phones = matcher.office_phones(office_id)
    phones_by_number = {p.number: p for p in phones}
    corrections: list[dict[str, Any]] = []
    new_phones: list[dict[str, Any]] = []
    for phone in candidate.office.get("phones", []):
        try:
            number = to_e164(str(phone["number"]), country)
        except InvalidPhoneNumber:
            new_phones.append(phone)  # the queue's validation names the field and reason
            continue
        existing = phones_by_number.get(number)
        if existing is None:
            new_phones.append(phone)
            continue
        changed = {
            k: v for k, v in _given(phone, PHONE_UPDATE_FIELDS).items() if _differs(existing, k, v)
        }
        if changed:
            corrections.append({"id": existing.id, **changed})
    office_values = _given(candidate.office, OFFICE_UPDATE_FIELDS)
    org_values = _given(candidate.organization, ORG_UPDATE_FIELDS)
    if candidate.category_given:
        org_values["category"] = candidate.organization["category"]
    return {
        "kind": "correction",
        "office_id": office_id,
        "office": office_values,
        "organization": org_values,
        "phones": corrections,
        "new_phones": new_phones,
        "note": note,
    }


def _new_contact(matcher: _Matcher, candidate: Candidate, note: str) -> dict:
    office = dict(candidate.office)
    org_id = matcher.organization(candidate.organization.get("name"))
    proposal: dict[str, Any] = {"kind": "new_contact", "office": office, "note": note}
    if org_id is not None:
        proposal["organization_id"] = org_id
    else:
        proposal["organization"] = candidate.organization
    return proposal


def _queue_one(
    session: Session,
    candidate: Candidate,
    *,
    matcher: _Matcher,
    report: ImportReport,
    submitter: Principal | None,
) -> None:
    note = _note(candidate, report)
    office_id = matcher.office(candidate)
    if office_id is not None:
        proposal = _correction(matcher, office_id, candidate, note)
        try:
            submission = review.create_submission(
                session, proposal=proposal, submitter=submitter, source=report.source
            )
        except InvalidValue as exc:
            if exc.field == "body" and exc.message.startswith(NOTHING_DIFFERS):
                report.unchanged += 1
                return
            raise
        report.corrections += 1
    else:
        proposal = _new_contact(matcher, candidate, note)
        # Possible duplicates are found again when a reviewer opens it; checking names
        # against a whole region for every record would make a large import crawl.
        submission = review.create_submission(
            session,
            proposal=proposal,
            submitter=submitter,
            source=report.source,
            check_duplicates=False,
        )
        report.new_contacts += 1
    assert submission.id is not None
    report.submission_ids.append(submission.id)


def import_path(
    session: Session,
    path: Path,
    *,
    dry_run: bool = False,
    submitter: Principal | None = None,
) -> ImportReport:
    """Queue every record of an HSDS dataset (package directory or JSON) for review.

    Raises DatasetError when the dataset as a whole cannot be read; record-level problems
    are listed in the report and the other records continue.
    """
    name, items = read_dataset(path)
    report = ImportReport(dataset=name, source=f"import: {name}"[:200], dry_run=dry_run)
    matcher = _Matcher(session)
    outer = session.begin_nested() if dry_run else None
    try:
        for chunk in _batches(items, CHUNK):
            matcher.prefetch([c for c in chunk if isinstance(c, Candidate)])
            for item in chunk:
                report.records += 1
                if isinstance(item, Problem):
                    report.problems.append(item)
                    continue
                try:
                    with session.begin_nested():
                        _queue_one(
                            session, item, matcher=matcher, report=report, submitter=submitter
                        )
                except HomewardError as exc:
                    report.problems.append(Problem(item.where, exc.message, exc.field))
    finally:
        if outer is not None:
            outer.rollback()
    return report
