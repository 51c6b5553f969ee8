"""API keys: created once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cachetools import TTLCache
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from app.auth import key_audit
from app.auth.models import ApiKey, BrowserSession, Role
from app.config import get_settings
from app.directory.models import Organization
from app.kit.clock import utcnow
from app.kit.errors import InvalidValue, NotFound, Unauthorized
from app.kit.i18n import N_
from app.kit.principal import Principal

KEY_PREFIX = "hw_"


@dataclass(frozen=True)
class IssuedKey:
    key: ApiKey
    secret: str


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session,
    *,
    name: str,
    role: str,
    organization_id: int | None = None,
    created_by: str | None = None,
    by: Principal | None = None,
) -> IssuedKey:
    """Create a key; the plain secret is returned once and never stored. Created `by` a
    person (the pages, the API, the CLI), it is recorded in the audit trail."""
    try:
        role = Role(role).value
    except ValueError as exc:
        raise InvalidValue(
            N_("role must be one of %(roles)s"),
            field="role",
            params={"roles": ", ".join(r.value for r in Role)},
        ) from exc
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidValue(N_("name must be 1 to 200 characters"), field="name")
    if role == Role.NGO:
        if organization_id is None:
            raise InvalidValue(
                N_("an ngo key must be tied to an organisation"), field="organization_id"
            )
        if session.get(Organization, organization_id) is None:
            raise InvalidValue(
                N_("no organisation with id %(id)s"),
                field="organization_id",
                params={"id": organization_id},
            )
    elif organization_id is not None:
        raise InvalidValue(N_("only ngo keys are tied to an organisation"), field="organization_id")
    token = secrets.token_urlsafe(32)
    secret = f"{KEY_PREFIX}{token}"
    key = ApiKey(
        name=name,
        role=role,
        organization_id=organization_id,
        prefix=secret[:10],
        key_hash=hash_key(secret),
        created_by=created_by or (by.label if by else None),
    )
    session.add(key)
    session.flush()
    if by is not None:
        key_audit.record(session, key=key, action="created", by=by)
    return IssuedKey(key=key, secret=secret)


def list_keys(session: Session) -> Sequence[ApiKey]:
    return session.execute(select(ApiKey).order_by(ApiKey.id)).scalars().all()


def get_key(session: Session, *, key_id: int) -> ApiKey:
    """A key by id, or NotFound (404)."""
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(N_("no key with id %(id)s"), field="id", params={"id": key_id})
    return key


def revoke_key(session: Session, *, key_id: int, by: Principal | None = None) -> ApiKey:
    """Revoke a key at once (again is a no-op); revoked `by` a person, it is recorded in the
    audit trail."""
    key = get_key(session, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        if by is not None:
            key_audit.record(session, key=key, action="revoked", by=by)
    principal_cache.evict_key(key_id)
    return key


# Every authenticated request runs this lookup: one Core statement, built once.
_LIVE_KEY_BY_HASH = select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.organization_id).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_at.is_(None)
)


class PrincipalCache:
    """Recently authenticated keys, so a request can skip the lookup (and a threadpool hop).

    Entries live `ttl` seconds. Revoking a key evicts it here at once; another process that
    cached it (a second server worker) accepts it for at most `ttl` more seconds.
    """

    def __init__(
        self, *, ttl: float, maxsize: int = 4096, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: TTLCache[str, Principal] = TTLCache(maxsize=maxsize, ttl=ttl, timer=timer)
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> Principal | None:
        with self._lock:
            return self._entries.get(key_hash)

    def put(self, key_hash: str, principal: Principal) -> None:
        with self._lock:
            self._entries[key_hash] = principal

    def evict_key(self, key_id: int) -> None:
        with self._lock:
            for key_hash in [h for h, p in self._entries.items() if p.key_id == key_id]:
                del self._entries[key_hash]


principal_cache = PrincipalCache(ttl=get_settings().auth_cache_seconds)


def authenticate(session: Session, *, secret: str) -> Principal:
    """The principal behind a presented key, or Unauthorized."""
    key_hash = hash_key(secret)
    row = session.connection().execute(_LIVE_KEY_BY_HASH, {"key_hash": key_hash}).one_or_none()
    if row is None:
        raise Unauthorized(N_("unknown or revoked key"), field="Authorization")
    key_id, name, role, organization_id = row
    principal = Principal(name=name, role=role, key_id=key_id, organization_id=organization_id)
    principal_cache.put(key_hash, principal)
    return principal


def cached_principal(secret: str) -> Principal | None:
    """The principal of a key authenticated in the last few seconds, without the database."""
    return principal_cache.get(hash_key(secret))


def start_browser_session(
    session: Session, *, key_id: int, now: datetime, language: str | None = None
) -> str:
    """Sign a key in in one browser: the token for its cookie (stored only as SHA-256), with
    the language its pages speak. The key's ended and expired sessions are dropped on the
    way."""
    since = now - timedelta(hours=get_settings().web_session_hours)
    session.execute(
        delete(BrowserSession).where(
            BrowserSession.key_id == key_id,
            or_(BrowserSession.ended_at.is_not(None), BrowserSession.created_at <= since),
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        BrowserSession(key_id=key_id, token_hash=hash_key(token), created_at=now, language=language)
    )
    session.flush()
    return token


def principal_for_browser_session(
    session: Session, *, token: str, now: datetime
) -> Principal | None:
    """The principal of a browser session, or None if it was signed out, has expired, or its
    key is revoked or unknown."""
    since = now - timedelta(hours=get_settings().web_session_hours)
    row = session.execute(
        select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.organization_id)
        .join(BrowserSession, BrowserSession.key_id == ApiKey.id)
        .where(
            BrowserSession.token_hash == hash_key(token),
            BrowserSession.ended_at.is_(None),
            BrowserSession.created_at > since,
            ApiKey.revoked_at.is_(None),
        )
    ).one_or_none()
    if row is None:
        return None
    key_id, name, role, organization_id = row
    return Principal(name=name, role=role, key_id=key_id, organization_id=organization_id)


def _update_live_session(session: Session, *, token: str, **values: object) -> None:
    session.execute(
        update(BrowserSession)
        .where(BrowserSession.token_hash == hash_key(token), BrowserSession.ended_at.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def end_browser_session(session: Session, *, token: str, now: datetime) -> None:
    """Sign one browser out: its cookie, and any copy of it, stops working at once."""
    _update_live_session(session, token=token, ended_at=now)


def set_browser_session_language(session: Session, *, token: str, language: str) -> None:
    """Remember the language a signed-in browser chose with its session."""
    _update_live_session(session, token=token, language=language)


def browser_session_language(session: Session, *, token: str, now: datetime) -> str | None:
    """The language a live browser session chose, if any."""
    since = now - timedelta(hours=get_settings().web_session_hours)
    language: str | None = session.execute(
        select(BrowserSession.language).where(
            BrowserSession.token_hash == hash_key(token),
            BrowserSession.ended_at.is_(None),
            BrowserSession.created_at > since,
        )
    ).scalar_one_or_none()
    return language
