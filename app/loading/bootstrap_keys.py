"""`homeward keys bootstrap`: the first admin key on a fresh install (used by `make run`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey, Role
from app.auth.service import IssuedKey, create_key
from app.directory.demo import demo_ngo_for_key, demo_organization_count
from app.directory.models import Organization

BOOTSTRAP_ADMIN_NAME = "bootstrap admin"


@dataclass
class BootstrapResult:
    admin: IssuedKey | None
    active_admins: int
    demo_keys: list[tuple[str, IssuedKey]] = field(default_factory=list)
    demo_ngo: Organization | None = None


def active_admin_count(session: Session) -> int:
    stmt = (
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.role == Role.ADMIN.value, ApiKey.revoked_at.is_(None))
    )
    return int(session.execute(stmt).scalar_one())


def bootstrap_keys(session: Session, *, with_demo_keys: bool = True) -> BootstrapResult:
    """Create the "bootstrap admin" key unless an active admin key exists.

    On that first run, when the demo directory is loaded, also create one demo key for each
    other role (the ngo key tied to a demo NGO) so a person can try every role at once.
    """
    admins = active_admin_count(session)
    if admins:
        return BootstrapResult(admin=None, active_admins=admins)
    admin = create_key(session, name=BOOTSTRAP_ADMIN_NAME, role=Role.ADMIN, created_by="bootstrap")
    result = BootstrapResult(admin=admin, active_admins=1)
    if not with_demo_keys or demo_organization_count(session) == 0:
        return result
    for role in (Role.REVIEWER, Role.OFFICER):
        issued = create_key(session, name=f"demo {role}", role=role, created_by="bootstrap")
        result.demo_keys.append((role.value, issued))
    ngo = demo_ngo_for_key(session)
    if ngo is not None:
        issued = create_key(
            session,
            name="demo field team",
            role=Role.NGO,
            organization_id=ngo.id,
            created_by="bootstrap",
        )
        result.demo_keys.append((Role.NGO.value, issued))
        result.demo_ngo = ngo
    return result
