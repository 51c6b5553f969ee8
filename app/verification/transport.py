"""Transports for website checks.

`PerHostTransport` keeps one small connection pool per host. httpcore scans every pooled
connection on each request, so one pool shared by a hundred connections makes every request
pay for all of them; small per-host pools keep a sweep's cost linear. A host's pool is closed
when the checker is done with that host, so sockets do not pile up over a long sweep.

`HostMapTransport` adds static host resolution (like `curl --resolve`): hostnames (exactly,
`*.suffix`, or `*`) go to a fixed address and port while the request keeps its original Host
header and URL, so redirects and registrable-domain checks see the real names. For networks
where DNS cannot be trusted or reached, tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx


class PerHostTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        self._limits = limits or httpx.Limits(max_connections=10, max_keepalive_connections=10)
        self._pools: dict[str, httpx.AsyncHTTPTransport] = {}
        # One TLS context for every pool: building one loads the CA bundle (slow, ~1 MB).
        self._ssl = httpx.create_ssl_context()

    def resolve(self, host: str) -> tuple[str, int] | None:
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        pool = self._pools.get(host)
        if pool is None:
            pool = self._pools[host] = httpx.AsyncHTTPTransport(
                limits=self._limits, retries=0, verify=self._ssl
            )
        target = self.resolve(host)
        if target is not None:
            # The Host header was set from the original URL when the request was built.
            request.url = request.url.copy_with(host=target[0], port=target[1])
        return await pool.handle_async_request(request)

    async def release(self, host: str) -> None:
        """Close the host's pool (the checker has no more requests for it)."""
        pool = self._pools.pop(host, None)
        if pool is not None:
            await pool.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


class HostMapTransport(PerHostTransport):
    def __init__(
        self, mapping: Mapping[str, tuple[str, int]], *, limits: httpx.Limits | None = None
    ) -> None:
        super().__init__(limits=limits)
        self._mapping = {k.lower(): v for k, v in mapping.items()}

    def resolve(self, host: str) -> tuple[str, int] | None:
        host = host.lower()
        if host in self._mapping:
            return self._mapping[host]
        parts = host.split(".")
        for i in range(1, len(parts)):
            target = self._mapping.get("*." + ".".join(parts[i:]))
            if target:
                return target
        return self._mapping.get("*")
