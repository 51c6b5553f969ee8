"""Creating and revoking a key is recorded in the audit trail: who, when, which key by name
and id, never the secret."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import key_audit
from app.auth.service import create_key, revoke_key
from app.directory import audit
from app.directory.models import Revision
from app.kit.principal import Principal


def _key_rows(session: Session, key_id: int) -> list[Revision]:
    return list(
        session.execute(
            select(Revision)
            .where(Revision.entity == key_audit.ENTITY, Revision.entity_id == key_id)
            .order_by(Revision.id)
        ).scalars()
    )


def test_creating_and_revoking_a_key_are_recorded_without_the_secret(
    db_session: Session,
) -> None:
    admin_key = create_key(db_session, name="Head office", role="admin").key
    admin = Principal(name=admin_key.name, role="admin", key_id=admin_key.id)
    issued = create_key(db_session, name="Field team", role="officer", by=admin)
    key_id = issued.key.id
    assert key_id is not None
    revoke_key(db_session, key_id=key_id, by=admin)
    revoke_key(db_session, key_id=key_id, by=admin)  # again: nothing new happened

    rows = _key_rows(db_session, key_id)
    assert [(r.field, r.actor, r.actor_key_id, r.source) for r in rows] == [
        ("created", admin.label, admin.key_id, "key_admin"),
        ("revoked", admin.label, admin.key_id, "key_admin"),
    ]
    assert all(r.changed_at is not None for r in rows)
    assert '"name": "Field team"' in (rows[0].new_value or "")
    for row in rows:
        for text in (row.old_value or "", row.new_value or "", row.note or ""):
            assert issued.secret not in text and issued.key.key_hash not in text
    assert issued.key.created_by == admin.label
    listed, _ = audit.recent_revisions(
        db_session, filters=audit.RevisionFilters(entity=key_audit.ENTITY)
    )
    assert [r.id for r in listed] == [r.id for r in reversed(rows)]
    assert key_audit.key_names(db_session, [key_id]) == {key_id: "Field team"}


def test_a_key_made_by_no_one_in_particular_is_not_in_the_audit(db_session: Session) -> None:
    issued = create_key(db_session, name="bootstrap admin", role="admin")
    assert issued.key.id is not None
    assert _key_rows(db_session, issued.key.id) == []
