"""review queue: the verifications an imported record's source claims"""

import sqlalchemy as sa
from alembic import op

revision = "20261129_0110"
down_revision = "20261129_0100"


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("verifications", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("verifications")
