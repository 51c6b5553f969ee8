"""feeds: other directories' ORAPIs pulled into the review queue (submission origin `feed`)

One row per subscription with the state of its pulls, and one per remote record as last
pulled (a digest, and the submission it queued).
"""

import sqlalchemy as sa
from alembic import op

revision = "20261203_1330_feeds"
down_revision = "20261203_1310_hsds_source"

BEFORE = "origin IN ('ngo_partner','organisation','call_outcome','import')"
AFTER = "origin IN ('ngo_partner','organisation','call_outcome','import','feed')"


def _origin_check(condition: str) -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_submission_origin"), type_="check")
        batch_op.create_check_constraint(op.f("ck_submission_origin"), condition)


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("api_key", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("high_water_mark", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_pull_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        _counter("failures"),
        sa.Column("next_pull_after", sa.DateTime(timezone=True), nullable=True),
        _counter("last_fetched"),
        _counter("last_queued"),
        _counter("last_superseded"),
        _counter("last_unchanged"),
        _counter("last_refused"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed")),
        sa.UniqueConstraint("name", name=op.f("uq_feed_name")),
    )
    op.create_table(
        "feed_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=200), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feed.id"], name=op.f("fk_feed_record_feed_id_feed"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_feed_record_submission_id_submission"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_record")),
        sa.UniqueConstraint("feed_id", "remote_id", name=op.f("uq_feed_record_feed_id")),
    )
    _origin_check(AFTER)


def downgrade() -> None:
    # The older schema knows no feeds: their submissions read as imports.
    op.execute("UPDATE submission SET origin = 'import' WHERE origin = 'feed'")
    _origin_check(BEFORE)
    op.drop_table("feed_record")
    op.drop_table("feed")
