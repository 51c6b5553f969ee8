"""`homeward backup` copies a live SQLite database while the server writes; `homeward
restore` puts a verified copy in place atomically and refuses a database in use. The copy's
HSDS JSON export is the live directory's export as it was at the moment of the backup."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from app.config import PROJECT_ROOT
from tests.conftest import own_sqlite_files
from tests.faults.live import Seeded, live_app, seed


def homeward(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _export(database_url: str, out: Path) -> list[dict[str, Any]]:
    done = homeward(
        database_url, "export", "--format", "hsds-json", "--include-confidential", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def _writer(base: str, seeded: Seeded, stop: threading.Event, made: list[str]) -> None:
    """Each write one transaction: a new organisation, then a new office of the seeded one."""
    organization_id = None
    with httpx.Client(base_url=base, headers=seeded.headers, timeout=30) as client:
        office = client.get(f"/api/v1/contacts/{seeded.office_id}").json()
        organization_id = office["organization"]["id"]
        n = 0
        while not stop.is_set():
            n += 1
            org = client.post(
                "/api/v1/organizations", json={"name": f"Load org {n:05d}", "category": "ngo"}
            )
            assert org.status_code == 201, org.text
            desk = client.post(
                "/api/v1/contacts",
                json={
                    "organization_id": organization_id,
                    "name": f"Load desk {n:05d}",
                    "country": "NG",
                    "region": "NG-LA",
                    "phones": [{"number": f"0803 12{n % 100000:05d}"}],
                },
            )
            assert desk.status_code == 201, desk.text
            made.append(f"{n:05d}")


def _number(text: str, prefix: str) -> int | None:
    found = re.search(prefix + r" (\d{5})", json.dumps(text))
    return int(found.group(1)) if found else None


def _as_of(export: list[dict[str, Any]], orgs: int, desks: int) -> list[dict[str, Any]]:
    """The live export without the organisations and offices written after the numbers
    `orgs` and `desks` (the writes are additions only)."""
    out = []
    for org in export:
        n = _number(org["name"], "Load org")
        if n is not None and n > orgs:
            continue
        services = [
            s
            for s in org["services"]
            if (d := _number(s["name"], "Load desk")) is None or d <= desks
        ]
        out.append({**org, "services": services})
    return out


def _highest(export: list[dict[str, Any]], prefix: str) -> list[int]:
    found = [_number(org["name"], prefix) for org in export] + [
        _number(s["name"], prefix) for org in export for s in org["services"]
    ]
    return sorted(n for n in found if n is not None)


@own_sqlite_files
def test_a_backup_under_write_load_restores_the_directory_as_it_was(tmp_path: Path) -> None:
    live_url = f"sqlite:///{tmp_path / 'live.db'}"
    seeded = seed(live_url)
    copy = tmp_path / "backups" / "copy.db"
    restored = tmp_path / "restored" / "homeward.db"
    with live_app(live_url) as base:
        stop, made = threading.Event(), []
        writer = threading.Thread(target=_writer, args=(base, seeded, stop, made))
        writer.start()
        try:
            while len(made) < 5 and writer.is_alive():
                time.sleep(0.05)
            backed_up = homeward(live_url, "backup", str(copy))
            before = len(made)
            while len(made) < before + 5 and writer.is_alive():
                time.sleep(0.05)
        finally:
            stop.set()
            writer.join(timeout=60)
        assert backed_up.returncode == 0, backed_up.stderr
        assert "integrity ok" in backed_up.stdout

        # The live database is in use: restoring over it is refused and changes nothing.
        size = (tmp_path / "live.db").stat().st_size
        refused = homeward(live_url, "restore", str(copy))
        assert refused.returncode == 1 and "in use" in refused.stderr
        assert (tmp_path / "live.db").stat().st_size == size

        live = _export(live_url, tmp_path / "live.json")

    assert homeward(f"sqlite:///{restored}", "restore", str(copy)).returncode == 0
    copied = _export(f"sqlite:///{restored}", tmp_path / "restored.json")
    orgs, desks = _highest(copied, "Load org"), _highest(copied, "Load desk")
    assert orgs == list(range(1, len(orgs) + 1)) and desks == list(range(1, len(desks) + 1))
    assert 5 <= len(orgs) < len(made), (len(orgs), len(made))  # taken while writes went on
    assert copied == _as_of(live, len(orgs), len(desks))


@own_sqlite_files
def test_restore_refuses_a_file_that_is_not_a_verified_homeward_database(tmp_path: Path) -> None:
    target = tmp_path / "homeward.db"
    seed(f"sqlite:///{target}")
    before = target.read_bytes()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    done = homeward(f"sqlite:///{target}", "restore", str(junk))
    assert done.returncode == 1 and "not a Homeward SQLite database" in done.stderr
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num TEXT)")
        conn.execute("INSERT INTO alembic_version VALUES ('29991231_0000_future')")
    conn.close()
    done = homeward(f"sqlite:///{target}", "restore", str(foreign))
    assert done.returncode == 1 and "unknown to this version" in done.stderr
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.db", "homeward.db", "junk.db"]


def test_backup_on_postgresql_points_to_pg_dump(tmp_path: Path) -> None:
    done = homeward(
        "postgresql+psycopg://postgres@127.0.0.1:5432/none", "backup", str(tmp_path / "x")
    )
    assert done.returncode == 2
    assert "pg_dump" in done.stderr and "pg_restore" in done.stderr
    assert not (tmp_path / "x").exists()
