"""review queue: a partner may withdraw its own pending submission (status `withdrawn`)"""

from alembic import op

revision = "20261203_0915_withdrawn"
down_revision = "20261203_0910_findings"

BEFORE = "status IN ('pending','approved','partially_approved','rejected','duplicate')"
AFTER = "status IN ('pending','approved','partially_approved','rejected','duplicate','withdrawn')"


def _status_check(condition: str) -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_submission_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_submission_status"), condition)


def upgrade() -> None:
    _status_check(AFTER)


def downgrade() -> None:
    # The older schema has no "withdrawn": such a submission reads as rejected, saying why.
    op.execute(
        "UPDATE submission SET status = 'rejected', "
        "decision_reason = COALESCE(decision_reason, 'Withdrawn by the partner.') "
        "WHERE status = 'withdrawn'"
    )
    _status_check(BEFORE)
