"""review queue: the verifications an imported record's source claims

Revision ID: 20261129_0110
Revises: 20261129_0100
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261129_0110"
down_revision: str | Sequence[str] | None = "20261129_0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("verifications", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("verifications")
