"""Intake: NGO submissions and imports enter the review queue, never the directory.

`create_submission` (one) and `create_submissions` (many: the HSDS import) validate a
proposal with the directory's own validation (`directory.change_set`: InvalidValue, 422,
naming the field; nothing queued), record who proposes it (SubmissionOrigin),
apply the per-key rate limit (TooManyRequests, 429) and the size cap (InvalidValue on
`body`), and keep only the fields that differ, with the record's values and versions at
intake so a reviewer sees what drifted since. They flush, never commit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.directory import lookup, revisions
from app.directory import service as directory
from app.directory.change_set import validate_changes, validate_new_contact
from app.directory.enums import OfficeStatus, PhoneStatus
from app.directory.models import Office, Organization
from app.directory.validation import checked_model, invalid_value
from app.kit.clock import as_utc, utcnow
from app.kit.errors import HomewardError, InvalidValue, VersionConflict
from app.kit.i18n import N_
from app.kit.principal import Principal
from app.review import diff, duplicates
from app.review.errors import NothingDiffers
from app.review.findings import UNKNOWN_COUNTRY, country_pending
from app.review.models import (
    ClosureReason,
    Submission,
    SubmissionKind,
    SubmissionOrigin,
    SubmissionPhone,
)
from app.review.rate_limit import RateBudget
from app.review.schemas import (
    ClosureCreate,
    CorrectionCreate,
    NewContactCountryPending,
    NewContactCreate,
    SubmissionCreate,
    VerificationClaim,
)
from app.verification import partners

Proposal = CorrectionCreate | NewContactCreate | ClosureCreate
_PROPOSAL = TypeAdapter(SubmissionCreate)


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
    findings: list[dict[str, Any]] = field(default_factory=list)

    def columns(self) -> dict[str, Any]:
        """The submission's columns this intake fills (each field is one)."""
        return {**vars(self), "kind": self.kind.value}


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
    normalised = validate_changes(office, values).paths()
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
            raise InvalidValue(N_("this number is already marked disconnected"), field="phone_id")
        changes: dict[str, Any] = {f"phones.{phone.id}.status": PhoneStatus.DISCONNECTED.value}
    else:
        _check_seen_version(body.version, office.version, field_name="version")
        if office.status == OfficeStatus.CLOSED:
            raise InvalidValue(N_("this contact is already closed"), field="office_id")
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


# What only an import brings: a partner's key cannot plant a "source record" in exports.
SOURCE_PATHS = ("office.hsds_source", "office.external_id", "organization.hsds_source")


def _refuse_source_record(changes: Mapping[str, Any]) -> None:
    for path in SOURCE_PATHS:
        if path in changes:
            raise InvalidValue("only an import gives a source record", field=path)


def _new_contact_intake(
    body: NewContactCreate, existing: Organization | None, *, country_pending: bool = False
) -> _Intake:
    org_name = existing.name if existing is not None else None
    values: dict[str, Any] = {}
    values.update(
        {f"organization.{k}": v for k, v in _dump(body.organization, exclude=set()).items()}
    )
    values.update({f"office.{k}": v for k, v in _dump(body.office, exclude={"phones"}).items()})
    for i, phone in enumerate(body.office.phones):
        values[f"new_phones.{i}"] = phone.model_dump(mode="json", warnings=False)
    new = validate_new_contact(
        values,
        existing_organization=body.organization_id is not None,
        country_pending=country_pending,
    )
    changes = new.paths()
    if body.organization is not None:
        org_name = changes["organization.name"]
    office_name = changes.get("office.name")
    return _Intake(
        kind=SubmissionKind.NEW_CONTACT,
        country=changes.get("office.country", UNKNOWN_COUNTRY),
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
        checked_model(VerificationClaim, claim, prefix=f"verifications.{i}")
        for i, claim in enumerate(claims)
    ]
    known = as_utc(office.last_verified_at) if office is not None else None
    return [
        c.model_dump(mode="json", warnings=False)
        for c in sorted(checked, key=lambda c: c.verified_at)
        if known is None or c.verified_at > known
    ]


def _submitter_name(session: Session, submitter: Principal | None, source: str) -> str:
    """Who submitted, said once: "Example NGO — key 'Field team'" for a partner's key,
    "Example NGO — reply to email update request #3" for the organisation itself."""
    if submitter is None:
        return source[:300]
    if submitter.organization_id is not None:
        org = session.get(Organization, submitter.organization_id)
        if org is not None:
            who = f"key '{submitter.name}'" if submitter.key_id else submitter.name
            return f"{org.name} — {who}"[:300]
    return submitter.label[:300]


@dataclass(frozen=True)
class Proposed:
    """One item of `create_submissions`: a proposal (a schema or a plain dict with `kind`),
    the verifications its source claims (imports only: see VerificationClaim), and what the
    source gave that was left out of the proposal (imports only: see review.findings)."""

    proposal: Proposal | Mapping[str, Any]
    verifications: Sequence[Mapping[str, Any]] = ()
    findings: Sequence[Mapping[str, Any]] = ()


def create_submission(
    session: Session,
    *,
    proposal: Proposal | Mapping[str, Any],
    submitter: Principal | None,
    source: str,
    origin: SubmissionOrigin | None = None,
    settings: Settings | None = None,
    check_duplicates: bool = True,
    verifications: Sequence[Mapping[str, Any]] = (),
) -> Submission:
    """Queue a correction, new contact or closure report after validating it exactly as the
    directory would. Nothing is queued when it is invalid (InvalidValue, 422), too large
    (InvalidValue on `body`), over the key's rate limit (TooManyRequests, 429), or about a
    contact the submitter may not see (OfficeNotFound, 404), or, from an NGO partner, about a
    country outside its scope (OutsidePartnerScope, 403: `partners.check_scope`).

    `origin` is who proposes (SubmissionOrigin); left out, an NGO partner's when there is a
    submitter, else an import's. `source` is free text for people."""
    (result,) = create_submissions(
        session,
        [Proposed(proposal, verifications)],
        submitter=submitter,
        source=source,
        origin=origin,
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
    origin: SubmissionOrigin | None = None,
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
            proposals[i] = (
                given
                if isinstance(given, BaseModel)
                else _validated_proposal(given, country_pending=country_pending(item.findings))
            )
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
        RateBudget.load(session, submitter=submitter, settings=settings, now=now)
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
                    existing = lookup.visible_organization(
                        organizations.get(proposal.organization_id),
                        proposal.organization_id,
                        viewer=submitter,
                    )
                intake = _new_contact_intake(
                    proposal, existing, country_pending=country_pending(items[i].findings)
                )
            else:
                office = lookup.visible_office(
                    loaded.get(proposal.office_id), proposal.office_id, viewer=submitter
                )
                if isinstance(proposal, CorrectionCreate):
                    intake = _correction_intake(proposal, office)
                else:
                    intake = _closure_intake(proposal, office)
            if submitter is not None:
                _refuse_source_record(intake.changes)
                # A partner's scope covers where the contact is and where it would move to.
                partners.check_scope(
                    session,
                    partner=submitter,
                    countries=[intake.country, intake.changes.get("office.country")],
                )
            claims = _verification_claims(items[i].verifications, intake, office)
            intake.findings = [dict(f) for f in items[i].findings]
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
                matches = duplicates.matches_of(session, intake)
        except HomewardError as exc:
            results[i] = exc
            continue
        if budget is not None:
            budget.take()
        accepted.append((i, intake, proposal, claims, matches))
    if accepted:
        if origin is None:
            origin = SubmissionOrigin.IMPORT if submitter is None else SubmissionOrigin.NGO_PARTNER
        _insert(
            session,
            accepted,
            results,
            submitter=submitter,
            source=source,
            origin=origin,
            now=now,
        )
    return [r for r in results if r is not None]


def _insert(
    session: Session,
    accepted: Sequence[tuple[int, _Intake, Proposal, list[dict[str, Any]], list[dict[str, Any]]]],
    results: list[Submission | HomewardError | None],
    *,
    submitter: Principal | None,
    source: str,
    origin: SubmissionOrigin,
    now: datetime,
) -> None:
    """Insert the accepted submissions and their proposed numbers (two INSERTs)."""
    base_revision_id = revisions.latest_revision_id(session)
    submitter_name = _submitter_name(session, submitter, source)
    rows = []
    for i, intake, proposal, claims, matches in accepted:
        submission = Submission(
            **intake.columns(),
            base_revision_id=base_revision_id,
            verifications=claims,
            note=proposal.note,
            origin=origin.value,
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
            numbers = sorted(set(duplicates.proposed_numbers(intake.changes)))
            phones.extend(SubmissionPhone(submission_id=submission.id, number=n) for n in numbers)
    if phones:
        session.add_all(phones)
        session.flush()


def _validated_proposal(data: Mapping[str, Any], *, country_pending: bool = False) -> Proposal:
    try:
        if country_pending and data.get("kind") == SubmissionKind.NEW_CONTACT.value:
            return NewContactCountryPending.model_validate(dict(data))
        return _PROPOSAL.validate_python(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        # Skip the union tag ('correction', …) pydantic puts in the location.
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in {k.value for k in SubmissionKind}:
            loc = loc[1:]
        raise invalid_value(err, field=".".join(loc) or "body") from exc


__all__ = ["Proposal", "Proposed", "create_submission", "create_submissions"]
