"""The real app under uvicorn on 127.0.0.1 over a database of its own, for fault tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx

from app.auth.service import create_key
from app.db import make_engine, unit_of_work
from bench.local_server import local_server
from tests.conftest import migrate
from tests.factories import make_office


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'live.db'}"


@contextmanager
def live_app(
    database_url: str | None = None,
    *,
    env: Mapping[str, str] = {},
    output: IO[str] | None = None,
    workers: int = 1,
) -> Iterator[str]:
    """uvicorn serving the app over `database_url` (migrated here; a fresh SQLite file when
    None), with a var dir of its own; yields the base URL."""
    var_dir = Path(tempfile.mkdtemp(prefix="homeward-live-"))
    url = database_url or sqlite_url(var_dir)
    migrate(url)
    server_env = {
        "DATABASE_URL": url,
        "HOMEWARD_VAR_DIR": str(var_dir),
        "HOMEWARD_SECRET_KEY": "fault-tests-only-" + "x" * 32,
        **env,
    }
    args = ["--workers", str(workers)] if workers > 1 else []
    with local_server(server_env, uvicorn_args=args, output=output, startup_seconds=120) as (
        base,
        _,
    ):
        yield base


@dataclass(frozen=True)
class Seeded:
    """What a fault test needs in its database: an admin key and one office."""

    admin_key: str
    office_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}


def seed(database_url: str) -> Seeded:
    """Migrate `database_url` and add an admin key and one office (committed)."""
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            key = create_key(session, name="fault tests", role="admin").secret
            office = make_office(session)
            assert office.id is not None
            return Seeded(admin_key=key, office_id=office.id)
    finally:
        engine.dispose()


def is_complete_json(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON body (it must be complete and parse), with a Retry-After header
    on every 503."""
    body = response.json()
    assert isinstance(body, dict | list), body
    if response.status_code == 503:
        assert isinstance(body, dict) and body["error"] == "database_unavailable", body
        assert int(response.headers["Retry-After"]) >= 1
    return body if isinstance(body, dict) else {"items": body}
