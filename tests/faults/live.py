"""The real app under uvicorn on 127.0.0.1 over a database of its own, for fault tests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from app.kit.local_server import local_server
from tests.conftest import migrate


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
