"""Key management for admins."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict

from app.api.deps import KeyId
from app.auth import service
from app.auth.dependencies import Admin, SessionDep
from app.auth.models import ApiKey, Role
from app.directory.schemas import RecordId
from app.kit.text import ShortText

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShortText
    role: Role
    organization_id: RecordId | None = None


class KeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: str
    organization_id: int | None
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class KeyIssued(KeyPublic):
    key: str


def _public(key: ApiKey) -> KeyPublic:
    return KeyPublic.model_validate(key)


@router.get("", response_model=list[KeyPublic])
def list_keys(admin: Admin, session: SessionDep) -> list[KeyPublic]:
    """All keys (never their secrets)."""
    return [_public(k) for k in service.list_keys(session)]


@router.post("", response_model=KeyIssued, status_code=status.HTTP_201_CREATED)
def create_key(body: KeyCreate, admin: Admin, session: SessionDep) -> KeyIssued:
    """Create a key. The secret is in this response only."""
    issued = service.create_key(
        session,
        name=body.name,
        role=body.role.value,
        organization_id=body.organization_id,
        by=admin,
    )
    return KeyIssued(**_public(issued.key).model_dump(), key=issued.secret)


@router.post("/{key_id}/revoke", response_model=KeyPublic)
def revoke_key(key_id: KeyId, admin: Admin, session: SessionDep) -> KeyPublic:
    """Revoke a key at once."""
    return _public(service.revoke_key(session, key_id=key_id, by=admin))
