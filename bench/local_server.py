"""The real app under uvicorn on 127.0.0.1, as a subprocess: for browser tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO

import httpx
import psutil

from app.config import PROJECT_ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def local_server(
    env: Mapping[str, str],
    *,
    port: int | None = None,
    uvicorn_args: Sequence[str] = (),
    output: IO[str] | None = None,
    startup_seconds: float = 180,
    app_path: str = "app.main:app",
    cpus: str | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Serve `app_path` (the app by default) with `env` added to this process's environment.

    `cpus` (a `taskset -c` list) pins the server and its workers to those cores.

    Yields the base URL once `/health` answers, and the process; stops it afterwards. Fails
    with `RuntimeError` if the server exits or does not answer within `startup_seconds`
    (importing the app and WeasyPrint is slow on a busy machine).
    """
    port = port or free_port()
    pin = ["taskset", "-c", cpus] if cpus else []
    proc = subprocess.Popen(
        [
            *pin,
            sys.executable,
            "-m",
            "uvicorn",
            app_path,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *uvicorn_args,
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {base} (exit code {proc.poll()})")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def uvicorn_server(
    database_url: str,
    *,
    workers: int = 1,
    app_path: str = "app.main:app",
    cpus: str | None = None,
) -> Iterator[tuple[str, psutil.Process]]:
    """`app_path` under uvicorn on `database_url`: its base URL and its process."""
    # On a busy machine a client can sit longer than uvicorn's 5 s default between two
    # requests; the server would then drop the keep-alive connection mid-send.
    args = ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    args += ["--timeout-keep-alive", "60"]
    env = {"DATABASE_URL": database_url}
    with local_server(env, uvicorn_args=args, app_path=app_path, cpus=cpus) as (base, proc):
        yield base, psutil.Process(proc.pid)
