"""Static host resolution for website checks (like `curl --resolve`).

Maps hostnames (exactly, or `*.suffix`, or `*`) to an address and port while the request keeps
its original Host header and URL, so redirects and registrable-domain checks see the real
names. Used where DNS cannot be trusted or reached (split-horizon networks, tests, benchmarks).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx


class HostMapTransport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        mapping: Mapping[str, tuple[str, int]],
        *,
        inner: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self._mapping = {k.lower(): v for k, v in mapping.items()}
        self._inner = inner or httpx.AsyncHTTPTransport(
            limits=limits or httpx.Limits(max_connections=100), retries=0
        )

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

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = self.resolve(request.url.host)
        if target is not None:
            # The Host header was set from the original URL when the request was built.
            request.url = request.url.copy_with(host=target[0], port=target[1])
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
