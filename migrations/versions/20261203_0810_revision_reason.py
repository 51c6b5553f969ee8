"""directory: a revision keeps why (a reason from a fixed list and a note), for closes

Closing a contact, a phone or an organisation takes it off every sheet, so the API asks why;
the reason and the note are kept on each revision the close writes.
"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_0810_revision_reason"
down_revision = "20261203_0810_submission_origin"


def upgrade() -> None:
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("note", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("revision", schema=None) as batch_op:
        batch_op.drop_column("note")
        batch_op.drop_column("reason")
