"""Every write answers an oversized body with a complete 413 JSON response, whatever the
client: urllib (writes the whole body before reading), httpx, curl (Expect: 100-continue),
a chunked body, and a client that writes slowly and asks to close the connection."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from app.main import API_ROUTERS
from app.web import WEB_ROUTERS
from tests.faults.live import live_app

TWO_MB = b"x" * (2 * 1024 * 1024)
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _write_paths() -> list[tuple[str, str]]:
    """(method, path) of every write route of the API and the pages, path parameters
    filled with 1."""
    out = []
    for router in (*API_ROUTERS, *WEB_ROUTERS):
        # A router that includes others (app.web.reviewer) holds them unflattened.
        for context in iter_route_contexts(router.routes):
            route = context.original_route
            if not isinstance(route, APIRoute) or context.path is None:
                continue
            for method in sorted(set(context.methods or ()) & WRITE_METHODS):
                path = context.path
                for name in route.param_convertors:
                    path = path.replace("{" + name + "}", "1")
                out.append((method, path))
    return out


WRITES = _write_paths()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with live_app() as url:
        yield url


def _is_413_json(status: int, body: bytes) -> None:
    assert status == 413, body[:200]
    assert json.loads(body)["detail"][0]["field"] == "body"


def test_there_are_write_routes_to_check() -> None:
    assert len(WRITES) > 30
    assert ("POST", "/api/v1/contacts/1/close") in WRITES


def test_every_write_answers_2mb_with_413_json_to_urllib(base: str) -> None:
    for method, path in WRITES:
        request = urllib.request.Request(
            base + path, data=TWO_MB, method=method, headers={"Content-Type": "application/json"}
        )
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(request, timeout=30)
        _is_413_json(answer.value.code, answer.value.read())


def test_every_write_answers_2mb_with_413_json_to_httpx(base: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        for method, path in WRITES:
            # One connection for all: after each 413 it is still usable.
            response = client.request(method, path, content=TWO_MB)
            _is_413_json(response.status_code, response.content)
        chunked = client.post("/api/v1/contacts", content=iter([TWO_MB[:65536]] * 32))
        _is_413_json(chunked.status_code, chunked.content)
        assert client.get("/health").status_code == 200


def test_every_write_answers_2mb_with_413_json_to_curl(base: str, tmp_path) -> None:
    body = tmp_path / "body.json"
    body.write_bytes(TWO_MB)
    for method, path in WRITES:
        done = subprocess.run(
            [
                "curl",
                "-sS",
                "-X",
                method,
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                f"@{body}",
                "-w",
                "\n%{http_code}",
                base + path,
            ],
            capture_output=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        text, _, status = done.stdout.rpartition(b"\n")
        _is_413_json(int(status), text)


def _slow_post(base: str, path: str, size: int, *, chunk: int = 256 * 1024) -> bytes:
    """POST `size` bytes in slow chunks with `Connection: close`, as a browser on a slow
    line would; return everything the server answered."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n".encode()
        )
        sent = 0
        while sent < size:
            part = min(chunk, size - sent)
            sock.sendall(b"x" * part)  # a reset here is the bug: the client never sees a 413
            sent += part
            time.sleep(0.02)
        answer = b""
        while data := sock.recv(65536):
            answer += data
    return answer


def test_a_slow_client_that_closes_still_reads_the_413(base: str) -> None:
    answer = _slow_post(base, "/api/v1/contacts/1/close", len(TWO_MB))
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    _is_413_json(413, body)


def test_a_large_body_to_urllib_still_reads_the_413(base: str) -> None:
    request = urllib.request.Request(
        base + "/api/v1/contacts/1/close", data=b"x" * (30 * 1024 * 1024), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=60)
    _is_413_json(answer.value.code, answer.value.read())
