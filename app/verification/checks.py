"""Automated checks: phone numbers, websites and email addresses.

A check never counts as verification (a live website proves nothing about a phone line):
results are kept as history, and failures only annotate the office's open task and raise its
priority.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import ssl
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import aiohttp
import phonenumbers
from aiohttp.abc import AbstractResolver
from email_validator import EmailNotValidError, validate_email
from publicsuffixlist import PublicSuffixList
from yarl import URL

from app.config import Settings
from app.directory.phone_numbers import number_type
from app.verification.models import CheckKind
from app.verification.public_address import (
    REFUSAL,
    AddressPolicy,
    Network,
    PublicAddressResolver,
    was_refused,
)

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
MAX_BODY_BYTES = 64 * 1024
USER_AGENT = "Homeward-freshness-check/1.0 (directory of help; checks reachability only)"
_CLOSE = {"Connection": "close"}


@dataclass
class Finding:
    """One check's result, before it is stored."""

    kind: CheckKind
    office_id: int
    target: str
    ok: bool
    flags: list[str] = field(default_factory=list)
    phone_id: int | None = None
    status_code: int | None = None
    final_url: str | None = None
    elapsed_ms: int | None = None
    error: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


# ---- phone ------------------------------------------------------------------------------


def check_phone(
    number: str, country: str, *, office_id: int, phone_id: int | None, shared_with: Sequence[int]
) -> Finding:
    """Is the stored number still valid in the office's country under the current
    phonenumbers metadata, what type is it, and do unrelated offices share it?"""
    flags: list[str] = []
    details: dict[str, Any] = {"metadata_version": phonenumbers.__version__}
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException as exc:
        return Finding(
            CheckKind.PHONE,
            office_id,
            number,
            False,
            ["unparseable"],
            phone_id,
            error=str(exc),
            details=details,
        )
    if not phonenumbers.is_valid_number(parsed):
        flags.append("invalid_number")
    elif not phonenumbers.is_valid_number_for_region(parsed, country):
        flags.append("not_in_country")
    details["number_type"] = number_type(number) if not flags else "unknown"
    if details["number_type"] == "premium_rate":
        flags.append("premium_rate")
    if shared_with:
        flags.append("shared_with_unrelated_office")
        details["shared_with_offices"] = sorted(shared_with)
    return Finding(CheckKind.PHONE, office_id, number, not flags, flags, phone_id, details=details)


# ---- email ------------------------------------------------------------------------------


def check_email(address: str, *, office_id: int) -> Finding:
    """Syntax only (no DNS): a typo is worth a call, a live mailbox is not proven here."""
    try:
        result = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        return Finding(
            CheckKind.EMAIL, office_id, address, False, ["invalid_syntax"], error=str(exc)
        )
    return Finding(
        CheckKind.EMAIL, office_id, address, True, details={"normalized": result.normalized}
    )


# ---- website ----------------------------------------------------------------------------


@cache
def _psl() -> PublicSuffixList:
    return PublicSuffixList()  # ships the Public Suffix List: no network


@lru_cache(maxsize=8192)
def registrable_domain(host: str) -> str:
    """eTLD+1 from the Public Suffix List ('www.example.co.uk' -> 'example.co.uk');
    an IP address or a bare suffix is its own domain."""
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    return _psl().privatesuffix(host) or host


def _is_tls_error(exc: BaseException) -> bool:
    """A failed handshake or certificate (aiohttp's SSL errors, or an SSLError under a
    connection error)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError | ssl.CertificateError | aiohttp.ClientSSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_HOSTNAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")


def _http_url(url: str | URL) -> URL:
    """The URL to check; ValueError unless it is an absolute http(s) URL whose host is a
    hostname (IDNA-encoded) or an IP address."""
    parsed = url if isinstance(url, URL) else URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.raw_host:
        raise ValueError(f"not an http(s) URL: {url}")
    if not _HOSTNAME.fullmatch(parsed.raw_host):
        try:
            ipaddress.ip_address(parsed.raw_host)
        except ValueError:
            raise ValueError(f"not a host name: {parsed.raw_host!r}") from None
    return parsed


def _failure_text(exc: BaseException) -> str:
    """What went wrong, without the host, address or port it went wrong with: stored check
    results are readable by staff and must not map the network they were tried from."""
    name = type(exc).__name__
    if _is_tls_error(exc):
        return f"{name}: TLS handshake or certificate failed"
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"{name}: the name did not resolve"
    os_error = exc.os_error if isinstance(exc, aiohttp.ClientConnectorError) else exc
    if isinstance(os_error, OSError) and os_error.errno:
        return f"{name}: {os.strerror(os_error.errno)}"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return f"{name}: the server closed the connection"
    return f"{name}: the request failed"


def _invalid_url(url: str, office_id: int, exc: Exception) -> Finding:
    return Finding(CheckKind.WEBSITE, office_id, url, False, ["invalid_url"], error=str(exc))


class _HostSlot:
    def __init__(self, limit: int) -> None:
        self.semaphore = asyncio.Semaphore(limit)
        self.lock = asyncio.Lock()
        self.next_start = 0.0
        # Requests for this host that are running or waiting (also those queued in
        # check_many), and those of them in an exchange right now.
        self.users = 0
        self.active = 0


class WebsiteChecker:
    """GETs websites with a global concurrency limit, a per-host limit and politeness delay,
    a timeout, and redirects followed by hand (each hop is checked, at most `max_redirects`).
    It connects only to public addresses and `allowed_networks` (see public_address); an
    address refused at any hop ends the check as "not_public_address".

    HTTP is aiohttp (its parser is C): a sweep is bound by the client's CPU per request, and
    httpx/httpcore spent over three times as much per check (see bench/verification.py).

    Use as `async with WebsiteChecker(...) as checker: await checker.check_many(urls)`.
    """

    def __init__(
        self,
        *,
        timeout: float,
        concurrency: int,
        per_host: int,
        per_host_delay: float = 0.0,
        max_redirects: int = 5,
        resolver: AbstractResolver | None = None,
        allowed_networks: Iterable[Network] = (),
    ) -> None:
        self.timeout = timeout
        self.concurrency = concurrency
        self.per_host = per_host
        self.per_host_delay = per_host_delay
        self.max_redirects = max_redirects
        self._policy = AddressPolicy(allowed_networks)
        self._resolver = PublicAddressResolver(self._policy, resolver)
        self._global = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, _HostSlot] = {}
        # Politeness clocks of hosts with nothing to check right now, until they run out, so
        # a host's next request (a later batch's) still waits its turn. Roughly oldest first.
        self._cooling: dict[str, float] = {}
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, resolver: AbstractResolver | None = None
    ) -> WebsiteChecker:
        return cls(
            timeout=settings.web_check_timeout_seconds,
            concurrency=settings.web_check_concurrency,
            per_host=settings.web_check_per_host,
            per_host_delay=settings.web_check_per_host_delay_seconds,
            max_redirects=settings.web_check_max_redirects,
            resolver=resolver,
            allowed_networks=settings.web_check_allowed_networks,
        )

    async def __aenter__(self) -> WebsiteChecker:
        connector = aiohttp.TCPConnector(
            # Our own semaphores decide; these only back them up.
            limit=self.concurrency,
            limit_per_host=self.per_host,
            resolver=self._resolver,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": USER_AGENT, "Accept": "*/*"},
            skip_auto_headers=("Accept-Encoding",),  # the body is not judged: no decoding
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=self.timeout),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        await self._resolver.close()

    def _slot(self, host: str) -> _HostSlot:
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = _HostSlot(self.per_host)
            slot.next_start = self._cooling.pop(host, 0.0)
        return slot

    def _done_with(self, host: str, slot: _HostSlot) -> None:
        slot.users -= 1
        if slot.users == 0:
            del self._hosts[host]
            now = asyncio.get_running_loop().time()
            while self._cooling and next(iter(self._cooling.values())) <= now:
                del self._cooling[next(iter(self._cooling))]
            if slot.next_start > now:
                self._cooling[host] = slot.next_start

    async def _get(
        self, url: URL, spent: list[float], *, counted: bool = False
    ) -> tuple[int, str | None]:
        """One GET within the limits: (status, Location). Adds its network time to spent."""
        host = url.host or ""
        slot = self._slot(host)
        if not counted:
            slot.users += 1
        try:
            # Host first, then a global slot: a request queued behind a busy host must not
            # hold one of the global slots while it waits.
            async with slot.semaphore:
                if self.per_host_delay > 0:
                    async with slot.lock:
                        loop = asyncio.get_running_loop()
                        wait = slot.next_start - loop.time()
                        if wait > 0:
                            await asyncio.sleep(wait)
                        slot.next_start = loop.time() + self.per_host_delay
                async with self._global:
                    slot.active += 1
                    # Fewer requests wait for this host than may run at once: none of them
                    # needs this connection afterwards (any running one's will do), so ask
                    # the server to close it, and idle sockets do not pile up over a sweep
                    # of many hosts. aiohttp gives no way to drop a pooled connection later.
                    close = slot.users - slot.active < self.per_host
                    started = time.perf_counter()
                    try:
                        return await self._exchange(url, close=close)
                    finally:
                        spent[0] += time.perf_counter() - started
                        slot.active -= 1
        finally:
            self._done_with(host, slot)

    async def _exchange(self, url: URL, *, close: bool) -> tuple[int, str | None]:
        if self._session is None:
            raise RuntimeError("use WebsiteChecker as an async context manager")
        self._policy.refuse_literal(url.host or "")  # aiohttp resolves names only
        # aiohttp itself retries an idempotent request once when a kept-alive connection
        # turns out to be closed by the server.
        async with self._session.get(
            url, allow_redirects=False, headers=_CLOSE if close else None
        ) as response:
            # Enough of a page to keep the connection reusable; the content is not judged.
            received = 0
            while received < MAX_BODY_BYTES:
                chunk = await response.content.readany()
                if not chunk:
                    break
                received += len(chunk)
            return response.status, response.headers.get("Location")

    async def check(self, url: str, *, office_id: int = 0) -> Finding:
        """Check one URL; never raises for network trouble (it becomes a flag)."""
        try:
            current = _http_url(url)
        except ValueError as exc:
            return _invalid_url(url, office_id, exc)
        return await self._check(url, current, office_id)

    async def _check(
        self, url: str, current: URL, office_id: int, *, counted: bool = False
    ) -> Finding:
        """`counted`: check_many already counts the first request as one of its host's."""
        spent = [0.0]
        hops: list[dict[str, Any]] = []
        flags: list[str] = []
        error: str | None = None
        status: int | None = None
        origin_domain = registrable_domain(current.host or "")
        seen = {str(current)}
        try:
            for hop in range(self.max_redirects + 1):
                status, location = await self._get(current, spent, counted=counted and not hop)
                hops.append({"url": str(current), "status": status})
                if status not in REDIRECT_CODES or not location:
                    break
                try:
                    target = _http_url(current.join(URL(location)))
                except ValueError:
                    flags.append("bad_redirect")
                    break
                other = registrable_domain(target.host or "") != origin_domain
                if other and "redirect_to_other_domain" not in flags:
                    flags.append("redirect_to_other_domain")
                if str(target) in seen:
                    flags.append("redirect_loop")
                    break
                if hop == self.max_redirects:
                    flags.append("too_many_redirects")
                    break
                seen.add(str(target))
                current = target
        except TimeoutError as exc:  # aiohttp's timeouts are TimeoutErrors too
            flags.append("timeout")
            error = f"{type(exc).__name__}: no answer within {self.timeout:g} s"
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            # Whatever a site answers (or fails to), one site never stops a sweep.
            if was_refused(exc):
                flags.append("not_public_address")
                error = REFUSAL
            else:
                flags.append("tls_error" if _is_tls_error(exc) else "connection_error")
                error = _failure_text(exc)
        if status is not None:
            if 400 <= status < 500:
                flags.append("http_4xx")
            elif status >= 500:
                flags.append("http_5xx")
            elif status in REDIRECT_CODES and not flags:
                flags.append("redirect_without_location")
        final_domain = registrable_domain(current.host or "")
        return Finding(
            CheckKind.WEBSITE,
            office_id,
            url,
            ok=not flags,
            flags=flags,
            status_code=status,
            final_url=str(current),
            elapsed_ms=round(spent[0] * 1000),
            error=error,
            details={
                "hops": hops,
                "redirects": max(len(hops) - 1, 0),
                "origin_domain": origin_domain,
                "final_domain": final_domain,
            },
        )

    def stream(self, on_result: Callable[[int, Finding], None]) -> CheckStream:
        """A stream of checks submitted over time: `async with checker.stream(cb) as s:`."""
        return CheckStream(self, on_result)

    async def check_many(
        self,
        targets: Iterable[tuple[int, str]],
        *,
        on_result: Callable[[Finding], None] | None = None,
    ) -> list[Finding]:
        """Check (office_id, url) pairs concurrently, within the limits (see CheckStream);
        the findings come back in the order of the targets."""
        items = list(targets)
        results: list[Finding | None] = [None] * len(items)

        def done(ticket: int, finding: Finding) -> None:
            results[ticket] = finding
            if on_result is not None:
                on_result(finding)

        async with self.stream(done) as stream:
            for office_id, url in items:
                stream.submit(office_id, url)
            await stream.join()
        return results  # type: ignore[return-value]  # every ticket was filled


class CheckStream:
    """Website checks submitted at any time (a sweep's batches, one after another) and run by
    workers that take per-host turns across submissions.

    At most `concurrency` workers, and at most `per_host` checks of one host at a time: each
    host has that many turns, a worker takes a turn, checks the host's next URL and puts the
    turn back in front, so a host is finished (and its connections closed) before more hosts
    are opened. A slow host holds only its own turns: checks submitted later for other hosts
    go on meanwhile. No task waits per URL, so memory and per-check CPU do not grow with the
    number of checks queued.

    `on_result(ticket, finding)` is called for each check, in the order they finish (at once
    for an invalid URL); `submit` returns the ticket, numbered from 0 in submission order.
    """

    def __init__(self, checker: WebsiteChecker, on_result: Callable[[int, Finding], None]) -> None:
        self._checker = checker
        self._on_result = on_result
        self._queues: dict[str, deque[tuple[int, int, str, URL]]] = {}
        self._turns: deque[str] = deque()
        self._turns_of: Counter[str] = Counter()
        # A worker waiting out a host's politeness delay holds no global slot but is busy:
        # with a delay, every turn gets a worker so other hosts go on meanwhile.
        self._max_workers = None if checker.per_host_delay > 0 else checker.concurrency
        self._workers: set[asyncio.Task[None]] = set()
        self._tickets = 0
        self._progress = asyncio.Event()
        self._error: BaseException | None = None
        self.pending = 0  # checks submitted and not finished

    async def __aenter__(self) -> CheckStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def submit(self, office_id: int, url: str) -> int:
        """Queue a check of `url` for `office_id`; never waits."""
        ticket = self._tickets
        self._tickets += 1
        try:
            parsed = _http_url(url)
        except ValueError as exc:
            self._on_result(ticket, _invalid_url(url, office_id, exc))
            return ticket
        host = parsed.host or ""
        self._checker._slot(host).users += 1  # queued requests count as users
        self._queues.setdefault(host, deque()).append((ticket, office_id, url, parsed))
        self.pending += 1
        if self._turns_of[host] < self._checker.per_host:
            self._turns_of[host] += 1
            self._turns.append(host)
            if self._max_workers is None or len(self._workers) < self._max_workers:
                worker = asyncio.get_running_loop().create_task(self._worker())
                self._workers.add(worker)
                worker.add_done_callback(self._workers.discard)
        return ticket

    def _release_turn(self, host: str) -> None:
        self._turns_of[host] -= 1
        if not self._turns_of[host]:
            del self._turns_of[host]
            del self._queues[host]  # empty: a turn is released only when nothing is queued

    async def _worker(self) -> None:
        try:
            # Exits when no turn is left; the next submit starts a worker again.
            while self._turns:
                host = self._turns.popleft()
                queue = self._queues[host]
                if not queue:
                    self._release_turn(host)  # a spare turn: the host's last URLs are running
                    continue
                ticket, office_id, url, parsed = queue.popleft()
                finding = await self._checker._check(url, parsed, office_id, counted=True)
                self.pending -= 1
                if queue:
                    self._turns.appendleft(host)
                else:
                    self._release_turn(host)
                self._on_result(ticket, finding)
                self._progress.set()
        except Exception as exc:  # a bug or a failing callback: wait() raises it
            if self._error is None:
                self._error = exc
            self._progress.set()

    async def wait(self, timeout: float | None = None) -> None:
        """Until at least one check finished since the last call, or `timeout` seconds (at
        once if none is pending); raises what a worker or the callback raised."""
        if self.pending or self._progress.is_set():
            try:
                async with asyncio.timeout(timeout):
                    await self._progress.wait()
            except TimeoutError:
                pass
        self._progress.clear()
        if self._error is not None:
            raise self._error

    async def join(self) -> None:
        """Until every submitted check has finished."""
        while self.pending:
            await self.wait()

    async def aclose(self) -> None:
        """Cancel what is still queued or running (a sweep that stops early)."""
        workers = list(self._workers)
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for host, queue in self._queues.items():
            for _ in queue:
                self._checker._done_with(host, self._checker._slot(host))
        self._queues.clear()
        self._turns.clear()
        self._turns_of.clear()
        self.pending = 0
