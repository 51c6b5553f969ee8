"""review queue: NGO submissions and their proposed phone numbers"""

import sqlalchemy as sa
from alembic import op

revision = "20261129_0002"
down_revision = "20261129_0001"


def upgrade() -> None:
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("closure_reason", sa.String(length=24), nullable=True),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("phone_id", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=500), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("base", sa.JSON(), nullable=False),
        sa.Column("base_versions", sa.JSON(), nullable=False),
        sa.Column("base_revision_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("duplicate_matches", sa.JSON(), nullable=False),
        sa.Column("submitter_key_id", sa.Integer(), nullable=True),
        sa.Column("submitter_name", sa.String(length=300), nullable=False),
        sa.Column("submitter_organization_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_by_key_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("applied", sa.JSON(), nullable=True),
        sa.Column("duplicate_of_submission_id", sa.Integer(), nullable=True),
        sa.Column("duplicate_of_office_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "closure_reason IS NULL OR closure_reason IN ('closed','moved','number_disconnected')",
            name=op.f("ck_submission_closure_reason"),
        ),
        sa.CheckConstraint(
            "kind IN ('correction','new_contact','closure')", name=op.f("ck_submission_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending','approved','partially_approved','rejected','duplicate')",
            name=op.f("ck_submission_status"),
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_office_id"],
            ["office.id"],
            name=op.f("fk_submission_duplicate_of_office_id_office"),
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_duplicate_of_submission_id_submission"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_submission_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organization.id"],
            name=op.f("fk_submission_organization_id_organization"),
        ),
        sa.ForeignKeyConstraint(
            ["phone_id"], ["phone.id"], name=op.f("fk_submission_phone_id_phone")
        ),
        sa.ForeignKeyConstraint(
            ["submitter_key_id"],
            ["api_key.id"],
            name=op.f("fk_submission_submitter_key_id_api_key"),
        ),
        sa.ForeignKeyConstraint(
            ["submitter_organization_id"],
            ["organization.id"],
            name=op.f("fk_submission_submitter_organization_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_office_id"), ["office_id"], unique=False)
        batch_op.create_index(
            "ix_submission_status_country_created",
            ["status", "country", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_submission_status_country_region",
            ["status", "country", "region", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_submission_status_created", ["status", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_submission_submitter_key_created", ["submitter_key_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_submission_submitter_org_created",
            ["submitter_organization_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "submission_phone",
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_submission_phone_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("submission_id", "number", name=op.f("pk_submission_phone")),
    )
    with op.batch_alter_table("submission_phone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_phone_number"), ["number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submission_phone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_phone_number"))
    op.drop_table("submission_phone")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_submitter_org_created")
        batch_op.drop_index("ix_submission_submitter_key_created")
        batch_op.drop_index("ix_submission_status_created")
        batch_op.drop_index("ix_submission_status_country_region")
        batch_op.drop_index("ix_submission_status_country_created")
        batch_op.drop_index(batch_op.f("ix_submission_office_id"))
    op.drop_table("submission")
