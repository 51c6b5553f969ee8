"""An error is answered once and the client's keep-alive connection stays usable: a database
fault is a 503 with Retry-After, any other error a 500 JSON answer, and the next request on
the same connection is served (uvicorn in a thread, a raw socket as the client)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from sqlalchemy.exc import IntegrityError, OperationalError

from app.main import create_app
from bench.local_server import free_port

FAULTS: dict[str, Exception] = {
    "bug": RuntimeError("a bug"),
    "constraint": IntegrityError("INSERT ...", {}, Exception("UNIQUE constraint failed")),
    "database_down": OperationalError("SELECT 1", {}, Exception("connection refused")),
}


@pytest.fixture(scope="module")
def address() -> Iterator[tuple[str, int]]:
    app = create_app()

    @app.get("/api/v1/fault/{kind}")
    def fault(kind: str) -> None:
        raise FAULTS[kind]

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)


def _exchange(sock: socket.socket, path: str) -> tuple[int, dict[str, str], bytes]:
    """One keep-alive request on `sock` and its complete response."""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: test\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the answer to {path}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed in the middle of the answer to {path}"
        body += chunk
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        ("bug", 500, "internal_error"),
        ("constraint", 500, "internal_error"),
        ("database_down", 503, "database_unavailable"),
    ],
)
def test_an_error_is_answered_once_and_the_connection_serves_the_next_request(
    address: tuple[str, int], kind: str, status: int, error: str
) -> None:
    with socket.create_connection(address, timeout=10) as sock:
        code, headers, body = _exchange(sock, f"/api/v1/fault/{kind}")
        assert (code, json.loads(body)["error"]) == (status, error)
        if status == 503:
            assert int(headers["retry-after"]) >= 1
        assert headers.get("connection") != "close"
        code, _, body = _exchange(sock, "/health")
        assert (code, json.loads(body)) == (200, {"status": "ok"})
