"""Automated checks: websites against a real local server, phones, emails — and the rule
that a check never counts as verification."""

from __future__ import annotations

import asyncio
import time
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.config import Settings
from app.directory.freshness import Freshness, freshness_of
from app.kit.clock import utcnow
from app.verification import checks, jobs, sweep
from app.verification.checks import WebsiteChecker, registrable_domain
from app.verification.models import CheckKind, CheckResult, VerificationEvent, VerificationTask
from app.verification.transport import HostMapResolver
from tests.factories import BR_PHONE, NG_PHONE, NG_PHONE_2, make_office, make_org
from tests.verification.web_server import LOOPBACK, RunningServer


def check_urls(server: RunningServer, urls: list[str], **overrides: Any) -> list[checks.Finding]:
    options: dict[str, Any] = {
        "timeout": 0.5,
        "concurrency": 10,
        "per_host": 2,
        "max_redirects": 3,
    }
    options.update(overrides)

    async def run() -> list[checks.Finding]:
        resolver = HostMapResolver({"*": ("127.0.0.1", server.port)})
        async with WebsiteChecker(
            resolver=resolver, allowed_networks=LOOPBACK, **options
        ) as checker:
            return await checker.check_many(enumerate(urls))

    return asyncio.run(run())


def one(server: RunningServer, url: str, **overrides: Any) -> checks.Finding:
    return check_urls(server, [url], **overrides)[0]


def test_registrable_domain_uses_the_public_suffix_list() -> None:
    assert registrable_domain("www.example.co.uk") == "example.co.uk"
    assert registrable_domain("evil.co.uk") == "evil.co.uk"
    assert registrable_domain("a.b.example.test") == "example.test"
    assert registrable_domain("user.github.io") == "user.github.io"
    assert registrable_domain("127.0.0.1") == "127.0.0.1"


def test_a_reachable_site_records_status_final_url_and_time(web_server: RunningServer) -> None:
    finding = one(web_server, "http://a.example.test/ok")
    assert finding.ok and finding.flags == []
    assert finding.status_code == 200
    assert finding.final_url == "http://a.example.test/ok"
    assert finding.elapsed_ms is not None and finding.elapsed_ms >= 0
    # The request kept its real Host header although it went to 127.0.0.1.
    assert ("a.example.test", "/ok") in web_server.site.requests


@pytest.mark.parametrize(
    ("path", "status", "flag"), [("/missing", 404, "http_4xx"), ("/error", 500, "http_5xx")]
)
def test_error_statuses_are_flagged(
    web_server: RunningServer, path: str, status: int, flag: str
) -> None:
    finding = one(web_server, f"http://a.example.test{path}")
    assert not finding.ok
    assert finding.status_code == status
    assert finding.flags == [flag]


def test_a_slow_site_times_out(web_server: RunningServer) -> None:
    finding = one(web_server, "http://a.example.test/slow", timeout=0.3)
    assert finding.flags == ["timeout"]
    assert finding.status_code is None
    assert finding.elapsed_ms is not None and 250 <= finding.elapsed_ms < 2500


def test_redirect_within_the_same_registrable_domain_is_fine(web_server: RunningServer) -> None:
    finding = one(web_server, "http://a.example.test/redirect-same")
    assert finding.ok, finding.flags
    assert finding.final_url == "http://www.example.test/ok"
    assert finding.details["redirects"] == 1
    assert finding.details["hops"][0]["status"] == 301
    relative = one(web_server, "http://a.example.test/redirect-relative")
    assert relative.ok and relative.final_url == "http://a.example.test/ok"


def test_redirect_to_another_registrable_domain_is_flagged(web_server: RunningServer) -> None:
    finding = one(web_server, "http://a.example.test/redirect-other")
    assert not finding.ok
    assert finding.flags == ["redirect_to_other_domain"]
    assert finding.status_code == 200
    assert finding.final_url == "http://parked.other-domain.test/ok"
    assert finding.details["origin_domain"] == "example.test"
    assert finding.details["final_domain"] == "other-domain.test"


def test_public_suffixes_decide_what_another_domain_is(web_server: RunningServer) -> None:
    # Both end in "co.uk": only the Public Suffix List tells these two cases apart.
    same = one(web_server, "http://www.example.co.uk/redirect-co-uk-same")
    other = one(web_server, "http://www.example.co.uk/redirect-co-uk-other")
    assert same.ok and same.final_url == "http://shop.example.co.uk/ok"
    assert other.flags == ["redirect_to_other_domain"]
    assert other.details["final_domain"] == "evil.co.uk"


def test_redirect_loops_and_long_chains_stop(web_server: RunningServer) -> None:
    loop = one(web_server, "http://a.example.test/loop-a")
    assert "redirect_loop" in loop.flags and not loop.ok
    assert len(loop.details["hops"]) == 2
    chain = one(web_server, "http://a.example.test/chain/10", max_redirects=3)
    assert chain.flags == ["too_many_redirects"]
    assert len(chain.details["hops"]) == 4
    short = one(web_server, "http://a.example.test/chain/2", max_redirects=3)
    assert short.ok and short.final_url == "http://a.example.test/chain/0"


def test_tls_and_connection_failures_are_flagged(web_server: RunningServer) -> None:
    # HTTPS to a plain-HTTP port: the TLS handshake fails.
    tls = one(web_server, "https://secure.example.test/ok")
    assert tls.flags == ["tls_error"], tls.error

    async def refused() -> checks.Finding:
        resolver = HostMapResolver({"*": ("127.0.0.1", 1)})
        async with WebsiteChecker(
            timeout=1, concurrency=2, per_host=1, resolver=resolver, allowed_networks=LOOPBACK
        ) as checker:
            return await checker.check("http://down.example.test/")

    assert asyncio.run(refused()).flags == ["connection_error"]
    assert one(web_server, "ftp://a.example.test/").flags == ["invalid_url"]


def test_per_host_and_global_limits_hold(web_server: RunningServer) -> None:
    site = web_server.site
    urls = [f"http://busy{i % 3}.limits.test/busy" for i in range(18)]
    findings = check_urls(web_server, urls, per_host=2, concurrency=5)
    assert all(f.ok for f in findings)
    for i in range(3):
        assert site.max_in_flight[f"busy{i}.limits.test"] == 2
    assert site.max_group_in_flight["limits.test"] == 5


def test_results_keep_the_order_of_the_targets(web_server: RunningServer) -> None:
    urls = [f"http://host{i % 4}.order.test/{'ok' if i % 3 else 'missing'}" for i in range(12)]
    urls.insert(5, "not a url")
    seen: list[str] = []

    async def run() -> list[checks.Finding]:
        resolver = HostMapResolver({"*": ("127.0.0.1", web_server.port)})
        async with WebsiteChecker(
            timeout=2, concurrency=3, per_host=2, resolver=resolver, allowed_networks=LOOPBACK
        ) as checker:
            return await checker.check_many(
                [(i, u) for i, u in enumerate(urls)], on_result=lambda f: seen.append(f.target)
            )

    findings = asyncio.run(run())
    assert [(f.office_id, f.target) for f in findings] == list(enumerate(urls))
    assert [f.status_code for f in findings if f.target.endswith("/missing")] == [404] * 4
    assert findings[5].flags == ["invalid_url"]
    assert sorted(seen) == sorted(urls)


def test_a_sweep_reuses_connections_and_leaves_no_idle_ones(web_server: RunningServer) -> None:
    site = web_server.site
    many = [f"http://busy{i % 2}.reuse.test/ok" for i in range(16)]
    once = [f"http://site{i}.once.test/ok" for i in range(12)]

    async def run() -> tuple[list[checks.Finding], int]:
        resolver = HostMapResolver({"*": ("127.0.0.1", web_server.port)})
        async with WebsiteChecker(
            timeout=2, concurrency=4, per_host=2, resolver=resolver, allowed_networks=LOOPBACK
        ) as checker:
            findings = await checker.check_many(enumerate(many))
            findings += await checker.check_many(enumerate(once))
            # The checker is still open, so only the server closing connections (asked to
            # by the last requests for each host) can empty its side.
            deadline = time.monotonic() + 3
            while web_server.open_connections() > 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.1)
            return findings, web_server.open_connections()

    findings, still_open = asyncio.run(run())
    assert all(f.ok for f in findings)
    # A host's earlier requests keep their connections for its later ones...
    assert 2 <= len(site.connections["reuse.test"]) < len(many)
    # ...and hosts with nothing more to check leave no idle connection behind (at most one of
    # each busy host's may finish after that host's last request started).
    assert len(site.connections["once.test"]) == len(once)
    assert still_open <= 2


def test_hostnames_and_redirect_targets_are_validated(web_server: RunningServer) -> None:
    assert one(web_server, "http://exa mple.test/ok").flags == ["invalid_url"]
    assert one(web_server, "http://a.example.test:99999/").flags == ["invalid_url"]
    assert one(web_server, "http://[::1/").flags == ["invalid_url"]
    bad = one(web_server, "http://a.example.test/redirect-ftp")
    assert bad.flags == ["bad_redirect"] and bad.status_code == 302
    assert one(web_server, "http://a.example.test/redirect-nowhere").flags == [
        "redirect_without_location"
    ]


def test_politeness_delay_spaces_requests_to_one_host(web_server: RunningServer) -> None:
    started = time.perf_counter()
    check_urls(web_server, ["http://polite.example.test/ok"] * 4, per_host_delay=0.2)
    assert time.perf_counter() - started >= 0.6


def test_phone_check_reports_type_validity_and_country() -> None:
    good = checks.check_phone(NG_PHONE, "NG", office_id=1, phone_id=1, shared_with=[])
    assert good.ok and good.details["number_type"] == "mobile"
    # A stored number the current metadata no longer accepts.
    invalid = checks.check_phone("+234803123", "NG", office_id=1, phone_id=1, shared_with=[])
    assert invalid.flags == ["invalid_number"]
    foreign = checks.check_phone(BR_PHONE, "NG", office_id=1, phone_id=1, shared_with=[])
    assert foreign.flags == ["not_in_country"]
    shared = checks.check_phone(NG_PHONE, "NG", office_id=1, phone_id=1, shared_with=[7])
    assert shared.flags == ["shared_with_unrelated_office"]
    assert shared.details["shared_with_offices"] == [7]


def test_email_check_is_syntax_only() -> None:
    assert checks.check_email("help@example.org", office_id=1).ok
    bad = checks.check_email("help@@example", office_id=1)
    assert bad.flags == ["invalid_syntax"] and bad.error


def _sessions(session: Session) -> Any:
    return lambda: nullcontext(session)


def test_numbers_shared_by_unrelated_offices_are_flagged(
    db_session: Session, settings: Settings
) -> None:
    first = make_office(db_session)
    second = make_office(db_session)  # another organisation, same number
    org = make_org(db_session, name="Example Twin Offices (demo)")
    sibling_a = make_office(db_session, org=org, phones=[{"number": "+2348031230001"}])
    sibling_b = make_office(db_session, org=org, phones=[{"number": "+2348031230001"}])
    jobs.automated_checks(
        settings=settings,
        sessions=_sessions(db_session),
        kinds=[CheckKind.PHONE],
        office_ids=[first.id, second.id, sibling_a.id, sibling_b.id],  # type: ignore[list-item]
    )
    results = {
        r.office_id: r
        for r in db_session.execute(
            select(CheckResult).where(CheckResult.kind == "phone")
        ).scalars()
    }
    assert results[first.id].flags == ["shared_with_unrelated_office"]  # type: ignore[index]
    assert results[first.id].details["shared_with_offices"] == [second.id]  # type: ignore[index]
    assert results[sibling_a.id].ok and results[sibling_b.id].ok  # type: ignore[index]


def test_checks_never_count_as_verification(
    db_session: Session, settings: Settings, web_server: RunningServer
) -> None:
    verified_at = utcnow() - timedelta(days=160)
    office = make_office(
        db_session,
        verified_at=verified_at,
        website="http://a.example.test/missing",
        email="desk@example.org",
    )
    healthy = make_office(
        db_session,
        verified_at=verified_at,
        website="http://b.example.test/ok",
        phones=[{"number": NG_PHONE_2}],
    )
    jobs.open_due_tasks(settings=settings, sessions=_sessions(db_session))
    task = db_session.execute(
        select(VerificationTask).where(VerificationTask.office_id == office.id)
    ).scalar_one()
    priority_before = task.priority
    events_before = db_session.execute(select(func.count(VerificationEvent.id))).scalar_one()
    resolver = HostMapResolver({"*": ("127.0.0.1", web_server.port)})

    summary = jobs.automated_checks(
        settings=settings,
        sessions=_sessions(db_session),
        office_ids=[office.id, healthy.id],  # type: ignore[list-item]
        resolver=resolver,
    )
    assert summary.offices == 2
    assert summary.failures["website"] == 1
    db_session.refresh(office)
    db_session.refresh(task)
    # Nothing about verification moved.
    assert office.last_verified_at is not None
    assert office.last_verified_at.replace(tzinfo=None) == verified_at.replace(tzinfo=None)
    assert db_session.execute(select(func.count(VerificationEvent.id))).scalar_one() == (
        events_before
    )
    state = freshness_of(
        last_verified_at=office.last_verified_at,
        stale_flagged_at=office.stale_flagged_at,
        category="ngo",
        now=utcnow(),
        settings=settings,
    )
    assert state is Freshness.DUE
    # ...but the task is annotated and more urgent, and still waits for a person.
    assert task.state == "open"
    assert task.priority > priority_before
    assert task.annotations[0]["flags"] == ["http_4xx"]
    assert task.annotations[0]["source"] == "automated_check"
    history = sweep.check_history(db_session, office_id=office.id)  # type: ignore[arg-type]
    assert {r.kind for r in history} == {"phone", "website", "email"}
    site = next(r for r in history if r.kind == "website")
    assert (site.status_code, site.ok, site.final_url) == (
        404,
        False,
        "http://a.example.test/missing",
    )

    # The same failure again does not raise the priority twice.
    raised = task.priority
    jobs.automated_checks(
        settings=settings,
        sessions=_sessions(db_session),
        office_ids=[office.id],  # type: ignore[list-item]
        max_age_days=None,
        resolver=resolver,
    )
    db_session.refresh(task)
    assert task.priority == raised and len(task.annotations) == 1


def test_nightly_checks_skip_recently_checked_offices(
    db_session: Session, settings: Settings, frozen_clock: Any
) -> None:
    office = make_office(db_session)
    kinds = [CheckKind.PHONE]
    first = jobs.automated_checks(
        settings=settings,
        sessions=_sessions(db_session),
        kinds=kinds,
        office_ids=[office.id],  # type: ignore[list-item]
    )
    again = jobs.automated_checks(
        settings=settings,
        sessions=_sessions(db_session),
        kinds=kinds,
        office_ids=[office.id],  # type: ignore[list-item]
    )
    frozen_clock.advance(days=settings.checks_max_age_days + 1)
    later = jobs.automated_checks(
        settings=settings,
        sessions=_sessions(db_session),
        kinds=kinds,
        office_ids=[office.id],  # type: ignore[list-item]
    )
    assert (first.offices, again.offices, later.offices) == (1, 0, 1)


def test_dry_run_stores_nothing(db_session: Session, settings: Settings) -> None:
    office = make_office(db_session)
    summary = jobs.automated_checks(
        settings=settings,
        sessions=_sessions(db_session),
        kinds=[CheckKind.PHONE, CheckKind.EMAIL],
        office_ids=[office.id],  # type: ignore[list-item]
        dry_run=True,
    )
    assert summary.results["phone"] == 1 and summary.stored == 0
    assert sweep.check_history(db_session, office_id=office.id) == []  # type: ignore[arg-type]
