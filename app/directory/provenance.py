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

    @classmethod
    def admin_edit(cls, principal: Principal) -> Provenance:
        return cls(
            actor=principal.label,
            source="admin_edit",
            actor_key_id=principal.key_id,
            approved_by=principal.label,
        )
