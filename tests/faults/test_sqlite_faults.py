"""SQLite under faults, against the real app under uvicorn: a write lock held past the busy
timeout, a full disk (a small tmpfs), and a database opened read-only. Every answer is a
complete HTTP response with a JSON body (an HTML page for a browser), faults are 503 with
Retry-After, and once the fault is gone the next request succeeds without a restart."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import own_sqlite_files
from tests.faults.live import Seeded, is_complete_json, live_app, seed

pytestmark = own_sqlite_files


def _verify(client: httpx.Client, seeded: Seeded) -> httpx.Response:
    """A write: record a verification of the seeded office."""
    return client.post(
        f"/api/v1/contacts/{seeded.office_id}/verifications",
        json={"method": "phone_call", "note": "answered " + "x" * 500},
        headers=seeded.headers,
    )


def _search(client: httpx.Client, seeded: Seeded) -> httpx.Response:
    return client.get("/api/v1/contacts", params={"country": "NG"}, headers=seeded.headers)


def _browser_sign_in(client: httpx.Client, seeded: Seeded) -> httpx.Response:
    """A browser signing in (a page that reads the database to check the key)."""
    form = client.get("/signin", headers={"Accept": "text/html"})
    name, value = re.search(r'type="hidden" name="([^"]+)" value="([^"]+)"', form.text).groups()  # type: ignore[union-attr]
    return client.post(
        "/signin", data={name: value, "key": seeded.admin_key}, headers={"Accept": "text/html"}
    )


def test_a_write_lock_held_past_the_busy_timeout_is_503_and_then_the_write_succeeds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "busy.db"
    url = f"sqlite:///{path}"
    seeded = seed(url)
    env = {"HOMEWARD_SQLITE_BUSY_TIMEOUT_SECONDS": "0.5"}
    with live_app(url, env=env) as base, httpx.Client(base_url=base, timeout=30) as client:
        assert _verify(client, seeded).status_code == 200
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # someone else's long write
        try:
            refused = _verify(client, seeded)
            assert refused.status_code == 503, refused.text
            assert is_complete_json(refused)["detail"][0]["reason"]
            page = _browser_sign_in(client, seeded)
            assert page.status_code == 503
            assert page.headers["content-type"].startswith("text/html")
            assert "unavailable for a moment" in page.text
            assert int(page.headers["Retry-After"]) >= 1
            read = _search(client, seeded)  # readers never wait in WAL mode
            assert read.status_code == 200 and is_complete_json(read)["total"] == 1
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert _verify(client, seeded).status_code == 200
        assert client.get("/health").status_code == 200


@contextmanager
def _small_volume(size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted on a temporary directory (needs root), unmounted after."""
    mount_point = Path(tempfile.mkdtemp(prefix="homeward-volume-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


def _fill(folder: Path) -> Path:
    """Take every free byte of the volume with one file."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def test_a_full_disk_is_503_for_writes_and_the_next_write_after_freeing_space_succeeds() -> None:
    with _small_volume("8m") as volume:
        url = f"sqlite:///{volume / 'full.db'}"
        seeded = seed(url)
        with live_app(url) as base, httpx.Client(base_url=base, timeout=30) as client:
            assert _verify(client, seeded).status_code == 200
            filler = _fill(volume)
            answers = []
            for _ in range(300):
                answer = _verify(client, seeded)
                is_complete_json(answer)
                answers.append(answer.status_code)
                if answer.status_code == 503:
                    break
            assert answers[-1] == 503, answers
            assert set(answers) <= {200, 503}
            assert "out of space" in answer.json()["message"]
            read = _search(client, seeded)
            assert read.status_code in (200, 503)
            is_complete_json(read)
            filler.unlink()
            assert _verify(client, seeded).status_code == 200
            assert _search(client, seeded).status_code == 200


def test_a_read_only_database_is_503_for_writes_and_still_serves_reads(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    seeded = seed(f"sqlite:///{path}")
    # Opened read-only by the server (the file is writable by root, so a chmod would not do).
    read_only_url = f"sqlite:///file:{path}?mode=ro&uri=true"
    with live_app(read_only_url) as base, httpx.Client(base_url=base, timeout=30) as client:
        read = _search(client, seeded)
        assert read.status_code == 200, read.text
        refused = _verify(client, seeded)
        assert refused.status_code == 503, refused.text
        assert "read-only" in is_complete_json(refused)["message"]
        assert client.get("/health").status_code == 200
