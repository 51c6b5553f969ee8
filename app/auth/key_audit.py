"""Key creation and revocation in the audit trail: one revision row each (record kind
`api_key`), naming the key by id and name, its role and organisation, and who acted. Never
the secret nor its hash."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.directory.models import Revision
from app.kit.clock import utcnow
from app.kit.principal import Principal

ENTITY = "api_key"
SOURCE = "key_admin"


def record(session: Session, *, key: ApiKey, action: str, by: Principal) -> Revision:
    """Write that `by` did `action` ("created" or "revoked") to `key`."""
    assert key.id is not None
    what = {"name": key.name, "role": key.role, "organization_id": key.organization_id}
    row = Revision(
        change_id=str(uuid.uuid4()),
        entity=ENTITY,
        entity_id=key.id,
        organization_id=key.organization_id,
        field=action,
        new_value=json.dumps(what, ensure_ascii=False, sort_keys=True),
        source=SOURCE,
        actor=by.label[:200],
        actor_key_id=by.key_id,
        changed_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def key_names(session: Session, key_ids: Iterable[int]) -> dict[int, str]:
    """Key id -> its name, for the audit page's rows."""
    ids = set(key_ids)
    if not ids:
        return {}
    rows = session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(ids)))
    return {int(key_id): name for key_id, name in rows}
