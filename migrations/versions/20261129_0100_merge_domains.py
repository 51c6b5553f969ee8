"""merge the domain branches into one head

The directory core, review queue, verification and phone display migrations were written in
parallel, each branching from the core. This joins them so `alembic heads` shows one head.
"""

revision = "20261129_0100"
down_revision = ("20261129_0002", "20261129_0003", "20261129_0020")


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
