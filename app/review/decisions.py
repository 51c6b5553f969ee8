"""Deciding submissions: approve (all, some, edited), reject, mark as a duplicate; and the
partner's withdrawing its own pending submission.

Deciding is guarded twice: a conditional UPDATE (`WHERE status = 'pending' AND version =
:seen`) lets exactly one of two concurrent reviewers win (the other gets 409), and field-level
conflict detection refuses (409) to overwrite a field someone else changed since intake unless
the reviewer lists it in `resolve_conflicts`. Approving changes the directory through its
audited write path, in the caller's transaction (flush, never commit).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.directory import lookup
from app.directory import service as directory
from app.directory.change_set import ChangeSet, validate_changes, validate_new_contact
from app.directory.enums import VerificationMethod
from app.directory.models import Office, Organization
from app.directory.provenance import Provenance
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue
from app.kit.i18n import N_
from app.kit.principal import Principal
from app.review import diff
from app.review.errors import (
    OwnSubmission,
    SubmissionAlreadyDecided,
    SubmissionChanged,
    SubmissionConflict,
)
from app.review.findings import required_left_out
from app.review.models import (
    IMPORTED_ORIGINS,
    VOUCHING_ORIGINS,
    Submission,
    SubmissionKind,
    SubmissionStatus,
)
from app.review.queue import get_for_partner, get_submission
from app.review.schemas import VerificationClaim
from app.verification.service import record_verification

SOURCE_LABELS = {
    SubmissionKind.CORRECTION: "correction",
    SubmissionKind.NEW_CONTACT: "new contact",
    SubmissionKind.CLOSURE: "closure report",
}


def _check_four_eyes(sub: Submission, reviewer: Principal) -> None:
    if reviewer.key_id is not None and reviewer.key_id == sub.submitter_key_id:
        raise OwnSubmission(N_("made with your own key"))
    if (
        reviewer.organization_id is not None
        and reviewer.organization_id == sub.submitter_organization_id
    ):
        raise OwnSubmission(N_("made by your own organisation"))


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


def _provenance(sub: Submission, reviewer: Principal, *, source: str | None = None) -> Provenance:
    """The submitter as actor, the reviewer as approver; the source is the submission itself
    unless given (an import's verifications keep the import's source)."""
    kind = SubmissionKind(sub.kind)
    return Provenance(
        actor=sub.submitter_name[:200],
        source=f"{SOURCE_LABELS[kind]} #{sub.id}" if source is None else source,
        actor_key_id=sub.submitter_key_id,
        approved_by=reviewer.label[:200],
        submission_id=sub.id,
    )


def _selection(
    sub: Submission, fields: Sequence[str] | None, edits: Mapping[str, Any]
) -> tuple[list[str], bool]:
    """The paths to apply and whether they are every path the submission proposes.

    A path an import left out (a finding) is no proposed value, but the reviewer may fill it
    in: an edit of it is applied with the selection."""
    proposed = sub.changes
    fillable = {f["path"] for f in sub.findings} - proposed.keys()
    if fields is None:
        selected = list(proposed)
    else:
        selected = list(dict.fromkeys(fields))
        for path in selected:
            if path not in proposed and path not in fillable:
                raise InvalidValue(
                    N_("'%(path)s' is not a field of this submission"),
                    field="fields",
                    params={"path": path},
                )
        if not selected:
            raise InvalidValue(N_("choose at least one field to approve"), field="fields")
    for path in edits:
        if path in fillable:
            if path not in selected:
                selected.append(path)
            continue
        if path not in proposed:
            raise InvalidValue(N_("not a field of this submission"), field=f"edits.{path}")
        if path not in selected:
            raise InvalidValue(N_("edited but not among 'fields'"), field=f"edits.{path}")
    for path in required_left_out(sub.findings, proposed):
        if path not in edits:
            raise InvalidValue(
                N_("the import found no %(what)s: give it before approving"),
                field=path,
                params={"what": path.replace(".", " ")},
            )
    for path in selected:
        if path in fillable and path not in edits:
            raise InvalidValue(
                N_("'%(path)s' was left out by the import: give its value in 'edits'"),
                field="fields",
                params={"path": path},
            )
    return selected, proposed.keys() <= set(selected)


def _correction_changes(
    sub: Submission, office: Office, selected: Sequence[str], edits: Mapping[str, Any]
) -> ChangeSet:
    """The change set to apply: the selected paths as intake validated them, and the
    reviewer's edits, which are new input and so validated now (with the region kept from
    the submission when an edit moves the country: it was checked in another one)."""
    chosen = ChangeSet.of_validated(sub.changes).only(selected)
    if not edits:
        return chosen
    values = dict(edits)
    if "office.country" in edits and "region" in chosen.office:
        values.setdefault("office.region", chosen.office["region"])
    edited = validate_changes(office, values, country=chosen.office.get("country"))
    return chosen.merged(edited)


def _organization_from_same_import(
    session: Session, sub: Submission, org_f: Mapping[str, Any]
) -> int | None:
    """An import (app/interop) proposes a new organisation once per office: the first
    approval creates it, and the other offices of the same import reuse it, not copies."""
    if sub.origin not in IMPORTED_ORIGINS or not org_f.get("name"):
        return None
    wanted = {f"organization.{k}": v for k, v in org_f.items()}
    rows = session.execute(
        select(Submission.organization_id, Submission.applied)
        .join(Organization, Organization.id == Submission.organization_id)
        .where(
            Submission.origin == sub.origin,
            Submission.source == sub.source,
            Submission.kind == SubmissionKind.NEW_CONTACT.value,
            Submission.status.in_(
                (SubmissionStatus.APPROVED.value, SubmissionStatus.PARTIALLY_APPROVED.value)
            ),
            Submission.id != sub.id,
            Organization.name == str(org_f["name"]),
        )
    )
    for organization_id, applied in rows:
        theirs = {k: v for k, v in (applied or {}).items() if k.startswith("organization.")}
        if theirs == wanted:
            return int(organization_id)
    return None


def _new_contact_changes(
    sub: Submission, selected: Sequence[str], edits: Mapping[str, Any], everything: bool
) -> ChangeSet:
    """The new contact to create: as intake validated it when taken whole and unedited; a
    part of it, or an edited one, is checked again whole, since it must still be a contact."""
    if everything and not edits:
        return ChangeSet.of_validated(sub.changes)
    return validate_new_contact(
        {p: edits[p] if p in edits else sub.changes[p] for p in selected},
        existing_organization=sub.organization_id is not None,
    )


def _record_claimed_verifications(
    session: Session, sub: Submission, office_id: int, reviewer: Principal
) -> None:
    """The verifications the import's source claims, each at the time the source gave (never
    later), by its verifier, with the import as source and the reviewer as approver."""
    if not sub.verifications:
        return
    prov = _provenance(sub, reviewer, source=sub.source[:200])
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

    In one transaction: the selected values are taken as intake validated them (a reviewer's
    edits are validated now; a part of a new contact is checked whole), checked for conflicts
    with changes made since intake (SubmissionConflict, 409, unless listed in
    `resolve_conflicts`), the submission is claimed (`approved`, or `partially_approved` when
    fields were left out), the record changes once through the directory's `apply_changes`
    (or `create_contact`) with revisions citing the submission, and a partner's correction
    or new contact approved in full records an `ngo_correction` verification (a partial
    approval verifies nothing). An import approved in full
    records the verifications its source claims (VerificationClaim) at the times the source
    gave, with the import as their source and the reviewer as their approver; a partial
    approval records none (the contact is no longer what was verified).
    """
    sub = _pending(session, submission_id, expected_version)
    _check_four_eyes(sub, reviewer)
    edits = edits or {}
    selected, everything = _selection(sub, fields, edits)
    status = SubmissionStatus.APPROVED if everything else SubmissionStatus.PARTIALLY_APPROVED
    prov = _provenance(sub, reviewer)
    resolved = set(resolve_conflicts)
    office: Office | None = None
    if sub.kind == SubmissionKind.NEW_CONTACT:
        change_set = _new_contact_changes(sub, selected, edits, everything)
        applied = change_set.paths()
        _claim(session, sub, status=status, reviewer=reviewer, reason=reason, applied=applied)
        organization_id = sub.organization_id or _organization_from_same_import(
            session, sub, change_set.organization
        )
        office = directory.create_contact(
            session, change_set, organization_id=organization_id, provenance=prov
        )
        session.execute(
            update(Submission)
            .where(Submission.id == sub.id)
            .values(
                office_id=office.id,
                organization_id=office.organization_id,
                # The queue's place of an import without a country (UNKNOWN_COUNTRY), now known.
                country=office.country,
                region=office.region,
            )
            .execution_options(synchronize_session=False)
        )
    else:
        assert sub.office_id is not None
        office = lookup.get_office(session, sub.office_id, refresh=True)
        change_set = _correction_changes(sub, office, selected, edits)
        applied = change_set.paths()
        unresolved = [p for p in diff.conflicting_paths(sub, office, applied) if p not in resolved]
        if unresolved:
            raise SubmissionConflict(unresolved)
        _claim(session, sub, status=status, reviewer=reviewer, reason=reason, applied=applied)
        directory.apply_changes(session, office, change_set, prov)
    assert office.id is not None
    # A partial approval records the approved changes but verifies nothing: the contact as a
    # whole is not what the partner confirmed.
    if everything and sub.kind != SubmissionKind.CLOSURE and sub.origin in VOUCHING_ORIGINS:
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
        raise InvalidValue(N_("say why, so the partner can read it"), field="reason")
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
        raise InvalidValue(
            N_("name either another submission or a contact"), field="of_submission_id"
        )
    sub = _pending(session, submission_id, expected_version)
    _check_four_eyes(sub, reviewer)
    if of_submission_id is not None:
        if of_submission_id == submission_id:
            raise InvalidValue(N_("a submission cannot duplicate itself"), field="of_submission_id")
        if session.get(Submission, of_submission_id) is None:
            raise InvalidValue(
                N_("no submission with id %(id)s"),
                field="of_submission_id",
                params={"id": of_submission_id},
            )
    if of_office_id is not None and session.get(Office, of_office_id) is None:
        raise InvalidValue(
            N_("no contact with id %(id)s"), field="of_office_id", params={"id": of_office_id}
        )
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


def withdraw(session: Session, *, submission_id: int, partner: Principal) -> Submission:
    """The partner takes back one of its own pending submissions: it leaves the review queue
    and the directory is not touched. Anyone else's is 404 (SubmissionNotFound); one already
    decided or withdrawn is 409 (SubmissionAlreadyDecided)."""
    sub = get_for_partner(session, submission_id=submission_id, partner=partner)
    if sub.status != SubmissionStatus.PENDING:
        raise SubmissionAlreadyDecided(submission_id, sub.status)
    _claim(session, sub, status=SubmissionStatus.WITHDRAWN, reviewer=partner, reason=None)
    session.flush()
    return get_submission(session, submission_id)


def supersede(session: Session, *, submission_id: int, source: str, reason: str) -> bool:
    """A source's pending submission replaced by its newer version of the same record (a
    feed: app/interop/feeds): withdrawn in the source's name, saying why, so the queue holds
    one proposal per record. One already decided is left as it is (False)."""
    sub = session.get(Submission, submission_id)
    if sub is None or sub.status != SubmissionStatus.PENDING:
        return False
    by = Principal(name=source, role="reviewer")
    _claim(session, sub, status=SubmissionStatus.WITHDRAWN, reviewer=by, reason=reason)
    return True
