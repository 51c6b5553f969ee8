"""outreach: update requests mailed to the offices themselves

One row per request; at most one open request per office (a partial unique index); the
links' tokens are stored as SHA-256 hashes only.
"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_0810_outreach_requests"
down_revision = "20261203_0815_browser_sessions"

STATES = (
    "state IN ('queued', 'sending', 'sent', 'reminding', 'reminded', 'unanswered', "
    "'answered', 'bounced', 'withheld', 'expired')"
)
OPEN = "state IN ('queued', 'sending', 'sent', 'reminding', 'reminded', 'unanswered')"


def upgrade() -> None:
    op.create_table(
        "outreach_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("language", sa.String(length=3), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("reminder_token_hash", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_uncertain", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("verification_event_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('confirmed','changed')",
            name=op.f("ck_outreach_request_answer"),
        ),
        sa.CheckConstraint(STATES, name=op.f("ck_outreach_request_state")),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_outreach_request_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_outreach_request_organization_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_outreach_request_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["verification_event_id"],
            ["verification_event.id"],
            name=op.f("fk_outreach_request_verification_event_id_verification_event"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_request")),
        sa.UniqueConstraint(
            "reminder_token_hash", name=op.f("uq_outreach_request_reminder_token_hash")
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_outreach_request_token_hash")),
    )
    with op.batch_alter_table("outreach_request", schema=None) as batch_op:
        batch_op.create_index("ix_outreach_request_country", ["country"], unique=False)
        batch_op.create_index(
            "ix_outreach_request_office_created", ["office_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_outreach_request_organization_id", ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_outreach_request_state_next", ["state", "next_attempt_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_outreach_request_open_office",
            ["office_id"],
            unique=True,
            sqlite_where=sa.text(OPEN),
            postgresql_where=sa.text(OPEN),
        )


def downgrade() -> None:
    with op.batch_alter_table("outreach_request", schema=None) as batch_op:
        batch_op.drop_index("uq_outreach_request_open_office")
        batch_op.drop_index("ix_outreach_request_state_next")
        batch_op.drop_index("ix_outreach_request_organization_id")
        batch_op.drop_index("ix_outreach_request_office_created")
        batch_op.drop_index("ix_outreach_request_country")
    op.drop_table("outreach_request")
