"""verification: the worklist's index (active tasks by priority, due date, id) and live claims

The worklist lists active tasks most urgent first. With only (state, priority) the database
sorted every active task for each page (72,000 at 100,000 offices); a partial index in the
worklist's order serves a page, a deep page and a count from the index alone. The old
(state, priority) index served nothing else and led SQLite's planner away from the new one.
"""

import sqlalchemy as sa
from alembic import op

revision = "20261129_0120"
down_revision = "20261129_0110"

ACTIVE = "state IN ('open', 'claimed', 'escalated')"
CLAIMED = "state = 'claimed'"


def upgrade() -> None:
    with op.batch_alter_table("verification_task", schema=None) as batch_op:
        batch_op.drop_index("ix_verification_task_state_priority")
        batch_op.create_index(
            "ix_verification_task_worklist",
            [sa.text("priority DESC"), "due_at", "id", "state"],
            unique=False,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.create_index(
            "ix_verification_task_claimed_by",
            ["claimed_by"],
            unique=False,
            sqlite_where=sa.text(CLAIMED),
            postgresql_where=sa.text(CLAIMED),
        )


def downgrade() -> None:
    with op.batch_alter_table("verification_task", schema=None) as batch_op:
        batch_op.drop_index("ix_verification_task_claimed_by")
        batch_op.drop_index("ix_verification_task_worklist")
        batch_op.create_index(
            "ix_verification_task_state_priority", ["state", "priority"], unique=False
        )
