"""Closes asked for by a person (the API): explicit like an update, since a close takes an
office off every sheet. Each names the version it was based on and why.

Internal closes that follow a decision already made (an approved closure, a call outcome,
an import) call `service.close_*` directly.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.directory import service
from app.directory.enums import CloseReason, PhoneCloseReason
from app.directory.models import Office, Organization, Phone
from app.directory.provenance import Provenance
from app.kit.errors import PreconditionRequired
from app.kit.principal import Principal


def _required(version: int | None, *, what: str) -> int:
    if version is None:
        raise PreconditionRequired(
            f"send the {what}'s version you are closing (If-Match header or 'version' field)",
            field="version",
        )
    return version


def close_contact(
    session: Session,
    *,
    office_id: int,
    version: int | None,
    reason: CloseReason,
    note: str | None,
    editor: Principal,
) -> Office:
    """Close an office at `version` (428 without it, 409 when stale); it leaves every sheet."""
    return service.close_office(
        session,
        office_id=office_id,
        expected_version=_required(version, what="contact"),
        provenance=Provenance.admin_edit(editor, reason=reason.value, note=note),
    )


def close_phone(
    session: Session,
    *,
    phone_id: int,
    version: int | None,
    reason: PhoneCloseReason,
    note: str | None,
    editor: Principal,
) -> Phone:
    """Take a number out of use at `version` (428 without it, 409 when stale)."""
    return service.close_phone(
        session,
        phone_id=phone_id,
        expected_version=_required(version, what="phone"),
        provenance=Provenance.admin_edit(editor, reason=reason.value, note=note),
    )


def close_organization(
    session: Session,
    *,
    organization_id: int,
    version: int | None,
    reason: CloseReason,
    note: str | None,
    editor: Principal,
) -> Organization:
    """Close an organisation at `version` and all its offices, each revision with the reason."""
    return service.close_organization(
        session,
        organization_id=organization_id,
        expected_version=_required(version, what="organisation"),
        provenance=Provenance.admin_edit(editor, reason=reason.value, note=note),
    )
