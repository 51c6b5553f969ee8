"""auth: server-side browser sessions, so signing out ends the session for every copy of it

The session cookie holds a random token naming a row here (kept as SHA-256); signing out ends
the row, so a copied cookie is refused at once by every server process.
"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_0815_browser_sessions"
down_revision = "20261203_0810_revision_reason"


def upgrade() -> None:
    op.create_table(
        "browser_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_key.id"], name=op.f("fk_browser_session_key_id_api_key")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_browser_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_browser_session_token_hash")),
    )
    op.create_index(op.f("ix_browser_session_key_id"), "browser_session", ["key_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_browser_session_key_id"), table_name="browser_session")
    op.drop_table("browser_session")
