"""auth: a browser-session generation per key, so signing out ends the session server-side

The session cookie carries the generation it was issued in; signing out moves the key's
generation on, so a copied cookie is refused at once by every server process.

Revision ID: 20261203_0815_session_generation
Revises: 20261129_0120
Create Date: 2026-12-03 08:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_0815_session_generation"
down_revision: str | Sequence[str] | None = "20261129_0120"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
