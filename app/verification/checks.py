"""Automated checks: phone numbers, websites and email addresses.

A check never counts as verification (a live website proves nothing about a phone line):
results are kept as history, and failures only annotate the office's open task and raise its
priority.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import httpx
import phonenumbers
from email_validator import EmailNotValidError, validate_email
from publicsuffixlist import PublicSuffixList
from sqlalchemy import exists, func, select
from sqlmodel import Session

from app.config import Settings
from app.directory.enums import OfficeStatus
from app.directory.models import Office, Organization, Phone
from app.directory.phone_numbers import number_type
from app.kit.clock import utcnow
from app.verification.models import CheckKind, CheckResult
from app.verification.tasks import annotate_office_task
from app.verification.transport import PerHostTransport

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
# Enough of a page to keep the connection reusable; the content itself is not judged.
MAX_BODY_BYTES = 64 * 1024
USER_AGENT = "Homeward-freshness-check/1.0 (directory of help; checks reachability only)"


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
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        text = str(seen)
        if "SSL" in text or "CERTIFICATE" in text.upper() or "TLS" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _HostSlot:
    def __init__(self, limit: int) -> None:
        self.semaphore = asyncio.Semaphore(limit)
        self.lock = asyncio.Lock()
        self.next_start = 0.0
        self.users = 0


class WebsiteChecker:
    """GETs websites with a global concurrency limit, a per-host limit and politeness delay,
    a timeout, and redirects followed by hand (each hop is checked, at most `max_redirects`).

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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.timeout = timeout
        self.per_host = per_host
        self.per_host_delay = per_host_delay
        self.max_redirects = max_redirects
        self._global = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, _HostSlot] = {}
        self._transport = transport or PerHostTransport(
            limits=httpx.Limits(max_connections=per_host, max_keepalive_connections=per_host)
        )
        self._headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
        self._extensions = {"timeout": httpx.Timeout(timeout).as_dict()}

    @classmethod
    def from_settings(
        cls, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> WebsiteChecker:
        return cls(
            timeout=settings.web_check_timeout_seconds,
            concurrency=settings.web_check_concurrency,
            per_host=settings.web_check_per_host,
            per_host_delay=settings.web_check_per_host_delay_seconds,
            max_redirects=settings.web_check_max_redirects,
            transport=transport,
        )

    async def __aenter__(self) -> WebsiteChecker:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._transport.aclose()

    async def _get(self, url: httpx.URL) -> tuple[int, str | None]:
        host = url.host
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = _HostSlot(self.per_host)
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
                    try:
                        return await self._exchange(url)
                    except httpx.RemoteProtocolError:
                        # A kept-alive connection the server closed while it sat idle: GET is
                        # idempotent, so ask once more on a fresh connection.
                        return await self._exchange(url)
        finally:
            slot.users -= 1
            if slot.users == 0:
                # Done with this host: free its connections (and its politeness clock).
                del self._hosts[host]
                if isinstance(self._transport, PerHostTransport):
                    await self._transport.release(host)

    async def _exchange(self, url: httpx.URL) -> tuple[int, str | None]:
        # Straight to the transport: a sweep needs no cookies, auth or hooks, and the Client
        # layer costs more CPU per request than the HTTP exchange itself.
        request = httpx.Request("GET", url, headers=self._headers, extensions=self._extensions)
        response = await self._transport.handle_async_request(request)
        try:
            received = 0
            async for chunk in response.aiter_raw():
                received += len(chunk)
                if received >= MAX_BODY_BYTES:
                    break
            return response.status_code, response.headers.get("location")
        finally:
            await response.aclose()

    async def check(self, url: str, *, office_id: int = 0) -> Finding:
        """Check one URL; never raises for network trouble (it becomes a flag)."""
        started = time.perf_counter()
        hops: list[dict[str, Any]] = []
        flags: list[str] = []
        error: str | None = None
        status: int | None = None
        try:
            current = httpx.URL(url)
            if current.scheme not in ("http", "https") or not current.host:
                raise httpx.UnsupportedProtocol(f"not an http(s) URL: {url}")
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            return Finding(
                CheckKind.WEBSITE, office_id, url, False, ["invalid_url"], error=str(exc)
            )
        origin_domain = registrable_domain(current.host)
        seen = {str(current)}
        try:
            for hop in range(self.max_redirects + 1):
                status, location = await self._get(current)
                hops.append({"url": str(current), "status": status})
                if status not in REDIRECT_CODES or not location:
                    break
                target = current.join(location)
                if target.scheme not in ("http", "https"):
                    flags.append("bad_redirect")
                    break
                other = registrable_domain(target.host) != origin_domain
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
        except httpx.TimeoutException as exc:
            flags.append("timeout")
            error = f"{type(exc).__name__}: no answer within {self.timeout:g} s"
        except httpx.HTTPError as exc:
            flags.append("tls_error" if _is_tls_error(exc) else "connection_error")
            error = f"{type(exc).__name__}: {exc}"[:1000]
        if status is not None:
            if 400 <= status < 500:
                flags.append("http_4xx")
            elif status >= 500:
                flags.append("http_5xx")
            elif status in REDIRECT_CODES and not flags:
                flags.append("redirect_without_location")
        final_domain = registrable_domain(current.host)
        return Finding(
            CheckKind.WEBSITE,
            office_id,
            url,
            ok=not flags,
            flags=flags,
            status_code=status,
            final_url=str(current),
            elapsed_ms=round((time.perf_counter() - started) * 1000),
            error=error,
            details={
                "hops": hops,
                "redirects": max(len(hops) - 1, 0),
                "origin_domain": origin_domain,
                "final_domain": final_domain,
            },
        )

    async def check_many(
        self,
        targets: Iterable[tuple[int, str]],
        *,
        on_result: Callable[[Finding], None] | None = None,
    ) -> list[Finding]:
        """Check (office_id, url) pairs concurrently, within the limits."""

        async def one(office_id: int, url: str) -> Finding:
            finding = await self.check(url, office_id=office_id)
            if on_result is not None:
                on_result(finding)
            return finding

        return list(await asyncio.gather(*(one(o, u) for o, u in targets)))


# ---- the sweep --------------------------------------------------------------------------

ALL_KINDS = (CheckKind.PHONE, CheckKind.WEBSITE, CheckKind.EMAIL)


@dataclass
class OfficeTargets:
    office_id: int
    organization_id: int
    country: str
    phones: list[tuple[int, str]]
    emails: list[str]
    website: str | None


@dataclass
class CheckSummary:
    offices: int = 0
    results: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    annotated_tasks: int = 0
    stored: int = 0

    def add(self, finding: Finding) -> None:
        self.results[finding.kind.value] += 1
        if not finding.ok:
            self.failures[finding.kind.value] += 1
        for flag in finding.flags:
            self.flags[f"{finding.kind.value}:{flag}"] += 1


def _selection(
    *, country: str | None, office_ids: Sequence[int] | None, older_than: Any
) -> list[Any]:
    conds: list[Any] = [
        Office.status != OfficeStatus.CLOSED.value,
        Organization.status == "active",
    ]
    if country:
        conds.append(Office.country == country.upper())
    if office_ids is not None:
        conds.append(Office.id.in_(list(office_ids)))
    if older_than is not None:
        conds.append(
            ~exists().where(
                CheckResult.office_id == Office.id, CheckResult.checked_at >= older_than
            )
        )
    return conds


def count_targets(
    session: Session,
    *,
    country: str | None = None,
    office_ids: Sequence[int] | None = None,
    older_than: Any = None,
) -> int:
    return int(
        session.execute(
            select(func.count(Office.id))
            .join(Organization, Organization.id == Office.organization_id)
            .where(*_selection(country=country, office_ids=office_ids, older_than=older_than))
        ).scalar_one()
    )


def load_targets(
    session: Session,
    *,
    after_id: int,
    limit: int,
    country: str | None = None,
    office_ids: Sequence[int] | None = None,
    older_than: Any = None,
) -> list[OfficeTargets]:
    """The next batch of offices to check (by id), with their phones, emails and website."""
    rows = session.execute(
        select(
            Office.id,
            Office.organization_id,
            Office.country,
            Office.email,
            Office.website,
            Organization.email,
            Organization.website,
        )
        .join(Organization, Organization.id == Office.organization_id)
        .where(
            Office.id > after_id,
            *_selection(country=country, office_ids=office_ids, older_than=older_than),
        )
        .order_by(Office.id)
        .limit(limit)
    ).all()
    phones: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if rows:
        for phone_id, office_id, number in session.execute(
            select(Phone.id, Phone.office_id, Phone.number)
            .where(Phone.office_id.in_([r[0] for r in rows]), Phone.status == "active")
            .order_by(Phone.id)
        ):
            phones[office_id].append((phone_id, number))
    return [
        OfficeTargets(
            office_id=oid,
            organization_id=org_id,
            country=country_code,
            phones=phones.get(oid, []),
            emails=list(dict.fromkeys(e for e in (office_email, org_email) if e)),
            website=office_site or org_site,
        )
        for oid, org_id, country_code, office_email, office_site, org_email, org_site in rows
    ]


def shared_numbers(session: Session, numbers: Iterable[str]) -> dict[str, list[tuple[int, int]]]:
    """For each number, the (office id, organisation id) of every open office listing it."""
    numbers = list(set(numbers))
    out: dict[str, list[tuple[int, int]]] = defaultdict(list)
    if not numbers:
        return out
    for number, office_id, org_id in session.execute(
        select(Phone.number, Office.id, Office.organization_id)
        .join(Office, Office.id == Phone.office_id)
        .where(
            Phone.number.in_(numbers),
            Phone.status == "active",
            Office.status != OfficeStatus.CLOSED.value,
        )
    ):
        out[number].append((office_id, org_id))
    return out


def offline_findings(
    targets: Sequence[OfficeTargets],
    kinds: Sequence[CheckKind],
    shared: dict[str, list[tuple[int, int]]],
) -> list[Finding]:
    """Phone and email findings (no network needed)."""
    findings: list[Finding] = []
    for t in targets:
        if CheckKind.PHONE in kinds:
            for phone_id, number in t.phones:
                unrelated = [o for o, org in shared.get(number, []) if org != t.organization_id]
                findings.append(
                    check_phone(
                        number,
                        t.country,
                        office_id=t.office_id,
                        phone_id=phone_id,
                        shared_with=unrelated,
                    )
                )
        if CheckKind.EMAIL in kinds:
            findings.extend(check_email(e, office_id=t.office_id) for e in t.emails)
    return findings


def store_findings(session: Session, findings: Sequence[Finding]) -> tuple[int, int]:
    """Write findings as check history and annotate open tasks of failures.

    Returns (rows stored, tasks annotated). Storing never touches the office's verification.
    """
    now = utcnow()
    annotated = set()
    for f in findings:
        session.add(
            CheckResult(
                office_id=f.office_id,
                phone_id=f.phone_id,
                kind=f.kind.value,
                target=f.target[:500],
                checked_at=now,
                ok=f.ok,
                flags=f.flags,
                status_code=f.status_code,
                final_url=(f.final_url or None) and f.final_url[:2000],
                elapsed_ms=f.elapsed_ms,
                error=f.error and f.error[:1000],
                details=f.details,
            )
        )
        if not f.ok:
            task = annotate_office_task(
                session,
                office_id=f.office_id,
                annotation={
                    "at": now.isoformat(),
                    "source": "automated_check",
                    "kind": f.kind.value,
                    "target": f.target,
                    "flags": f.flags,
                    "status_code": f.status_code,
                    "final_url": f.final_url,
                },
            )
            if task is not None:
                annotated.add(task.id)
    session.flush()
    return len(findings), len(annotated)


def check_history(
    session: Session, *, office_id: int, kind: str | None = None, limit: int = 100
) -> Sequence[CheckResult]:
    """An office's check results, newest first."""
    stmt = select(CheckResult).where(CheckResult.office_id == office_id)
    if kind:
        stmt = stmt.where(CheckResult.kind == kind)
    stmt = stmt.order_by(CheckResult.checked_at.desc(), CheckResult.id.desc()).limit(limit)
    return session.execute(stmt).scalars().all()
