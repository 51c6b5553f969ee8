"""verification: tasks, attempts, check history, partner scopes, digests, scheduler"""

import sqlalchemy as sa
from alembic import op

revision = "20261129_0003"
down_revision = "20261129_0001"


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("slot", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_run")),
        sa.UniqueConstraint("job", "slot", name=op.f("uq_job_run_job")),
    )
    op.create_table(
        "scheduler_instance",
        sa.Column("instance_id", sa.String(length=64), nullable=False),
        sa.Column("hostname", sa.String(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("became_leader_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_scheduler_instance")),
    )
    op.create_table(
        "verification_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("digest_date", sa.String(length=10), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("open_tasks", sa.Integer(), nullable=False),
        sa.Column("escalated_tasks", sa.Integer(), nullable=False),
        sa.Column("claimed_tasks", sa.Integer(), nullable=False),
        sa.Column("oldest_overdue_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_digest")),
        sa.UniqueConstraint("country", "digest_date", name=op.f("uq_verification_digest_country")),
    )
    with op.batch_alter_table("verification_digest", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_digest_digest_date"), ["digest_date"], unique=False
        )

    op.create_table(
        "partner_scope",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_partner_scope_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_scope")),
        sa.UniqueConstraint(
            "organization_id", "country", name=op.f("uq_partner_scope_organization_id")
        ),
    )
    with op.batch_alter_table("partner_scope", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_partner_scope_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "verification_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("freshness", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_key_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claim_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalation_reason", sa.String(length=200), nullable=True),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('open','claimed','escalated','done','cancelled')",
            name=op.f("ck_verification_task_state"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_verification_task_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_task")),
    )
    with op.batch_alter_table("verification_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verification_task_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_verification_task_office_id"), ["office_id"], unique=False
        )
        batch_op.create_index(
            "ix_verification_task_state_priority", ["state", "priority"], unique=False
        )
        batch_op.create_index(
            "uq_verification_task_active_office",
            ["office_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('open', 'claimed', 'escalated')"),
            postgresql_where=sa.text("state IN ('open', 'claimed', 'escalated')"),
        )

    op.create_table(
        "check_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("phone_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("final_url", sa.String(length=2000), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('phone','website','email')", name=op.f("ck_check_result_kind")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_check_result_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["phone_id"], ["phone.id"], name=op.f("fk_check_result_phone_id_phone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_result")),
    )
    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_check_result_checked_at"), ["checked_at"], unique=False
        )
        batch_op.create_index(
            "ix_check_result_office_kind_checked", ["office_id", "kind", "checked_at"], unique=False
        )

    op.create_table(
        "task_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_key_id", sa.Integer(), nullable=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_task_attempt_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["verification_task.id"],
            name=op.f("fk_task_attempt_task_id_verification_task"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_attempt")),
    )
    with op.batch_alter_table("task_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_attempt_office_id"), ["office_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_attempt_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_attempt_task_id"))
        batch_op.drop_index(batch_op.f("ix_task_attempt_office_id"))

    op.drop_table("task_attempt")
    with op.batch_alter_table("check_result", schema=None) as batch_op:
        batch_op.drop_index("ix_check_result_office_kind_checked")
        batch_op.drop_index(batch_op.f("ix_check_result_checked_at"))

    op.drop_table("check_result")
    with op.batch_alter_table("verification_task", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_verification_task_active_office",
            sqlite_where=sa.text("state IN ('open', 'claimed', 'escalated')"),
            postgresql_where=sa.text("state IN ('open', 'claimed', 'escalated')"),
        )
        batch_op.drop_index("ix_verification_task_state_priority")
        batch_op.drop_index(batch_op.f("ix_verification_task_office_id"))
        batch_op.drop_index(batch_op.f("ix_verification_task_due_at"))

    op.drop_table("verification_task")
    with op.batch_alter_table("partner_scope", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_partner_scope_organization_id"))

    op.drop_table("partner_scope")
    with op.batch_alter_table("verification_digest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_digest_digest_date"))

    op.drop_table("verification_digest")
    op.drop_table("scheduler_instance")
    op.drop_table("job_run")
