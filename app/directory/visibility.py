"""One rule for confidential organisations, used by every output.

A confidential organisation (a shelter, say) is seen by staff keys only: never by NGO partners,
never on a printed sheet or a vCard, and in an export (the CLI's, or ORAPI at /hsds, the surface
for other directories) only when an admin asks for it
(Recommendation 42: reveal nothing a returnee has not agreed to).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from app.directory.printable import NOT_CONFIDENTIAL
from app.kit.principal import Principal


def not_confidential() -> ColumnElement[bool]:
    """WHERE clause (over Organization) keeping only non-confidential organisations."""
    return NOT_CONFIDENTIAL.clause()


def confidential_filter(*, include_confidential: bool) -> list[ColumnElement[bool]]:
    """The clauses to add: none when confidential organisations are wanted."""
    return [] if include_confidential else [not_confidential()]


def visible_to(viewer: Principal) -> list[ColumnElement[bool]]:
    """The clauses that hide what `viewer` may not see."""
    return confidential_filter(include_confidential=viewer.sees_confidential)


def exportable_to(viewer: Principal) -> list[ColumnElement[bool]]:
    """The clauses that hide what `viewer` may not take out to another system (ORAPI)."""
    return confidential_filter(include_confidential=viewer.exports_confidential)
