"""Closes asked for by a person (the API): explicit like an update, since a close takes an
office off every sheet. Each names the version it was based on and why.

Internal closes that follow a decision already made (an approved closure, a call outcome,
an import) call `service.close_*` directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.directory import service
from app.directory.enums import CloseReason, PhoneCloseReason
from app.directory.models import Office, Organization, Phone
from app.directory.provenance import Provenance
from app.kit.errors import PreconditionRequired
from app.kit.principal import Principal


@dataclass(frozen=True)
class CloseAsked:
    """A person's close: the version it was based on, why, an optional note, and by whom."""

    version: int | None
    reason: CloseReason | PhoneCloseReason
    note: str | None
    editor: Principal

    def arguments(self, *, what: str) -> dict[str, Any]:
        """`service.close_*`'s version and provenance (428 without a version)."""
        if self.version is None:
            raise PreconditionRequired(
                f"send the {what}'s version you are closing (If-Match header or 'version' field)",
                field="version",
            )
        return {
            "expected_version": self.version,
            "provenance": Provenance.admin_edit(
                self.editor, reason=self.reason.value, note=self.note
            ),
        }


def close_contact(session: Session, office_id: int, asked: CloseAsked) -> Office:
    """Close an office at `version` (428 without it, 409 when stale); it leaves every sheet."""
    return service.close_office(session, office_id=office_id, **asked.arguments(what="contact"))


def close_phone(session: Session, phone_id: int, asked: CloseAsked) -> Phone:
    """Take a number out of use at `version` (428 without it, 409 when stale)."""
    return service.close_phone(session, phone_id=phone_id, **asked.arguments(what="phone"))


def close_organization(session: Session, organization_id: int, asked: CloseAsked) -> Organization:
    """Close an organisation at `version` and all its offices, each revision with the reason."""
    return service.close_organization(
        session, organization_id=organization_id, **asked.arguments(what="organisation")
    )
