"""Name resolution for website checks.

`HostMapResolver` is static host resolution (like `curl --resolve`): hostnames (exactly,
`*.suffix`, or `*`) go to a fixed address and port, while the request keeps its real URL and
Host header, so redirects and registrable-domain checks see the real names. Names it does not
map go to the usual resolver. For networks where DNS cannot be trusted or reached, tests and
benchmarks.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver


class HostMapResolver(AbstractResolver):
    def __init__(
        self,
        mapping: Mapping[str, tuple[str, int]],
        *,
        fallback: AbstractResolver | None = None,
    ) -> None:
        self._mapping = {k.lower(): v for k, v in mapping.items()}
        self._fallback = fallback

    def lookup(self, host: str) -> tuple[str, int] | None:
        """The (address, port) a hostname is pinned to, or None."""
        host = host.lower().rstrip(".")
        if host in self._mapping:
            return self._mapping[host]
        parts = host.split(".")
        for i in range(1, len(parts)):
            target = self._mapping.get("*." + ".".join(parts[i:]))
            if target:
                return target
        return self._mapping.get("*")

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target = self.lookup(host)
        if target is None:
            if self._fallback is None:
                self._fallback = DefaultResolver()
            return await self._fallback.resolve(host, port, family)
        address, mapped_port = target
        return [
            {
                "hostname": host,
                "host": address,
                "port": mapped_port,
                "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        if self._fallback is not None:
            await self._fallback.close()
