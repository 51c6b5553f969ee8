"""phone display forms stored with the number

The officer's region query shows every phone in national and international form with its
type. Formatting with libphonenumber costs ~1 ms per number on a cold cache, so the forms are
computed once when a number is written and read back with it.
"""

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = "20261129_0020"
down_revision = "20261129_0001"

_COLUMNS = ("national", "international", "number_type")


def upgrade() -> None:
    with op.batch_alter_table("phone", schema=None) as batch_op:
        for name in _COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.String(length=32), nullable=False, server_default="")
            )
    # Backfill existing numbers with the same formatting the app uses.
    from app.directory.phone_numbers import display

    conn = op.get_bind()
    phone = sa.table(
        "phone",
        sa.column("id", sa.Integer),
        sa.column("number", sa.String),
        *(sa.column(name, sa.String) for name in _COLUMNS),
    )
    rows = conn.execute(sa.select(phone.c.id, phone.c.number)).all()
    for phone_id, number in rows:
        try:
            shown = display(number)
        except phonenumbers.NumberParseException:
            continue  # left blank: the presenter formats it on the fly
        conn.execute(
            phone.update()
            .where(phone.c.id == phone_id)
            .values(
                national=shown.national, international=shown.international, number_type=shown.type
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("phone", schema=None) as batch_op:
        for name in reversed(_COLUMNS):
            batch_op.drop_column(name)
