"""API keys: shown once, stored as a hash, tied to an organisation for NGOs, revocable."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiKey
from app.auth.service import PrincipalCache, authenticate, create_key, list_keys, revoke_key
from app.kit.errors import InvalidValue, NotFound, Unauthorized
from app.kit.principal import Principal
from tests.factories import make_org


def test_only_the_hash_of_a_key_is_stored(db_session: Session) -> None:
    issued = create_key(db_session, name="Border desk Dover", role="officer")
    stored = db_session.execute(select(ApiKey)).scalar_one()
    assert issued.secret.startswith("hw_") and len(issued.secret) > 40
    assert stored.key_hash == hashlib.sha256(issued.secret.encode()).hexdigest()
    assert issued.secret not in {stored.name, stored.prefix, stored.key_hash}
    assert stored.prefix == issued.secret[:10]


def test_each_key_is_different(db_session: Session) -> None:
    secrets = {create_key(db_session, name=f"desk {n}", role="officer").secret for n in range(5)}
    assert len(secrets) == 5


def test_authenticate_returns_the_principal(db_session: Session) -> None:
    org = make_org(db_session)
    issued = create_key(db_session, name="Partner", role="ngo", organization_id=org.id)
    principal = authenticate(db_session, secret=issued.secret)
    assert (principal.name, principal.role, principal.organization_id) == ("Partner", "ngo", org.id)
    assert principal.key_id == issued.key.id
    assert not principal.sees_confidential


def test_a_revoked_or_unknown_key_is_unauthorized(db_session: Session) -> None:
    issued = create_key(db_session, name="Old desk", role="admin")
    revoke_key(db_session, key_id=issued.key.id or 0)
    for secret in (issued.secret, issued.secret + "x", "hw_guess"):
        with pytest.raises(Unauthorized):
            authenticate(db_session, secret=secret)


def test_revoking_twice_keeps_the_first_time(db_session: Session) -> None:
    issued = create_key(db_session, name="desk", role="officer")
    first = revoke_key(db_session, key_id=issued.key.id or 0).revoked_at
    assert revoke_key(db_session, key_id=issued.key.id or 0).revoked_at == first
    with pytest.raises(NotFound):
        revoke_key(db_session, key_id=987_654)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "root"}, "role"),
        ({"role": "ngo"}, "organization_id"),
        ({"role": "ngo", "organization_id": 987_654}, "organization_id"),
        ({"role": "officer", "organization_id": 1}, "organization_id"),
        ({"role": "officer", "name": "  "}, "name"),
    ],
)
def test_bad_keys_are_refused_and_not_stored(
    db_session: Session, kwargs: dict[str, object], field: str
) -> None:
    make_org(db_session)
    args: dict[str, object] = {"name": "desk", **kwargs}
    with pytest.raises(InvalidValue) as raised:
        create_key(db_session, **args)  # type: ignore[arg-type]
    assert raised.value.field == field
    assert list(list_keys(db_session)) == []


def test_the_key_cache_forgets_after_its_time_and_at_once_on_revocation() -> None:
    clock = [0.0]
    cache = PrincipalCache(ttl=5.0, timer=lambda: clock[0])
    officer = Principal(name="desk", role="officer", key_id=7)
    cache.put("hash-a", officer)
    cache.put("hash-b", Principal(name="other", role="officer", key_id=8))
    clock[0] = 4.9
    assert cache.get("hash-a") == officer
    cache.evict_key(7)  # revoked in this process: gone at once
    assert cache.get("hash-a") is None
    assert cache.get("hash-b") is not None
    clock[0] = 5.1  # revoked elsewhere: trusted no longer than the cache's time
    assert cache.get("hash-b") is None
