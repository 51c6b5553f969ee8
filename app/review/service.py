"""NGO submissions and the review queue.

Every function takes the session first and keyword-only plain values; they flush, never
commit, so "approve a correction, change the contact, write its revisions, record the
verification and mark the submission decided" is one transaction that the caller's unit of
work commits or rolls back as a whole.

Public API (used by app/api/submissions.py, the CLI, the web pages and the HSDS import):

    create_submission(session, *, proposal, submitter, source, settings=None,
                      check_duplicates=True, verifications=()) -> Submission
        `proposal` is a CorrectionCreate / NewContactCreate / ClosureCreate (or a plain dict
        with a `kind` key, validated the same way). `submitter` is the NGO key's Principal,
        or None for imports, whose `source` reads "import: <dataset>". Validated with the
        directory's rules (InvalidValue, 422, naming the field; nothing queued); rate-limited
        per key (TooManyRequests, 429) and capped in size (InvalidValue on `body`).
        `verifications`: what the source of an import says about when it verified the
        record (VerificationClaim), recorded when the submission is approved in full.
    create_submissions(session, items, *, submitter, source, settings=None,
                       check_duplicates=True, offices=None) -> list[Submission | HomewardError]
        The same for many `Proposed` items at once (bulk intake: the HSDS import).
    list_queue(session, *, filters, page, per_page, now=None) -> QueuePage
    country_counts(session, *, statuses=("pending",)) -> list[CountryCount]
    review(session, *, submission_id) -> SubmissionReview        (diff, drift, duplicates)
    approve(session, *, submission_id, reviewer, fields=None, edits=None,
            resolve_conflicts=(), expected_version=None, reason=None) -> Submission
    reject(session, *, submission_id, reviewer, reason, expected_version=None) -> Submission
    mark_duplicate(session, *, submission_id, reviewer, of_submission_id=None,
                   of_office_id=None, reason=None, expected_version=None) -> Submission
    list_for_partner(session, *, partner, statuses=(), page, per_page) -> PartnerPage
    get_for_partner(session, *, submission_id, partner) -> Submission
    get_submission(session, submission_id) -> Submission
    submission_public(submission) -> SubmissionPublic

Deciding is guarded twice: a conditional UPDATE (`WHERE status = 'pending' AND version =
:seen`) lets exactly one of two concurrent reviewers win (the other gets 409), and field-level
conflict detection refuses (409) to overwrite a field someone else changed since intake unless
the reviewer lists it in `resolve_conflicts`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import exists, func, select, update
from sqlmodel import Session

from app.auth.models import ApiKey
from app.auth.principal import Principal
from app.config import Settings, get_settings
from app.directory import service as directory
from app.directory.enums import OfficeStatus, PhoneStatus, VerificationMethod
from app.directory.geography import country_name
from app.directory.models import Office, Organization, Revision
from app.directory.provenance import Provenance
from app.directory.schemas import (
    OfficeCreate,
    OfficeUpdate,
    OrganizationCreate,
    OrganizationUpdate,
    PhoneCreate,
    PhoneUpdate,
)
from app.directory.validation import checked_country, checked_phone, checked_region
from app.kit.clock import as_utc, utcnow
from app.kit.errors import HomewardError, InvalidValue, TooManyRequests, VersionConflict
from app.review import diff, duplicates
from app.review.errors import (
    NothingDiffers,
    OwnSubmission,
    SubmissionAlreadyDecided,
    SubmissionChanged,
    SubmissionConflict,
    SubmissionNotFound,
)
from app.review.models import (
    ClosureReason,
    Submission,
    SubmissionKind,
    SubmissionPhone,
    SubmissionStatus,
)
from app.review.schemas import (
    ClosureCreate,
    CorrectionCreate,
    CountryCount,
    DuplicateMatch,
    NewContactCreate,
    NewContactOffice,
    PartnerPage,
    QueuePage,
    SubmissionCreate,
    SubmissionPublic,
    SubmissionReview,
    SubmissionSummary,
    VerificationClaim,
)
from app.verification import partners
from app.verification.service import record_verification

M = TypeVar("M", bound=BaseModel)
Proposal = CorrectionCreate | NewContactCreate | ClosureCreate
_PROPOSAL = TypeAdapter(SubmissionCreate)

SOURCE_LABELS = {
    SubmissionKind.CORRECTION: "correction",
    SubmissionKind.NEW_CONTACT: "new contact",
    SubmissionKind.CLOSURE: "closure report",
}


# ---- validation shared by intake and approval ------------------------------------------


def _validated(model: type[M], data: Mapping[str, Any], *, prefix: str) -> M:
    """Validate with a directory schema; the first error becomes a 422 naming the path."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err.get("loc", ()))
        name = ".".join(p for p in (prefix, loc) if p) or "body"
        raise InvalidValue(str(err["msg"]).removeprefix("Value error, "), field=name) from exc


def _parse(path: str, *, field_name: str | None = None) -> diff.Path:
    try:
        return diff.Path.parse(path)
    except ValueError as exc:
        raise InvalidValue(str(exc), field=field_name or path) from exc


def _sorted_unique(value: Any) -> Any:
    return sorted(set(value)) if isinstance(value, list) else value


def _normalise_phone(data: Mapping[str, Any], country: str, *, prefix: str) -> dict[str, Any]:
    phone = _validated(PhoneCreate, data, prefix=prefix).model_dump(mode="json", warnings=False)
    phone["number"] = checked_phone(phone["number"], country, field=f"{prefix}.number")
    phone["languages"] = sorted(set(phone["languages"]))
    return phone


def normalise_correction(office: Office, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check path -> value against the directory's rules for this office and return the
    normalised values (E.164 numbers, upper-case codes, sorted lists). Raises InvalidValue."""
    office_f: dict[str, Any] = {}
    org_f: dict[str, Any] = {}
    phone_f: dict[int, dict[str, Any]] = {}
    new_f: dict[int, Any] = {}
    for path, value in values.items():
        where = _parse(path)
        if where.entity == "office":
            office_f[where.field] = value
        elif where.entity == "organization":
            org_f[where.field] = value
        elif where.entity == "phone":
            assert where.entity_id is not None
            phone_f.setdefault(where.entity_id, {})[where.field] = value
        else:
            new_f[int(where.field)] = value

    out: dict[str, Any] = {}
    country = office.country
    if office_f:
        if "version" in office_f:
            raise InvalidValue("'version' is not a field to change", field="office.version")
        checked = _validated(OfficeUpdate, office_f, prefix="office").model_dump(
            mode="json", warnings=False, include=set(office_f)
        )
        country = checked_country(checked.get("country", office.country), field="office.country")
        if "country" in checked:
            checked["country"] = country
        if "region" in checked:
            checked["region"] = checked_region(country, checked["region"], field="office.region")
        elif country != office.country and office.region is not None:
            # A region belongs to one country: moving country clears it unless one is given.
            checked["region"] = None
        if "languages" in checked:
            checked["languages"] = _sorted_unique(checked["languages"])
        out.update({f"office.{k}": v for k, v in checked.items()})
    if org_f:
        if "confidential" in org_f:
            raise InvalidValue(
                "a submission cannot change confidentiality; ask an admin",
                field="organization.confidential",
            )
        if "version" in org_f:
            raise InvalidValue("'version' is not a field to change", field="organization.version")
        checked = _validated(OrganizationUpdate, org_f, prefix="organization").model_dump(
            mode="json", warnings=False, include=set(org_f)
        )
        if "services" in checked:
            checked["services"] = _sorted_unique(checked["services"])
        out.update({f"organization.{k}": v for k, v in checked.items()})
    phones = {p.id: p for p in office.phones}
    for phone_id, fields in phone_f.items():
        prefix = f"phones.{phone_id}"
        if phone_id not in phones:
            raise InvalidValue(f"phone {phone_id} is not a phone of this contact", field=prefix)
        fields = dict(fields)
        status = fields.pop("status", None)
        if "version" in fields or "id" in fields:
            raise InvalidValue("not a field to change", field=f"{prefix}.version")
        checked = _validated(PhoneUpdate, fields, prefix=prefix).model_dump(
            mode="json", warnings=False, include=set(fields)
        )
        if "number" in checked:
            checked["number"] = checked_phone(checked["number"], country, field=f"{prefix}.number")
        if "languages" in checked:
            checked["languages"] = _sorted_unique(checked["languages"])
        if status is not None:
            try:
                checked["status"] = PhoneStatus(status).value
            except ValueError as exc:
                raise InvalidValue(
                    "must be 'active' or 'disconnected'", field=f"{prefix}.status"
                ) from exc
        out.update({f"{prefix}.{k}": v for k, v in checked.items()})
    for index, data in sorted(new_f.items()):
        if not isinstance(data, Mapping):
            raise InvalidValue("must be a phone object", field=f"new_phones.{index}")
        out[f"new_phones.{index}"] = _normalise_phone(data, country, prefix=f"new_phones.{index}")
    return out


def normalise_new_contact(
    values: Mapping[str, Any], *, existing_organization: bool
) -> dict[str, Any]:
    """Check a new contact's path -> value with the directory's create rules; normalised."""
    org_f: dict[str, Any] = {}
    office_f: dict[str, Any] = {}
    new_f: dict[int, Any] = {}
    for path, value in values.items():
        where = _parse(path)
        if where.entity == "organization" and not existing_organization:
            org_f[where.field] = value
        elif where.entity == "office":
            office_f[where.field] = value
        elif where.entity == "new_phone":
            new_f[int(where.field)] = value
        else:
            raise InvalidValue("not a field of a new contact", field=path)
    out: dict[str, Any] = {}
    if not existing_organization:
        org = _validated(OrganizationCreate, org_f, prefix="organization")
        dumped = org.model_dump(mode="json", warnings=False, include=set(org_f))
        if "services" in dumped:
            dumped["services"] = _sorted_unique(dumped["services"])
        out.update({f"organization.{k}": v for k, v in dumped.items()})
    if "phones" in office_f:
        raise InvalidValue("phones are 'new_phones.<n>'", field="office.phones")
    office = _validated(NewContactOffice, office_f, prefix="office")
    dumped = office.model_dump(mode="json", warnings=False, include=set(office_f))
    country = checked_country(office.country, field="office.country")
    dumped["country"] = country
    if "region" in dumped:
        dumped["region"] = checked_region(country, dumped["region"], field="office.region")
    if "languages" in dumped:
        dumped["languages"] = _sorted_unique(dumped["languages"])
    out.update({f"office.{k}": v for k, v in dumped.items()})
    for index, data in sorted(new_f.items()):
        if not isinstance(data, Mapping):
            raise InvalidValue("must be a phone object", field=f"new_phones.{index}")
        out[f"new_phones.{index}"] = _normalise_phone(data, country, prefix=f"new_phones.{index}")
    return out


# ---- intake ----------------------------------------------------------------------------


def _check_seen_version(seen: int | None, current: int, *, field_name: str) -> None:
    if seen is not None and seen != current:
        raise VersionConflict(
            f"the record changed since version {seen}; it is now version {current} — reload it",
            field=field_name,
            current_version=current,
        )


def _dump(model: BaseModel | None, *, exclude: set[str]) -> dict[str, Any]:
    if model is None:
        return {}
    return model.model_dump(mode="json", warnings=False, exclude_unset=True, exclude=exclude)


def _title(org_name: str | None, office: Office | None = None, **fields: Any) -> str:
    place = fields.get("name") or fields.get("city")
    if office is not None:
        place = office.name or office.city
    text = " — ".join(p for p in (org_name, place) if p) or "(unnamed)"
    return text[:300]


@dataclass
class _Intake:
    kind: SubmissionKind
    country: str
    region: str | None
    title: str
    changes: dict[str, Any]
    base: dict[str, Any] = field(default_factory=dict)
    base_versions: dict[str, int] = field(default_factory=dict)
    office_id: int | None = None
    organization_id: int | None = None
    phone_id: int | None = None
    closure_reason: str | None = None
    name_key: str | None = None


def _correction_intake(body: CorrectionCreate, office: Office) -> _Intake:
    org = office.organization
    _check_seen_version(
        body.office.version if body.office else None, office.version, field_name="office.version"
    )
    _check_seen_version(
        body.organization.version if body.organization else None,
        org.version,
        field_name="organization.version",
    )
    values: dict[str, Any] = {}
    values.update({f"office.{k}": v for k, v in _dump(body.office, exclude={"version"}).items()})
    values.update(
        {f"organization.{k}": v for k, v in _dump(body.organization, exclude={"version"}).items()}
    )
    phones = {p.id: p for p in office.phones}
    for i, correction in enumerate(body.phones):
        phone = phones.get(correction.id)
        if phone is None:
            raise InvalidValue(
                f"phone {correction.id} is not a phone of this contact", field=f"phones.{i}.id"
            )
        _check_seen_version(correction.version, phone.version, field_name=f"phones.{i}.version")
        for k, v in _dump(correction, exclude={"id", "version"}).items():
            values[f"phones.{correction.id}.{k}"] = v
    for i, new in enumerate(body.new_phones):
        values[f"new_phones.{i}"] = new.model_dump(mode="json", warnings=False)
    normalised = normalise_correction(office, values)
    changes = {
        p: v
        for p, v in normalised.items()
        if p.startswith("new_phones.") or diff.current_value(office, p) != v
    }
    if not changes:
        raise NothingDiffers()
    return _existing_intake(SubmissionKind.CORRECTION, office, changes)


def _existing_intake(kind: SubmissionKind, office: Office, changes: dict[str, Any]) -> _Intake:
    return _Intake(
        kind=kind,
        country=office.country,
        region=office.region,
        title=_title(office.organization.name, office),
        changes=changes,
        base={p: diff.current_value(office, p) for p in changes if not p.startswith("new_")},
        base_versions=diff.current_versions(office, changes),
        office_id=office.id,
        organization_id=office.organization_id,
    )


def _closure_intake(body: ClosureCreate, office: Office) -> _Intake:
    if body.reason is ClosureReason.NUMBER_DISCONNECTED:
        phone = next((p for p in office.phones if p.id == body.phone_id), None)
        if phone is None:
            raise InvalidValue(
                f"phone {body.phone_id} is not a phone of this contact", field="phone_id"
            )
        _check_seen_version(body.version, phone.version, field_name="version")
        if phone.status == PhoneStatus.DISCONNECTED:
            raise InvalidValue("this number is already marked disconnected", field="phone_id")
        changes: dict[str, Any] = {f"phones.{phone.id}.status": PhoneStatus.DISCONNECTED.value}
    else:
        _check_seen_version(body.version, office.version, field_name="version")
        if office.status == OfficeStatus.CLOSED:
            raise InvalidValue("this contact is already closed", field="office_id")
        changes = {"office.status": OfficeStatus.CLOSED.value}
    intake = _existing_intake(SubmissionKind.CLOSURE, office, changes)
    intake.closure_reason = body.reason.value
    intake.phone_id = body.phone_id
    return intake


def _refuse_confidentiality(body: NewContactCreate) -> None:
    """A key's new contact may not say whether it is confidential: only a reviewer decides
    that, as for a correction (an import's source may)."""
    if body.organization is not None and "confidential" in body.organization.model_fields_set:
        raise InvalidValue(
            "a submission cannot set confidentiality; a reviewer decides it",
            field="organization.confidential",
        )


def _new_contact_intake(body: NewContactCreate, existing: Organization | None) -> _Intake:
    org_name = existing.name if existing is not None else None
    values: dict[str, Any] = {}
    values.update(
        {f"organization.{k}": v for k, v in _dump(body.organization, exclude=set()).items()}
    )
    values.update({f"office.{k}": v for k, v in _dump(body.office, exclude={"phones"}).items()})
    for i, phone in enumerate(body.office.phones):
        values[f"new_phones.{i}"] = phone.model_dump(mode="json", warnings=False)
    changes = normalise_new_contact(values, existing_organization=body.organization_id is not None)
    if body.organization is not None:
        org_name = changes["organization.name"]
    office_name = changes.get("office.name")
    return _Intake(
        kind=SubmissionKind.NEW_CONTACT,
        country=changes["office.country"],
        region=changes.get("office.region"),
        title=_title(org_name, name=office_name, city=changes.get("office.city")),
        changes=changes,
        organization_id=body.organization_id,
        name_key=duplicates.name_key(org_name, office_name)[:500],
    )


def _verification_claims(
    claims: Sequence[Mapping[str, Any]], intake: _Intake, office: Office | None
) -> list[dict[str, Any]]:
    """The source's verification claims, validated, oldest first. A correction keeps only
    those newer than the contact's own last verification (older ones are not news)."""
    if not claims:
        return []
    if intake.kind == SubmissionKind.CLOSURE:
        raise InvalidValue("a closure report carries no verification", field="verifications")
    checked = [
        _validated(VerificationClaim, claim, prefix=f"verifications.{i}")
        for i, claim in enumerate(claims)
    ]
    known = as_utc(office.last_verified_at) if office is not None else None
    return [
        c.model_dump(mode="json", warnings=False)
        for c in sorted(checked, key=lambda c: c.verified_at)
        if known is None or c.verified_at > known
    ]


@dataclass
class _RateBudget:
    """How many more submissions a key may make now (one count per batch, not per item)."""

    limit: int
    window_seconds: int
    now: datetime
    count: int = 0
    oldest: datetime | None = None

    @classmethod
    def load(
        cls, session: Session, *, submitter: Principal, settings: Settings, now: datetime
    ) -> _RateBudget:
        # Serialise one key's submissions (PostgreSQL row lock; SQLite writes are serial
        # anyway) so parallel requests on several workers cannot slip past the count together.
        session.execute(select(ApiKey.id).where(ApiKey.id == submitter.key_id).with_for_update())
        since = now - timedelta(seconds=settings.submission_rate_window_seconds)
        count, oldest = session.execute(
            select(func.count(), func.min(Submission.created_at)).where(
                Submission.submitter_key_id == submitter.key_id, Submission.created_at > since
            )
        ).one()
        return cls(
            limit=settings.submission_rate_limit,
            window_seconds=settings.submission_rate_window_seconds,
            now=now,
            count=count,
            oldest=as_utc(oldest),
        )

    def check(self) -> None:
        if self.count < self.limit:
            return
        free_at = (self.oldest or self.now) + timedelta(seconds=self.window_seconds)
        retry_after = max(1, math.ceil((free_at - self.now).total_seconds()))
        raise TooManyRequests(
            f"at most {self.limit} submissions per {self.window_seconds} seconds per key; "
            f"retry in {retry_after} seconds",
            retry_after=retry_after,
        )

    def take(self) -> None:
        self.count += 1
        self.oldest = self.oldest or self.now


def _submitter_name(session: Session, submitter: Principal | None, source: str) -> str:
    if submitter is None:
        return source[:300]
    if submitter.organization_id is not None:
        org = session.get(Organization, submitter.organization_id)
        if org is not None:
            return f"{org.name} / {submitter.label}"[:300]
    return submitter.label[:300]


@dataclass(frozen=True)
class Proposed:
    """One item of `create_submissions`: a proposal (a schema or a plain dict with `kind`),
    and the verifications its source claims (imports only: see VerificationClaim)."""

    proposal: Proposal | Mapping[str, Any]
    verifications: Sequence[Mapping[str, Any]] = ()


def create_submission(
    session: Session,
    *,
    proposal: Proposal | Mapping[str, Any],
    submitter: Principal | None,
    source: str,
    settings: Settings | None = None,
    check_duplicates: bool = True,
    verifications: Sequence[Mapping[str, Any]] = (),
) -> Submission:
    """Queue a correction, new contact or closure report after validating it exactly as the
    directory would. Nothing is queued when it is invalid (InvalidValue, 422), too large
    (InvalidValue on `body`), over the key's rate limit (TooManyRequests, 429), or about a
    contact the submitter may not see (OfficeNotFound, 404), or, from an NGO partner, about a
    country outside its scope (OutsidePartnerScope, 403: `partners.check_scope`)."""
    (result,) = create_submissions(
        session,
        [Proposed(proposal, verifications)],
        submitter=submitter,
        source=source,
        settings=settings,
        check_duplicates=check_duplicates,
    )
    if isinstance(result, HomewardError):
        raise result
    return result


def create_submissions(
    session: Session,
    items: Sequence[Proposed],
    *,
    submitter: Principal | None,
    source: str,
    settings: Settings | None = None,
    check_duplicates: bool = True,
    offices: Mapping[int, Office] | None = None,
) -> list[Submission | HomewardError]:
    """`create_submission` for many proposals at once (the HSDS import queues 500 at a time):
    one result per item, in order, the submission or the error that kept it out (nothing of
    it is written). The contacts and organisations the items are about are loaded in a few
    queries (`offices` may hold some already loaded with `directory.load_offices` in this
    session), and the submissions are inserted together.

    Possible duplicates are looked up against what was queued before the call: items of one
    call are not matched against each other.
    """
    settings = settings or get_settings()
    now = utcnow()
    results: list[Submission | HomewardError | None] = [None] * len(items)
    proposals: list[Proposal | None] = [None] * len(items)
    for i, item in enumerate(items):
        try:
            given = item.proposal
            proposals[i] = given if isinstance(given, BaseModel) else _validated_proposal(given)
        except HomewardError as exc:
            results[i] = exc
    loaded = dict(offices or {})
    loaded.update(
        directory.load_offices(
            session,
            {
                p.office_id
                for p in proposals
                if isinstance(p, CorrectionCreate | ClosureCreate) and p.office_id not in loaded
            },
        )
    )
    organizations = directory.load_organizations(
        session,
        {
            p.organization_id
            for p in proposals
            if isinstance(p, NewContactCreate) and p.organization_id is not None
        },
    )
    # The rate limit bounds partners' keys; a staff key's submissions (an officer's call
    # outcomes) are never refused for it, so a dead number always leaves the sheets.
    budget = (
        _RateBudget.load(session, submitter=submitter, settings=settings, now=now)
        if submitter is not None and submitter.is_ngo and submitter.key_id is not None
        else None
    )
    accepted: list[tuple[int, _Intake, Proposal, list[dict[str, Any]], list[dict[str, Any]]]]
    accepted = []
    for i, proposal in enumerate(proposals):
        if proposal is None:
            continue
        try:
            if budget is not None:
                budget.check()
            office: Office | None = None
            if isinstance(proposal, NewContactCreate):
                if submitter is not None:
                    _refuse_confidentiality(proposal)
                existing = None
                if proposal.organization_id is not None:
                    existing = directory.visible_organization(
                        organizations.get(proposal.organization_id),
                        proposal.organization_id,
                        viewer=submitter,
                    )
                intake = _new_contact_intake(proposal, existing)
            else:
                office = directory.visible_office(
                    loaded.get(proposal.office_id), proposal.office_id, viewer=submitter
                )
                if isinstance(proposal, CorrectionCreate):
                    intake = _correction_intake(proposal, office)
                else:
                    intake = _closure_intake(proposal, office)
            if submitter is not None:
                # A partner's scope covers where the contact is and where it would move to.
                partners.check_scope(
                    session,
                    partner=submitter,
                    countries=[intake.country, intake.changes.get("office.country")],
                )
            claims = _verification_claims(items[i].verifications, intake, office)
            size = len(json.dumps(intake.changes, ensure_ascii=False).encode()) + len(
                (proposal.note or "").encode()
            )
            if size > settings.max_submission_bytes:
                raise InvalidValue(
                    f"a submission may hold at most {settings.max_submission_bytes} bytes "
                    f"(got {size})",
                    field="body",
                )
            matches: list[dict[str, Any]] = []
            if check_duplicates and intake.kind == SubmissionKind.NEW_CONTACT:
                matches = duplicates.find_matches(
                    session,
                    country=intake.country,
                    region=intake.region,
                    organization_name=_org_name(session, intake.changes, intake.organization_id),
                    office_name=intake.changes.get("office.name"),
                    numbers=_proposed_numbers(intake.changes),
                )
        except HomewardError as exc:
            results[i] = exc
            continue
        if budget is not None:
            budget.take()
        accepted.append((i, intake, proposal, claims, matches))
    if accepted:
        _insert(session, accepted, results, submitter=submitter, source=source, now=now)
    return [r for r in results if r is not None]


def _insert(
    session: Session,
    accepted: Sequence[tuple[int, _Intake, Proposal, list[dict[str, Any]], list[dict[str, Any]]]],
    results: list[Submission | HomewardError | None],
    *,
    submitter: Principal | None,
    source: str,
    now: datetime,
) -> None:
    """Insert the accepted submissions and their proposed numbers (two INSERTs)."""
    base_revision_id = session.execute(select(func.max(Revision.id))).scalar_one() or 0
    submitter_name = _submitter_name(session, submitter, source)
    rows = []
    for i, intake, proposal, claims, matches in accepted:
        submission = Submission(
            kind=intake.kind.value,
            closure_reason=intake.closure_reason,
            office_id=intake.office_id,
            organization_id=intake.organization_id,
            phone_id=intake.phone_id,
            country=intake.country,
            region=intake.region,
            title=intake.title,
            name_key=intake.name_key,
            changes=intake.changes,
            base=intake.base,
            base_versions=intake.base_versions,
            base_revision_id=base_revision_id,
            verifications=claims,
            note=proposal.note,
            source=source[:200],
            duplicate_matches=matches,
            submitter_key_id=submitter.key_id if submitter else None,
            submitter_name=submitter_name,
            submitter_organization_id=submitter.organization_id if submitter else None,
            created_at=now,
        )
        results[i] = submission
        rows.append((submission, intake))
    session.add_all(s for s, _ in rows)
    session.flush()
    phones: list[SubmissionPhone] = []
    for submission, intake in rows:
        assert submission.id is not None
        if intake.kind == SubmissionKind.NEW_CONTACT:
            numbers = sorted(set(_proposed_numbers(intake.changes)))
            phones.extend(SubmissionPhone(submission_id=submission.id, number=n) for n in numbers)
    if phones:
        session.add_all(phones)
        session.flush()


def _validated_proposal(data: Mapping[str, Any]) -> Proposal:
    try:
        return _PROPOSAL.validate_python(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        # Skip the union tag ('correction', …) pydantic puts in the location.
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in {k.value for k in SubmissionKind}:
            loc = loc[1:]
        raise InvalidValue(
            str(err["msg"]).removeprefix("Value error, "), field=".".join(loc) or "body"
        ) from exc


def _proposed_numbers(changes: Mapping[str, Any]) -> list[str]:
    return [v["number"] for p, v in changes.items() if p.startswith("new_phones.")]


def _org_name(
    session: Session, changes: Mapping[str, Any], organization_id: int | None
) -> str | None:
    if "organization.name" in changes:
        return str(changes["organization.name"])
    if organization_id is not None:
        org = session.get(Organization, organization_id)
        return org.name if org else None
    return None


# ---- reading ---------------------------------------------------------------------------


def get_submission(session: Session, submission_id: int) -> Submission:
    """A submission by id, or SubmissionNotFound (404)."""
    sub = session.get(Submission, submission_id, populate_existing=True)
    if sub is None:
        raise SubmissionNotFound(submission_id)
    return sub


def submission_public(sub: Submission) -> SubmissionPublic:
    """The partner-facing shape of a submission."""
    assert sub.id is not None
    return SubmissionPublic(
        id=sub.id,
        kind=SubmissionKind(sub.kind),
        status=SubmissionStatus(sub.status),
        closure_reason=ClosureReason(sub.closure_reason) if sub.closure_reason else None,
        office_id=sub.office_id,
        organization_id=sub.organization_id,
        phone_id=sub.phone_id,
        country=sub.country,
        region=sub.region,
        title=sub.title,
        changes=sub.changes,
        verifications=[VerificationClaim.model_validate(c) for c in sub.verifications or []],
        note=sub.note,
        source=sub.source,
        submitter_name=sub.submitter_name,
        created_at=as_utc(sub.created_at) or sub.created_at,
        decided_at=as_utc(sub.decided_at),
        decision_reason=sub.decision_reason,
        applied=sub.applied,
        duplicate_of_submission_id=sub.duplicate_of_submission_id,
        duplicate_of_office_id=sub.duplicate_of_office_id,
        version=sub.version,
    )


def _partner_clause(partner: Principal) -> Any:
    own = (
        Submission.submitter_organization_id == partner.organization_id
        if partner.organization_id is not None
        else Submission.submitter_key_id == partner.key_id
    )
    confidential = exists(
        select(Organization.id).where(
            Organization.id == Submission.organization_id, Organization.confidential.is_(True)
        )
    )
    return own & ~confidential


def get_for_partner(session: Session, *, submission_id: int, partner: Principal) -> Submission:
    """One of the partner's own submissions; anyone else's (or one about a confidential
    organisation) is SubmissionNotFound, so its existence is not revealed."""
    sub = session.execute(
        select(Submission).where(Submission.id == submission_id, _partner_clause(partner))
    ).scalar_one_or_none()
    if sub is None:
        raise SubmissionNotFound(submission_id)
    return sub


def _pages(total: int, per_page: int) -> int:
    return max(1, math.ceil(total / per_page))


def list_for_partner(
    session: Session,
    *,
    partner: Principal,
    statuses: Sequence[str] = (),
    page: int = 1,
    per_page: int = 50,
) -> PartnerPage:
    """The partner organisation's own submissions, newest first, with decisions and reasons."""
    conds = [_partner_clause(partner)]
    if statuses:
        conds.append(Submission.status.in_(list(statuses)))
    total = session.execute(select(func.count()).select_from(Submission).where(*conds)).scalar_one()
    rows = session.execute(
        select(Submission)
        .where(*conds)
        .order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    return PartnerPage(
        items=[submission_public(s) for s in rows],
        total=total,
        page=page,
        per_page=per_page,
        pages=_pages(total, per_page),
    )


@dataclass
class QueueFilters:
    """Reviewer queue filters; `statuses` defaults to pending only."""

    country: str | None = None
    region: str | None = None
    kinds: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=lambda: [SubmissionStatus.PENDING.value])
    older_than_days: int | None = None
    newest_first: bool = False


def _queue_conditions(filters: QueueFilters, now: datetime) -> list[Any]:
    conds: list[Any] = []
    country = filters.country
    if filters.region and not country:
        country = filters.region.split("-", 1)[0]
    if country:
        country = checked_country(country)
        conds.append(Submission.country == country)
    if filters.region:
        assert country is not None
        conds.append(Submission.region == checked_region(country, filters.region))
    if filters.kinds:
        conds.append(Submission.kind.in_(filters.kinds))
    if filters.statuses:
        conds.append(Submission.status.in_(filters.statuses))
    if filters.older_than_days is not None:
        conds.append(Submission.created_at <= now - timedelta(days=filters.older_than_days))
    return conds


def list_queue(
    session: Session,
    *,
    filters: QueueFilters,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> QueuePage:
    """The reviewers' queue: filtered by country, region, kind, status and age; oldest first
    unless `newest_first`; with possible duplicates flagged."""
    now = now or utcnow()
    conds = _queue_conditions(filters, now)
    total = session.execute(select(func.count()).select_from(Submission).where(*conds)).scalar_one()
    order = (
        (Submission.created_at.desc(), Submission.id.desc())
        if filters.newest_first
        else (Submission.created_at, Submission.id)
    )
    # Page the ids on the index alone, then join the page's rows: skipping thousands of rows
    # on a deep page never touches the table.
    page_ids = (
        select(Submission.id)
        .where(*conds)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery()
    )
    rows = session.execute(
        select(
            Submission.id,
            Submission.kind,
            Submission.status,
            Submission.closure_reason,
            Submission.country,
            Submission.region,
            Submission.title,
            Submission.changes,
            Submission.submitter_name,
            Submission.source,
            Submission.created_at,
            Submission.duplicate_matches,
            Submission.version,
        )
        .join(page_ids, page_ids.c.id == Submission.id)
        .order_by(*order)
    ).all()
    items = []
    for row in rows:
        created = as_utc(row.created_at) or now
        items.append(
            SubmissionSummary(
                id=row.id,
                kind=SubmissionKind(row.kind),
                status=SubmissionStatus(row.status),
                closure_reason=ClosureReason(row.closure_reason) if row.closure_reason else None,
                country=row.country,
                region=row.region,
                title=row.title,
                fields=list(row.changes),
                submitter_name=row.submitter_name,
                source=row.source,
                created_at=created,
                age_days=max(0, (now - created).days),
                possible_duplicate=bool(row.duplicate_matches),
                duplicate_matches=[DuplicateMatch(**m) for m in row.duplicate_matches],
                version=row.version,
            )
        )
    return QueuePage(
        items=items, total=total, page=page, per_page=per_page, pages=_pages(total, per_page)
    )


def country_counts(
    session: Session, *, statuses: Sequence[str] = (SubmissionStatus.PENDING.value,)
) -> list[CountryCount]:
    """Submissions per country (pending by default), most first, with the oldest's age."""
    rows = session.execute(
        select(Submission.country, func.count(), func.min(Submission.created_at))
        .where(Submission.status.in_(list(statuses)))
        .group_by(Submission.country)
        .order_by(func.count().desc(), Submission.country)
    ).all()
    return [
        CountryCount(
            country=cc,
            country_name=country_name(cc),
            count=count,
            oldest_created_at=as_utc(oldest) or oldest,
        )
        for cc, count, oldest in rows
    ]


def _target_office(session: Session, sub: Submission) -> Office | None:
    if sub.kind == SubmissionKind.NEW_CONTACT or sub.office_id is None:
        return None
    return directory.get_office(session, sub.office_id, for_update=True)


def review(session: Session, *, submission_id: int) -> SubmissionReview:
    """Open a submission: field-level diff (now vs proposed vs base), the drift since it was
    made, conflicting fields, and possible duplicates (re-checked live while pending)."""
    sub = get_submission(session, submission_id)
    office = _target_office(session, sub)
    drifted = diff.drift(session, sub, office)
    rows = diff.field_diffs(sub, office, drifted)
    matches = sub.duplicate_matches
    if sub.kind == SubmissionKind.NEW_CONTACT and sub.status == SubmissionStatus.PENDING:
        matches = duplicates.find_matches(
            session,
            country=sub.country,
            region=sub.region,
            organization_name=_org_name(session, sub.changes, sub.organization_id),
            office_name=sub.changes.get("office.name"),
            numbers=_proposed_numbers(sub.changes),
            exclude_submission_id=sub.id,
        )
    return SubmissionReview(
        submission=submission_public(sub),
        submitter_key_id=sub.submitter_key_id,
        submitter_organization_id=sub.submitter_organization_id,
        base_versions=sub.base_versions,
        current_versions=diff.current_versions(office, sub.changes),
        diff=rows,
        drift=drifted,
        conflicts=[r.path for r in rows if r.conflict],
        duplicates=[DuplicateMatch(**m) for m in matches],
        decided_by=sub.decided_by,
    )


# ---- deciding --------------------------------------------------------------------------


def _check_four_eyes(sub: Submission, reviewer: Principal) -> None:
    if reviewer.key_id is not None and reviewer.key_id == sub.submitter_key_id:
        raise OwnSubmission("made with your own key")
    if (
        reviewer.organization_id is not None
        and reviewer.organization_id == sub.submitter_organization_id
    ):
        raise OwnSubmission("made by your own organisation")


def _pending(session: Session, submission_id: int, expected_version: int | None) -> Submission:
    sub = get_submission(session, submission_id)
    if sub.status != SubmissionStatus.PENDING:
        raise SubmissionAlreadyDecided(submission_id, sub.status)
    if expected_version is not None and expected_version != sub.version:
        raise SubmissionChanged(submission_id, expected_version, sub.version)
    return sub


def _claim(
    session: Session,
    sub: Submission,
    *,
    status: SubmissionStatus,
    reviewer: Principal,
    reason: str | None,
    **values: Any,
) -> None:
    """Mark the submission decided, only if it is still pending at the version read.

    Of two reviewers deciding at once, the second one's UPDATE matches no row (PostgreSQL
    waits for the first to commit, then re-checks the condition): it gets 409 and its whole
    transaction, directory changes included, rolls back.
    """
    assert sub.id is not None
    seen = sub.version
    result = session.execute(
        update(Submission)
        .where(
            Submission.id == sub.id,
            Submission.status == SubmissionStatus.PENDING.value,
            Submission.version == seen,
        )
        .values(
            status=status.value,
            decided_at=utcnow(),
            decided_by=reviewer.label[:200],
            decided_by_key_id=reviewer.key_id,
            decision_reason=reason,
            version=Submission.version + 1,
            **values,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        fresh = get_submission(session, sub.id)
        if fresh.status != SubmissionStatus.PENDING:
            raise SubmissionAlreadyDecided(sub.id, fresh.status)
        raise SubmissionChanged(sub.id, seen, fresh.version)


def _provenance(sub: Submission, reviewer: Principal) -> Provenance:
    kind = SubmissionKind(sub.kind)
    return Provenance(
        actor=sub.submitter_name[:200],
        source=f"{SOURCE_LABELS[kind]} #{sub.id}",
        actor_key_id=sub.submitter_key_id,
        approved_by=reviewer.label[:200],
        submission_id=sub.id,
    )


def _selection(
    sub: Submission, fields: Sequence[str] | None, edits: Mapping[str, Any]
) -> tuple[dict[str, Any], bool]:
    """The values to apply (selected fields, edited) and whether every field was selected."""
    proposed = sub.changes
    if fields is None:
        selected = list(proposed)
    else:
        selected = list(dict.fromkeys(fields))
        for path in selected:
            if path not in proposed:
                raise InvalidValue(f"'{path}' is not a field of this submission", field="fields")
        if not selected:
            raise InvalidValue("choose at least one field to approve", field="fields")
    for path in edits:
        if path not in proposed:
            raise InvalidValue("not a field of this submission", field=f"edits.{path}")
        if path not in selected:
            raise InvalidValue("edited but not among 'fields'", field=f"edits.{path}")
    values = {p: edits.get(p, proposed[p]) for p in selected}
    return values, set(selected) == set(proposed)


def _split(
    values: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], dict[int, dict[str, Any]], list[dict[str, Any]]]:
    office_f: dict[str, Any] = {}
    org_f: dict[str, Any] = {}
    phone_f: dict[int, dict[str, Any]] = {}
    new: list[tuple[int, dict[str, Any]]] = []
    for path, value in values.items():
        where = diff.Path.parse(path)
        if where.entity == "office":
            office_f[where.field] = value
        elif where.entity == "organization":
            org_f[where.field] = value
        elif where.entity == "phone":
            assert where.entity_id is not None
            phone_f.setdefault(where.entity_id, {})[where.field] = value
        else:
            new.append((int(where.field), value))
    return office_f, org_f, phone_f, [v for _, v in sorted(new, key=lambda t: t[0])]


def _apply_to_office(
    session: Session, sub: Submission, office: Office, values: Mapping[str, Any], prov: Provenance
) -> None:
    """Apply the approved values through the directory's audited write path."""
    assert office.id is not None
    office_f, org_f, phone_f, new_phones = _split(values)
    closure = sub.kind == SubmissionKind.CLOSURE
    if office_f:
        if closure and office_f == {"status": OfficeStatus.CLOSED.value}:
            directory.close_office(session, office_id=office.id, provenance=prov)
        else:
            directory.apply_office_changes(
                session, office=office, changes=office_f, provenance=prov
            )
    if org_f:
        directory.update_organization(
            session,
            organization_id=office.organization_id,
            changes=org_f,
            expected_version=office.organization.version,
            provenance=prov,
        )
    for phone_id, changes in phone_f.items():
        if closure and changes == {"status": PhoneStatus.DISCONNECTED.value}:
            directory.close_phone(session, phone_id=phone_id, provenance=prov)
            continue
        phone = directory.get_phone(session, phone_id)
        directory.update_phone(
            session,
            phone_id=phone_id,
            changes=changes,
            expected_version=phone.version,
            provenance=prov,
        )
    for data in new_phones:
        directory.add_phone(session, office_id=office.id, data=PhoneCreate(**data), provenance=prov)


def _organization_from_same_import(
    session: Session, sub: Submission, org_f: Mapping[str, Any]
) -> int | None:
    """An import (app/interop) proposes a new organisation once per office: the first
    approval creates it, and the other offices of the same import reuse it, not copies."""
    if not sub.source.startswith("import:") or not org_f.get("name"):
        return None
    wanted = {f"organization.{k}": v for k, v in org_f.items()}
    rows = session.execute(
        select(Submission.organization_id, Submission.applied).where(
            Submission.source == sub.source,
            Submission.kind == SubmissionKind.NEW_CONTACT.value,
            Submission.status.in_(
                (SubmissionStatus.APPROVED.value, SubmissionStatus.PARTIALLY_APPROVED.value)
            ),
            Submission.organization_id.is_not(None),
            Submission.id != sub.id,
            Submission.title.startswith(str(org_f["name"]), autoescape=True),
        )
    )
    for organization_id, applied in rows:
        theirs = {k: v for k, v in (applied or {}).items() if k.startswith("organization.")}
        if theirs == wanted:
            return int(organization_id)
    return None


def _apply_new_contact(
    session: Session, sub: Submission, values: Mapping[str, Any], prov: Provenance
) -> Office:
    office_f, org_f, _, new_phones = _split(values)
    org_id = sub.organization_id
    if org_id is None:
        org_id = _organization_from_same_import(session, sub, org_f)
    if org_id is None:
        org = directory.create_organization(
            session, data=OrganizationCreate(**org_f), provenance=prov
        )
        org_id = org.id
    assert org_id is not None
    return directory.create_office(
        session,
        data=OfficeCreate(organization_id=org_id, **office_f, phones=new_phones),
        provenance=prov,
    )


def _record_claimed_verifications(
    session: Session, sub: Submission, office_id: int, reviewer: Principal
) -> None:
    """The verifications the import's source claims, each at the time the source gave (never
    later), by its verifier, with the import as source and the reviewer as approver."""
    if not sub.verifications:
        return
    prov = Provenance(
        actor=sub.submitter_name[:200],
        source=sub.source[:200],
        actor_key_id=sub.submitter_key_id,
        approved_by=reviewer.label[:200],
        submission_id=sub.id,
    )
    for data in sub.verifications:
        claim = VerificationClaim.model_validate(data)
        record_verification(
            session,
            office_id=office_id,
            method=claim.method.value,
            verified_by=claim.verified_by or sub.submitter_name[:200],
            verified_at=claim.verified_at,
            note=claim.note,
            provenance=prov,
        )


def _is_partner(sub: Submission) -> bool:
    # An NGO partner's key belongs to its organisation; staff keys (an officer's call
    # outcome) and imports have none, and verify only through their claimed verifications.
    return sub.submitter_organization_id is not None


def approve(
    session: Session,
    *,
    submission_id: int,
    reviewer: Principal,
    fields: Sequence[str] | None = None,
    edits: Mapping[str, Any] | None = None,
    resolve_conflicts: Iterable[str] = (),
    expected_version: int | None = None,
    reason: str | None = None,
) -> Submission:
    """Approve all proposed fields (`fields=None`) or some, with optional edited values.

    In one transaction: the values are validated again, checked for conflicts with changes
    made since intake (SubmissionConflict, 409, unless listed in `resolve_conflicts`), the
    submission is claimed (`approved`, or `partially_approved` when fields were left out),
    the record changes through the directory service with revisions citing the submission,
    and a partner's correction or new contact records an `ngo_correction` verification. An
    import approved in full records the verifications its source claims (VerificationClaim)
    at the times the source gave, with the import as their source and the reviewer as their
    approver; a partial approval records none (the contact is no longer what was verified).
    """
    sub = _pending(session, submission_id, expected_version)
    _check_four_eyes(sub, reviewer)
    values, everything = _selection(sub, fields, edits or {})
    status = SubmissionStatus.APPROVED if everything else SubmissionStatus.PARTIALLY_APPROVED
    prov = _provenance(sub, reviewer)
    resolved = set(resolve_conflicts)
    office: Office | None = None
    if sub.kind == SubmissionKind.NEW_CONTACT:
        values = normalise_new_contact(
            values, existing_organization=sub.organization_id is not None
        )
        _claim(session, sub, status=status, reviewer=reviewer, reason=reason, applied=values)
        office = _apply_new_contact(session, sub, values, prov)
        session.execute(
            update(Submission)
            .where(Submission.id == sub.id)
            .values(office_id=office.id, organization_id=office.organization_id)
            .execution_options(synchronize_session=False)
        )
    else:
        assert sub.office_id is not None
        office = directory.get_office(session, sub.office_id, for_update=True)
        values = normalise_correction(office, values)
        unresolved = [p for p in diff.conflicting_paths(sub, office, values) if p not in resolved]
        if unresolved:
            raise SubmissionConflict(unresolved)
        _claim(session, sub, status=status, reviewer=reviewer, reason=reason, applied=values)
        _apply_to_office(session, sub, office, values, prov)
    assert office.id is not None
    if sub.kind != SubmissionKind.CLOSURE and _is_partner(sub):
        record_verification(
            session,
            office_id=office.id,
            method=VerificationMethod.NGO_CORRECTION.value,
            verified_by=sub.submitter_name[:200],
            note=(sub.note or "")[:2000] or None,
            provenance=prov,
        )
    if everything:
        _record_claimed_verifications(session, sub, office.id, reviewer)
    session.flush()
    return get_submission(session, submission_id)


def reject(
    session: Session,
    *,
    submission_id: int,
    reviewer: Principal,
    reason: str,
    expected_version: int | None = None,
) -> Submission:
    """Reject with a reason the partner can read. The directory is not touched."""
    if not reason or not reason.strip():
        raise InvalidValue("say why, so the partner can read it", field="reason")
    sub = _pending(session, submission_id, expected_version)
    _check_four_eyes(sub, reviewer)
    _claim(session, sub, status=SubmissionStatus.REJECTED, reviewer=reviewer, reason=reason)
    session.flush()
    return get_submission(session, submission_id)


def mark_duplicate(
    session: Session,
    *,
    submission_id: int,
    reviewer: Principal,
    of_submission_id: int | None = None,
    of_office_id: int | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> Submission:
    """Close a submission as a duplicate of another submission or of an existing contact."""
    if (of_submission_id is None) == (of_office_id is None):
        raise InvalidValue("name either another submission or a contact", field="of_submission_id")
    sub = _pending(session, submission_id, expected_version)
    _check_four_eyes(sub, reviewer)
    if of_submission_id is not None:
        if of_submission_id == submission_id:
            raise InvalidValue("a submission cannot duplicate itself", field="of_submission_id")
        if session.get(Submission, of_submission_id) is None:
            raise InvalidValue(
                f"no submission with id {of_submission_id}", field="of_submission_id"
            )
    if of_office_id is not None and session.get(Office, of_office_id) is None:
        raise InvalidValue(f"no contact with id {of_office_id}", field="of_office_id")
    _claim(
        session,
        sub,
        status=SubmissionStatus.DUPLICATE,
        reviewer=reviewer,
        reason=reason,
        duplicate_of_submission_id=of_submission_id,
        duplicate_of_office_id=of_office_id,
    )
    session.flush()
    return get_submission(session, submission_id)


def pending_count(session: Session) -> int:
    """How many submissions wait for a decision (for dashboards)."""
    return int(
        session.execute(
            select(func.count())
            .select_from(Submission)
            .where(Submission.status == SubmissionStatus.PENDING.value)
        ).scalar_one()
    )


__all__ = [
    "Proposed",
    "QueueFilters",
    "approve",
    "country_counts",
    "create_submission",
    "create_submissions",
    "get_for_partner",
    "get_submission",
    "list_for_partner",
    "list_queue",
    "mark_duplicate",
    "normalise_correction",
    "normalise_new_contact",
    "pending_count",
    "reject",
    "review",
    "submission_public",
]
