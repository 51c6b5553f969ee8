"""What is stored, to prove that a rejected write left the directory unchanged."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.directory import models as directory
from app.directory.models import Office, Organization, Phone
from app.kit.models import Base
from app.verification.models import VerificationEvent

# Every table of the directory (those it gains later too), its verifications and the keys.
_TABLES = (
    *(m.class_ for m in Base.registry.mappers if m.class_.__module__ == directory.__name__),
    VerificationEvent,
    ApiKey,
)


def directory_state(session: Session) -> dict[str, object]:
    """Row counts of every directory table plus the versions of every record."""
    session.expire_all()
    state: dict[str, object] = {
        table.__tablename__: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in _TABLES
    }
    for model in (Organization, Office, Phone):
        rows = session.execute(select(model.id, model.version).order_by(model.id)).all()
        state[f"{model.__tablename__}_versions"] = [tuple(r) for r in rows]
    return state
