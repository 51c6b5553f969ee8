"""Which addresses a website check may connect to: public ones, unless a setting widens it.

Websites in the directory come from partners, so the checker must not become a way into the
service's own network (SSRF, a port scanner through the check results). Every address is judged
where it is used: names through `PublicAddressResolver`, whose answer is the only list the
connector connects to (so the address judged is the address connected to, and a name cannot
pass as public and then rebind to an internal address), and IP literals, which aiohttp does not
resolve, by `refuse_literal` before each request, redirects included.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

REFUSAL = "not a public address"
_NAT64 = ip_network("64:ff9b::/96")


class NotPublicAddress(OSError):
    """The host is (or resolves only to) addresses the checker may not connect to."""

    def __init__(self) -> None:
        super().__init__(REFUSAL)


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not loopback, private, link-local, multicast, reserved,
    unspecified or shared, nor an IPv6 address wrapping such an IPv4 address."""
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public(embedded):
            return False
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_unspecified
        or address.is_private
    )


class AddressPolicy:
    """Public addresses, plus the networks a setting allows (tests, a private deployment)."""

    def __init__(self, allowed: Iterable[Network] = ()) -> None:
        self.allowed = tuple(allowed)

    def permits(self, host: str) -> bool:
        try:
            address = ip_address(host)
        except ValueError:
            return False
        return is_public(address) or any(
            address.version == network.version and address in network for network in self.allowed
        )

    def refuse_literal(self, host: str) -> None:
        """Raise NotPublicAddress if `host` is an IP literal the policy does not permit,
        legacy IPv4 forms included ('2130706433', '0x7f000001', '127.1')."""
        try:
            address = str(ip_address(host))
        except ValueError:
            try:
                address = socket.inet_ntoa(socket.inet_aton(host))
            except OSError:
                return  # a name: the resolver judges what it resolves to
        if not self.permits(address):
            raise NotPublicAddress


class PublicAddressResolver(AbstractResolver):
    """Resolves through `inner` (the system resolver by default) and keeps only the
    addresses the policy permits; none left is NotPublicAddress."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._owns_inner = inner is None
        self._inner = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        answers = await self._inner.resolve(host, port, family)
        permitted = [answer for answer in answers if self._policy.permits(answer["host"])]
        if not permitted:
            raise NotPublicAddress
        return permitted

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()


def was_refused(exc: BaseException) -> bool:
    """Did the policy refuse the address (directly, or under aiohttp's connection error)?"""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NotPublicAddress):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
