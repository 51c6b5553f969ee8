"""merge the domain branches into one head

The directory core, review queue, verification and phone display migrations were written in
parallel, each branching from the core. This joins them so `alembic heads` shows one head.

Revision ID: 20261129_0100
Revises: 20261129_0002, 20261129_0003, 20261129_0020
Create Date: 2026-11-29 08:50:00
"""

from collections.abc import Sequence

revision: str = "20261129_0100"
down_revision: str | Sequence[str] | None = ("20261129_0002", "20261129_0003", "20261129_0020")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
