"""A real HTTP server on 127.0.0.1 for website checks (uvicorn in a thread, raw ASGI).

It answers for any Host; hostnames like a.example.test reach it through HostMapResolver.
It counts concurrent requests per Host header, so tests can see the per-host limit hold, and
the client connections each group of hosts used.
"""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from collections import Counter
from typing import Any

import uvicorn

from app.verification.public_address import Network

# Website checks connect only to public addresses unless told otherwise: tests that check
# this local server widen the allowed networks to loopback explicitly.
LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"),)

# The fixed redirects: path → (Location, status).
REDIRECTS: dict[str, tuple[str, int]] = {
    "/redirect-same": ("http://www.example.test/ok", 301),
    "/redirect-relative": ("/ok", 302),
    "/redirect-other": ("http://parked.other-domain.test/ok", 302),
    "/redirect-co-uk-same": ("http://shop.example.co.uk/ok", 302),
    "/redirect-co-uk-other": ("http://evil.co.uk/ok", 302),
    "/loop-a": ("/loop-b", 302),
    "/loop-b": ("/loop-a", 302),
    "/redirect-ftp": ("ftp://files.example.test/", 302),
}


class TestSite:
    def __init__(self) -> None:
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        # Per group of hosts (the last two labels), so slow requests of one test (still
        # sleeping on the server after the client gave up) do not count in another's.
        self.group_in_flight: Counter[str] = Counter()
        self.max_group_in_flight: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.started: dict[str, list[float]] = {}  # per Host: when each request arrived
        self.connections: dict[str, set[tuple[str, int]]] = {}

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode().split(":")[0]
        path = scope["path"]
        self.requests.append((host, path))
        self.started.setdefault(host, []).append(time.monotonic())
        self.in_flight[host] += 1
        group = ".".join(host.split(".")[-2:])
        self.group_in_flight[group] += 1
        self.max_in_flight[host] = max(self.max_in_flight[host], self.in_flight[host])
        self.max_group_in_flight[group] = max(
            self.max_group_in_flight[group], self.group_in_flight[group]
        )
        self.connections.setdefault(group, set()).add(tuple(scope["client"]))
        try:
            status, extra, body = await self.route(path)
        finally:
            self.in_flight[host] -= 1
            self.group_in_flight[group] -= 1
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), *extra],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def route(self, path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        def redirect(to: str, code: int = 302) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            return code, [(b"location", to.encode())], b""

        match path:
            case "/ok":
                return 200, [], b"hello"
            case "/missing":
                return 404, [], b"not here"
            case "/error":
                return 500, [], b"broken"
            case "/slow":
                await asyncio.sleep(1.5)
                return 200, [], b"late"
            case "/busy":
                await asyncio.sleep(0.1)
                return 200, [], b"ok"
            case "/redirect-nowhere":
                return 302, [], b""
        if path in REDIRECTS:
            return redirect(*REDIRECTS[path])
        if path.startswith("/redirect-to/"):  # /redirect-to/127.0.0.2:8080/x
            return redirect("http://" + path.removeprefix("/redirect-to/"))
        if path.startswith("/chain/"):
            n = int(path.rsplit("/", 1)[1])
            return redirect(f"/chain/{n - 1}") if n > 0 else (200, [], b"end")
        return 404, [], b"unknown"


class RunningServer:
    """`site` (a TestSite unless another ASGI app is given) under uvicorn in a thread."""

    def __init__(self, site: Any = None) -> None:
        self.site = site if site is not None else TestSite()
        config = uvicorn.Config(
            self.site, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> RunningServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test web server did not start")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def open_connections(self) -> int:
        """Client connections the server holds open right now."""
        return len(self.server.server_state.connections)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
