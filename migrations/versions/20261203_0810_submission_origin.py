"""review queue: a submission's origin (an NGO partner, the organisation itself, a call
outcome or an import) as its own column

Until now an import was recognised by its `source` starting with "import:". The backfill
reads that convention once; from here on intake sets `origin` and approval decides by it.
"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_0810_submission_origin"
down_revision = "20261129_0120"

ORIGINS = "origin IN ('ngo_partner','organisation','call_outcome','import')"


def upgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE submission SET origin = CASE WHEN source LIKE 'import:%' "
        "THEN 'import' ELSE 'ngo_partner' END"
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.alter_column("origin", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_check_constraint(op.f("ck_submission_origin"), ORIGINS)


def downgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_submission_origin"), type_="check")
        batch_op.drop_column("origin")
