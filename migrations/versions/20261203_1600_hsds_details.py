"""directory: what HSDS brings, as data: the service's name and description, the second
address line, language notes, service areas, named contacts, accessibility, phone extensions
and organisation identifiers
"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_1600_hsds_details"
down_revision = "20261203_1330_session_lang"

OFFICE_JSON = ("language_notes", "service_areas", "contacts", "accessibility")


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identifiers", sa.JSON(), nullable=True))
    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("service_description", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("address_2", sa.String(length=500), nullable=True))
        for name in OFFICE_JSON:
            batch_op.add_column(sa.Column(name, sa.JSON(), nullable=True))
    with op.batch_alter_table("phone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("extension", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("phone", schema=None) as batch_op:
        batch_op.drop_column("extension")
    with op.batch_alter_table("office", schema=None) as batch_op:
        for name in reversed(OFFICE_JSON):
            batch_op.drop_column(name)
        batch_op.drop_column("address_2")
        batch_op.drop_column("service_description")
        batch_op.drop_column("service_name")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("identifiers")
