"""web pages: the language a signed-in browser chose, kept with its session"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_1330_session_lang"
down_revision = "20261203_1330_feeds"


def upgrade() -> None:
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.drop_column("language")
