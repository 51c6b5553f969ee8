"""directory: what an HSDS import brings beyond Homeward's fields: structured schedules, the
source's record id (external_id) and its unmodelled fields and tables (hsds_source)

Revision ID: 20261203_1310_hsds_source
Revises: 20261203_0915_withdrawn
Create Date: 2026-12-03 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_1310_hsds_source"
down_revision: str | Sequence[str] | None = "20261203_0915_withdrawn"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hsds_source", sa.JSON(), nullable=True))
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedules", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("external_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("hsds_source", sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f("ix_office_external_id"), ["external_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_external_id"))
        batch_op.drop_column("hsds_source")
        batch_op.drop_column("external_id")
        batch_op.drop_column("schedules")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("hsds_source")
