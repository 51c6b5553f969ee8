"""directory: what an HSDS import brings beyond Homeward's fields: structured schedules, the
source's record id (external_id) and its unmodelled fields and tables (hsds_source)
"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_1310_hsds_source"
down_revision = "20261203_0915_withdrawn"


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
