"""review queue: what a tolerant import left out of a submission, for the reviewer

An imported value that fails the directory's checks (an unknown region, impossible
coordinates, a phone of another country) no longer refuses its record: it is left out of the
proposed change and kept here (field, value as given, reason) for the reviewer to fix.

Revision ID: 20261203_0910_findings (alembic_version holds 32 characters: the file's full
name would not fit on PostgreSQL)
Revises: 20261203_0810_outreach_requests
Create Date: 2026-12-03 09:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_0910_findings"
down_revision = "20261203_0810_outreach_requests"


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.add_column(sa.Column("findings", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("findings")
