from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """Who is acting: the holder of an API key (or the CLI operator)."""

    name: str
    role: str
    key_id: int | None = None
    organization_id: int | None = None

    @property
    def label(self) -> str:
        return f"{self.name} (key {self.key_id})" if self.key_id else self.name

    @property
    def is_ngo(self) -> bool:
        return self.role == "ngo"

    @property
    def edits_directly(self) -> bool:
        """Reviewers and admins change contacts; everyone else's changes go to review."""
        return self.role in ("admin", "reviewer")

    @property
    def sees_confidential(self) -> bool:
        return self.role != "ngo"

    @property
    def exports_confidential(self) -> bool:
        """May take confidential records out to other systems (ORAPI at /hsds), like the
        operator's `homeward export --include-confidential`: admins only."""
        return self.role == "admin"


CLI_OPERATOR = Principal(name="cli", role="admin")
