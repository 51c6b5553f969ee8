from __future__ import annotations

from dataclasses import dataclass

from app.kit.principal import Principal


@dataclass(frozen=True)
class Provenance:
    """Where a change comes from, written onto every revision it produces."""

    actor: str
    source: str
    actor_key_id: int | None = None
    approved_by: str | None = None
    submission_id: int | None = None
    # Why, for changes that must say so (closing a record): a reason from a fixed list
    # and an optional note.
    reason: str | None = None
    note: str | None = None

    @classmethod
    def by_key(
        cls,
        principal: Principal,
        source: str,
        *,
        reason: str | None = None,
        note: str | None = None,
    ) -> Provenance:
        """A change the acting key makes and approves itself (no review in between)."""
        return cls(
            actor=principal.label,
            source=source,
            actor_key_id=principal.key_id,
            approved_by=principal.label,
            reason=reason,
            note=note,
        )

    @classmethod
    def admin_edit(
        cls, principal: Principal, *, reason: str | None = None, note: str | None = None
    ) -> Provenance:
        return cls.by_key(principal, "admin_edit", reason=reason, note=note)
