"""Website checks connect only to public addresses: a partner-supplied URL must not make the
checker probe the service's own network (loopback, private ranges, cloud metadata)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from app.config import Settings
from app.verification.checks import Finding, WebsiteChecker
from app.verification.public_address import REFUSAL, is_public
from app.verification.transport import HostMapResolver
from tests.verification.web_server import LOOPBACK, RunningServer


class Listener:
    """A listening socket that is never accepted from: any connection attempt would sit in
    its backlog, so `contacted()` tells whether anything tried to reach it."""

    def __init__(self, host: str) -> None:
        self.socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.socket.bind((host, 0))
        self.socket.listen(8)
        self.socket.setblocking(False)
        self.port: int = self.socket.getsockname()[1]

    def contacted(self) -> bool:
        try:
            connection, _ = self.socket.accept()
        except BlockingIOError:
            return False
        connection.close()
        return True


@contextmanager
def listener(host: str = "127.0.0.1") -> Iterator[Listener]:
    opened = Listener(host)
    try:
        yield opened
    finally:
        opened.socket.close()


def check(url: str, settings: Settings, **options: Any) -> Finding:
    async def run() -> Finding:
        async with WebsiteChecker.from_settings(settings, **options) as checker:
            return await checker.check(url, office_id=1)

    return asyncio.run(run())


def assert_refused(finding: Finding) -> None:
    # A redirect may also have been flagged for leaving the domain; the refusal ends it.
    assert finding.flags[-1:] == ["not_public_address"], (finding.flags, finding.error)
    assert finding.error == REFUSAL and not finding.ok


def test_default_settings_refuse_a_local_listener_without_contacting_it() -> None:
    settings = Settings()
    assert settings.web_check_allowed_networks == []
    with listener() as local:
        finding = check(f"http://127.0.0.1:{local.port}/a", settings)
        assert_refused(finding)
        assert finding.status_code is None and finding.details["hops"] == []
        assert not local.contacted()


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "169.254.169.254",
        "[::1]",
        "0x7f000001",
        "2130706433",
        "127.1",
        "10.0.0.1",
        "192.168.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "[::ffff:127.0.0.1]",
        "[2002:7f00:1::1]",
        "[64:ff9b::a00:1]",
        "[fe80::1]",
        "[fc00::1]",
        "224.0.0.1",
    ],
)
def test_internal_addresses_in_any_spelling_are_refused(host: str) -> None:
    assert_refused(check(f"http://{host}/", Settings(), resolver=None))


def test_a_public_looking_name_that_resolves_to_loopback_is_refused() -> None:
    with listener() as local:
        resolver = HostMapResolver({"*": ("127.0.0.1", local.port)})
        for url in ("http://metadata.google.internal/", "http://www.example.org/"):
            assert_refused(check(url, Settings(), resolver=resolver))
        assert not local.contacted()


def test_a_name_resolving_to_public_and_internal_addresses_connects_to_neither_internal() -> None:
    """The checker connects only to addresses it judged: the internal one is dropped from
    the answer the connector uses (no window between judging and connecting)."""
    with listener() as local:

        class Rebinding(HostMapResolver):
            async def resolve(self, host: str, port: int = 0, family: Any = 0) -> Any:
                public = await super().resolve(host, port, family)
                internal = [{**public[0], "host": "127.0.0.1", "port": local.port}]
                return internal + public

        # 192.0.2.0/24 is documentation space (not public): allowed here only as the
        # "public" half, so that connecting to it would fail fast and visibly.
        settings = Settings(web_check_allowed_networks=["192.0.2.0/24"])
        resolver = Rebinding({"*": ("192.0.2.1", 9)})
        finding = check("http://rebind.example.org/", settings, resolver=resolver)
        assert finding.flags in (["connection_error"], ["timeout"]), finding.flags
        assert not local.contacted()


def test_a_widened_setting_allows_the_local_server(web_server: RunningServer) -> None:
    settings = Settings(web_check_allowed_networks=[str(n) for n in LOOPBACK])
    finding = check(f"http://127.0.0.1:{web_server.port}/ok", settings)
    assert finding.ok and finding.status_code == 200, (finding.flags, finding.error)


def test_a_redirect_to_a_disallowed_address_is_refused_at_the_hop(
    web_server: RunningServer,
) -> None:
    settings = Settings(web_check_allowed_networks=["127.0.0.1/32"])
    with listener("127.0.0.2") as other:
        by_address = check(
            f"http://127.0.0.1:{web_server.port}/redirect-to/127.0.0.2:{other.port}/x", settings
        )
        resolver = HostMapResolver(
            {
                "start.example.test": ("127.0.0.1", web_server.port),
                "inside.example.test": ("127.0.0.2", other.port),
            }
        )
        by_name = check(
            "http://start.example.test/redirect-to/inside.example.test/x",
            settings,
            resolver=resolver,
        )
        for finding in (by_address, by_name):
            assert_refused(finding)
            assert [hop["status"] for hop in finding.details["hops"]] == [302]
        assert not other.contacted()


def test_connection_errors_do_not_store_the_host_or_port() -> None:
    settings = Settings(web_check_allowed_networks=[str(n) for n in LOOPBACK])
    with listener() as closed:
        port = closed.port
    resolver = HostMapResolver({"*": ("127.0.0.1", port)})
    finding = check("http://down.example.test/", settings, resolver=resolver)
    assert finding.flags == ["connection_error"]
    assert finding.error == "ClientConnectorError: Connection refused"
    assert "127.0.0.1" not in (finding.error or "") and str(port) not in (finding.error or "")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("2002:5db8:d822::1", True),  # 6to4 around a public IPv4 address
        ("8.8.8.8", True),
        ("172.16.0.1", False),
        ("::", False),
        ("ff02::1", False),
        ("fec0::1", False),
        ("2001:db8::1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("::ffff:10.0.0.1", False),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", False),  # Teredo, client 127.0.0.1
    ],
)
def test_address_classification(address: str, public: bool) -> None:
    assert is_public(ip_address(address)) is public


def test_the_setting_takes_networks_and_rejects_anything_else() -> None:
    assert Settings(web_check_allowed_networks=["10.20.0.0/16"]).web_check_allowed_networks == [
        ip_network("10.20.0.0/16")
    ]
    with pytest.raises(ValueError, match="web_check_allowed_networks"):
        Settings(web_check_allowed_networks=["not-a-network"])
