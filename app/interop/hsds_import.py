"""Importing an HSDS dataset into the review queue: never a direct write.

Every record (one office of the dataset) becomes a submission of origin `import` with source
"import: <dataset>", which a reviewer approves or rejects:
- a record matching an existing office (one of its phones in E.164, or its folded organisation
  and office name in the same country and region) becomes a *correction* holding only what
  differs; a record equal to its office is counted as unchanged and not queued;
- any other record becomes a *new contact* (under an existing organisation of the same name
  when there is one).
Validation is the directory's own: records go through the review queue's bulk intake
(`intake.create_submissions`, the same code as a partner's single submission), a chunk of
500 at a time, so the contacts they match are loaded once per chunk and the submissions are
inserted together. A value that fails those checks (an unknown region, coordinates off the
globe, a number of another country) is left out of its record's submission and carried as a
finding for the reviewer (review.findings): only the records the first pass refuses are
checked again, value by value. A record without what makes it a contact (an organisation
name, a country), or that cannot be mapped, is listed with its CSV row or JSON path and the
reason, and nothing of it is written; the others continue. `strict` refuses a record for any
failing value instead, and queues nothing at all when it refuses one.

The verifications the dataset records for a service (our own export's `metadata` rows for
`last_verified_at`, or else its `assured_date` / `assurer_email`) travel with the submission
as the source's claim; approving the submission in full records them at those times, never
later (see app/interop/hsds_reader.py for how they are read). A dry run does everything,
then rolls it all back.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import savepoint
from app.directory import service as directory
from app.directory.change_set import validate_changes, validate_new_contact
from app.directory.models import Office, Organization, Phone
from app.directory.phone_numbers import InvalidPhoneNumber, to_e164
from app.directory.printable import ORGANIZATION_ACTIVE, PHONE_IS_ACTIVE, active_phones
from app.interop.hsds_datasets import NoContactRecords, read_dataset
from app.interop.hsds_package import DatasetError
from app.interop.hsds_reader import Candidate, Problem
from app.kit.batches import batched
from app.kit.errors import HomewardError, InvalidValue
from app.kit.principal import Principal
from app.kit.text import fold
from app.review import intake
from app.review.errors import NothingDiffers
from app.review.findings import country_pending, validate_leaving_out
from app.review.models import Submission, SubmissionKind, SubmissionOrigin

# What a record may correct: an office's own fields and its languages (as the directory
# changes them); of its organisation, the category only when the dataset gives one, and never
# its confidentiality; of a phone, all but the number that identifies it.
OFFICE_UPDATE_FIELDS = (*directory.OFFICE_FIELDS, "languages", *directory.OFFICE_SOURCE_FIELDS)
ORG_UPDATE_FIELDS = (
    "name",
    "local_name",
    "description",
    "website",
    "email",
    "services",
    *directory.ORGANIZATION_SOURCE_FIELDS,
)
PHONE_UPDATE_FIELDS = ("extension", "kind", "hours", "is_24_7", "languages")
CHUNK = 500  # records matched, validated and queued together

__all__ = [
    "DatasetError",
    "ImportReport",
    "Matcher",
    "NoContactRecords",
    "Outcome",
    "Problem",
    "import_path",
    "queue_chunk",
]


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
    flagged: int = 0  # queued submissions carrying findings (values left out for the reviewer)
    undone: bool = False  # strict, and a record was refused: nothing was queued

    @property
    def queued(self) -> int:
        return self.new_contacts + self.corrections


class Matcher:
    """Finds the existing office a record describes: by phone first, then by name.

    Looked up a chunk of records at a time (`prefetch`): the offices holding their numbers
    and the organisations of their names in one query each; a (country, region)'s name index
    is built once, the first time a record of it is not matched by phone.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.by_region: dict[tuple[str, str | None], dict[str, int]] = {}
        self.orgs: dict[str, int | None] = {}
        self.office_by_number: dict[str, int] = {}
        self.numbers_of: dict[int, list[str]] = {}  # id(candidate) -> its numbers in E.164
        self.office_by_external_id: dict[str, int] = {}

    def prefetch(self, candidates: list[Candidate]) -> None:
        self.numbers_of = {id(c): self._numbers(c) for c in candidates}
        numbers = sorted({n for found in self.numbers_of.values() for n in found})
        self.office_by_number = {}
        for chunk in batched(numbers, directory.IN_LIST_SIZE):
            for number, office_id in self.session.execute(
                select(Phone.number, Phone.office_id)
                .where(Phone.number.in_(chunk), PHONE_IS_ACTIVE)
                .order_by(Phone.office_id.desc())
            ):
                self.office_by_number[number] = office_id  # the lowest office id wins
        external = sorted({e for c in candidates if (e := c.office.get("external_id"))})
        self.office_by_external_id = {}
        for chunk in batched(external, directory.IN_LIST_SIZE):
            for external_id, office_id in self.session.execute(
                select(Office.external_id, Office.id)
                .where(Office.external_id.in_(chunk))
                .order_by(Office.id.desc())
            ):
                self.office_by_external_id[str(external_id)] = office_id  # the lowest id wins
        names = sorted(
            {n for c in candidates if (n := c.organization.get("name"))} - self.orgs.keys()
        )
        for chunk in batched(names, directory.IN_LIST_SIZE):
            self.orgs.update(dict.fromkeys(chunk))
            for name, org_id in self.session.execute(
                select(Organization.name, Organization.id)
                .where(Organization.name.in_(chunk), ORGANIZATION_ACTIVE.clause())
                .order_by(Organization.id.desc())
            ):
                self.orgs[name] = org_id  # the lowest id wins

    def _numbers(self, candidate: Candidate) -> list[str]:
        out: list[str] = []
        if not candidate.office.get("country"):
            return out  # no number of it is in international form (hsds_reader._place)
        for phone in candidate.office.get("phones", []):
            try:
                out.append(to_e164(str(phone["number"]), str(candidate.office["country"])))
            except InvalidPhoneNumber:
                continue
        return out

    def office(self, candidate: Candidate) -> int | None:
        # The source's own id first: the same record of a dataset imported again.
        found_by_id = self.office_by_external_id.get(candidate.office.get("external_id") or "")
        if found_by_id is not None:
            return found_by_id
        numbers = self.numbers_of.get(id(candidate))
        if numbers is None:
            numbers = self._numbers(candidate)
        found = [self.office_by_number[n] for n in numbers if n in self.office_by_number]
        if found:
            return min(found)
        if not candidate.office.get("country"):
            return None  # a contact of no known country is always proposed as new
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
                .where(Organization.name == name, ORGANIZATION_ACTIVE.clause())
                .order_by(Organization.id)
                .limit(1)
            ).scalar_one_or_none()
        return self.orgs[name]


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


def _differs(phone: Phone, field: str, value: Any) -> bool:
    current = getattr(phone, field)
    if field == "languages":
        return sorted(current or []) != sorted(value)
    return bool(current != value)


def _correction(office: Office, candidate: Candidate, note: str) -> dict[str, Any]:
    """What the record changes on its office (the queue's intake keeps only what differs)."""
    phones_by_number = {p.number: p for p in active_phones(office)}
    corrections: list[dict[str, Any]] = []
    new_phones: list[dict[str, Any]] = []
    for phone in candidate.office.get("phones", []):
        try:
            number = to_e164(str(phone["number"]), office.country)
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
    if office.external_id is None or office.external_id != office_values.get("external_id"):
        # An office of ours matched by phone or name stays ours: the source record is kept
        # (and corrected) only for an office made from this source record.
        for values in (office_values, org_values):
            for name in ("external_id", "hsds_source"):
                values.pop(name, None)
    if candidate.category_given:
        org_values["category"] = candidate.organization["category"]
    return {
        "kind": "correction",
        "office_id": office.id,
        "office": office_values,
        "organization": org_values,
        "phones": corrections,
        "new_phones": new_phones,
        "note": note,
    }


def _new_contact(matcher: Matcher, candidate: Candidate, note: str) -> dict[str, Any]:
    office = dict(candidate.office)
    org_id = matcher.organization(candidate.organization.get("name"))
    proposal: dict[str, Any] = {"kind": "new_contact", "office": office, "note": note}
    if org_id is not None:
        proposal["organization_id"] = org_id
    else:
        proposal["organization"] = candidate.organization
    return proposal


def _flat(proposal: dict[str, Any]) -> dict[str, Any]:
    """A proposal of `_correction` or `_new_contact` as change paths (change_set's form)."""
    office = dict(proposal.get("office") or {})
    new_phones = proposal.get("new_phones") or office.pop("phones", [])
    values = {f"office.{k}": v for k, v in office.items()}
    values.update({f"organization.{k}": v for k, v in (proposal.get("organization") or {}).items()})
    for phone in proposal.get("phones", []):
        values.update({f"phones.{phone['id']}.{k}": v for k, v in phone.items() if k != "id"})
    values.update({f"new_phones.{n}": v for n, v in enumerate(new_phones)})
    return values


def _nested(proposal: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """`proposal` holding only `values` (`_flat`'s paths), its new phones numbered afresh."""
    out = {k: v for k, v in proposal.items() if k not in {"office", "organization", "phones"}}
    parts: dict[str, dict[str, Any]] = {"office": {}, "organization": {}}
    phones: dict[str, dict[str, Any]] = {}
    new_phones = []
    for path, value in values.items():
        head, _, rest = path.partition(".")
        if head == "new_phones":
            new_phones.append(value)
        elif head == "phones":
            phone_id, _, name = rest.partition(".")
            phones.setdefault(phone_id, {"id": int(phone_id)})[name] = value
        else:
            parts[head][rest] = value
    out["office"] = parts["office"]
    if "organization" in proposal:
        out["organization"] = parts["organization"]
    if proposal["kind"] == "new_contact":
        out["office"]["phones"] = new_phones
    else:
        out["phones"], out["new_phones"] = list(phones.values()), new_phones
    return out


def _leave_out_failing(
    proposal: dict[str, Any], office: Office | None, *, country_pending: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The proposal without the values the directory's checks refuse, and a finding for
    each (review.findings); None when what is refused is what makes it a record."""
    values = _flat(proposal)
    if proposal["kind"] == "new_contact":
        existing = "organization_id" in proposal

        def check(v: dict[str, Any]) -> Any:
            return validate_new_contact(
                v, existing_organization=existing, country_pending=country_pending
            )
    else:
        assert office is not None

        def check(v: dict[str, Any]) -> Any:
            return validate_changes(office, v)

    try:
        _, found = validate_leaving_out(check, values)
    except InvalidValue:
        return None
    if not found:
        return None
    left_out = {f["path"] for f in found}
    kept = {p: v for p, v in values.items() if p not in left_out}
    # Kept new phones are numbered 0.. again; a left-out one names a free number after them,
    # the one a reviewer's edit fills.
    free = sum(1 for p in kept if p.startswith("new_phones."))
    for f in found:
        if f["path"].startswith("new_phones."):
            old = f["path"]
            f["path"] = f"new_phones.{free}"
            f["field"] = f["path"] + f["field"][len(old) :]
            free += 1
    return _nested(proposal, kept), found


Outcome = Submission | NothingDiffers | Problem


def queue_chunk(
    session: Session,
    chunk: list[Candidate | Problem],
    *,
    matcher: Matcher,
    report: ImportReport,
    submitter: Principal | None,
    strict: bool,
    origin: SubmissionOrigin = SubmissionOrigin.IMPORT,
) -> list[Outcome]:
    """Match, validate and queue a chunk of records with the queue's bulk intake, counting
    them in `report`; what became of each item, in order (its submission, NothingDiffers
    when it equals its contact, or the Problem that kept it out).

    Unless `strict`, a record the intake refuses for some of its values is queued again
    without them, carrying a finding for each (the first pass costs nothing extra for the
    records that pass). A feed (app/interop/feeds) queues its pages through here too."""
    if strict:
        chunk = [
            Problem(c.where, c.findings[0]["reason"], c.findings[0]["field"])
            if isinstance(c, Candidate) and c.findings
            else c
            for c in chunk
        ]
    candidates = [c for c in chunk if isinstance(c, Candidate)]
    matcher.prefetch(candidates)
    matched = [matcher.office(c) for c in candidates]
    offices = directory.load_offices(session, {i for i in matched if i is not None})
    proposed = []
    for candidate, office_id in zip(candidates, matched, strict=True):
        note = _note(candidate, report)
        office = offices.get(office_id) if office_id is not None else None
        proposal = (
            _correction(office, candidate, note)
            if office is not None
            else _new_contact(matcher, candidate, note)
        )
        proposed.append(
            intake.Proposed(proposal, candidate.verifications, tuple(candidate.findings))
        )

    def queue(items: list[intake.Proposed]) -> list[Any]:
        # Possible duplicates of new contacts are found when a reviewer opens one; checking
        # names against a whole region for every record would make a large import crawl.
        return intake.create_submissions(
            session,
            items,
            submitter=submitter,
            source=report.source,
            origin=origin,
            check_duplicates=False,
            offices=offices,
        )

    first = queue(proposed)
    if not strict:
        again: dict[int, intake.Proposed] = {}
        for i, (sent, result) in enumerate(zip(proposed, first, strict=True)):
            if not isinstance(result, InvalidValue):
                continue
            given = dict(sent.proposal)
            office = offices.get(given["office_id"]) if "office_id" in given else None
            cleaned = _leave_out_failing(
                given, office, country_pending=country_pending(sent.findings)
            )
            if cleaned is not None:
                again[i] = intake.Proposed(
                    cleaned[0], sent.verifications, (*sent.findings, *cleaned[1])
                )
        for i, result in zip(again, queue(list(again.values())), strict=True):
            first[i] = result
    results = iter(first)
    outcomes: list[Outcome] = []
    for item in chunk:
        report.records += 1
        if isinstance(item, Problem):
            report.problems.append(item)
            outcomes.append(item)
            continue
        result = next(results)
        if isinstance(result, NothingDiffers):
            report.unchanged += 1
            outcomes.append(result)
        elif isinstance(result, HomewardError):
            problem = Problem(item.where, result.message, result.field)
            report.problems.append(problem)
            outcomes.append(problem)
        else:
            assert result.id is not None
            if result.findings:
                report.flagged += 1
            if result.kind == SubmissionKind.CORRECTION:
                report.corrections += 1
            else:
                report.new_contacts += 1
            report.submission_ids.append(result.id)
            outcomes.append(result)
    return outcomes


def import_path(
    session: Session,
    path: Path,
    *,
    dry_run: bool = False,
    submitter: Principal | None = None,
    strict: bool = False,
) -> ImportReport:
    """Queue every record of an HSDS dataset (package directory or JSON) for review.

    Raises DatasetError when the dataset as a whole cannot be read (NoContactRecords when it
    holds no contact records at all); record-level problems are listed in the report and the
    other records continue. A value that fails the directory's checks is left out of its
    record's submission and carried as a finding for the reviewer. With `strict` it is all or
    nothing: a failing value refuses its record, and a refused record leaves nothing queued
    (`undone`).
    """
    name, items = read_dataset(path)
    report = ImportReport(dataset=name, source=f"import: {name}"[:200], dry_run=dry_run)
    matcher = Matcher(session)
    try:
        with savepoint(session, keep=not dry_run) if dry_run or strict else nullcontext():
            for chunk in batched(items, CHUNK):
                queue_chunk(
                    session,
                    chunk,
                    matcher=matcher,
                    report=report,
                    submitter=submitter,
                    strict=strict,
                )
            if strict and report.problems:
                raise _AllOrNothing
    except _AllOrNothing:
        report.undone = True
        report.submission_ids.clear()
    return report


class _AllOrNothing(Exception):
    """A strict import refused a record: what it queued is undone."""
