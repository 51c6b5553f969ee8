"""Outreach benchmark: mail 10,000 update requests, then answer 1,000 of their links.

Builds a 10,000-office synthetic directory with bench/query.py's builder, makes every office
due (last verified 170 days ago) and every organisation reachable and not confidential, and
starts a real SMTP server (aiosmtpd, its own process) on 127.0.0.1 that keeps each mail's
link. `homeward outreach send` then runs as its own process: its wall time and peak memory
(ru_maxrss of the finished child) are the sending figures. Then the app is served by uvicorn
(1 worker) on 127.0.0.1 and 1,000 links are followed one at a time: the answer page
(GET /update/…) and "all still correct" (POST …/confirm), each timed by the client around
the request on 127.0.0.1 (an upper bound on the server's time). Finally the database is
checked: one request per office, sent; one email_reply verification per answer.

Targets: sending under 60 s, peak memory under 200 MB, each answer page p95 under 50 ms.

Usage: .venv/bin/python -m bench.outreach [--offices 10000] [--answers 1000] [--db sqlite]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
from sqlalchemy import Engine, func, select, text

from app.config import PROJECT_ROOT
from app.outreach.models import OutreachRequest
from app.verification.models import VerificationEvent
from bench.databases import bench_database, db_kinds, migrated_engine
from bench.local_server import free_port, uvicorn_server
from bench.query import percentile
from bench.synthetic import Directory, example_numbers, populate

SEND_TARGET_S = 60.0
RSS_TARGET_MB = 200.0
P95_TARGET_MS = 50.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r"/update/(\S+)")

# The SMTP server (its own process): `python -c SMTP_SERVER PORT DIR` keeps each mail as it
# arrived, one file per mail in DIR; the links are read from them afterwards, so the server
# answers as fast as a real relay that queues a mail and moves on.
SMTP_SERVER = """
import itertools, pathlib, sys, time
from aiosmtpd.controller import Controller
port, folder = int(sys.argv[1]), pathlib.Path(sys.argv[2])
numbers = itertools.count()
class Keep:
    async def handle_DATA(self, server, session, envelope):
        (folder / f"{next(numbers)}.eml").write_bytes(envelope.original_content)
        return "250 Message accepted"
Controller(Keep(), hostname="127.0.0.1", port=port).start()
print("ready", flush=True)
while True:
    time.sleep(3600)
"""


def links_in(folder: Path) -> list[str]:
    """The link of each mail the server kept."""
    out = []
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        found = LINK.search(str(body.get_content())) if body is not None else None
        out.append(found.group(1) if found else "-")
    return out


def prepare(engine: Engine, offices: int, seed: int) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    populate(engine, Directory(), offices, rng, example_numbers(rng))
    with engine.begin() as conn:
        conn.execute(text("UPDATE organization SET confidential = false, status = 'active'"))
        conn.execute(
            text(
                "UPDATE office SET status = 'active', stale_flagged_at = NULL, "
                "last_verified_at = :at"
            ),
            {"at": time_ago(days=170)},
        )
    print(f"  {offices} due offices inserted in {time.perf_counter() - started:.1f} s")


def time_ago(*, days: int) -> object:
    from datetime import UTC, datetime, timedelta

    return datetime.now(UTC) - timedelta(days=days)


def send(env: dict[str, str]) -> tuple[float, float, float, str]:
    """`homeward outreach send` in its own process (as `python -m app.outreach send`, without
    the PDF stack the whole CLI imports): wall seconds, CPU seconds, peak RSS (MB), and its
    summary line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "app.outreach", "send"],
        cwd=PROJECT_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"outreach send failed ({done.returncode}):\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024, done.stdout.strip().splitlines()[-1]


def answer(base: str, links: list[str]) -> tuple[list[float], list[float]]:
    """Open each link's page and confirm: (page ms, confirm ms) per link."""
    page_ms: list[float] = []
    confirm_ms: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        client.get(f"/update/{links[0]}")  # warm-up: templates, catalogs (not an answer)
        for link in links:
            started = time.perf_counter()
            page = client.get(f"/update/{link}")
            page_ms.append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200, (page.status_code, link)
            token = CSRF.search(page.text)
            assert token is not None
            started = time.perf_counter()
            done = client.post(f"/update/{link}/confirm", data={"csrf_token": token.group(1)})
            confirm_ms.append((time.perf_counter() - started) * 1000)
            assert done.status_code == 200, done.text[:500]
    return page_ms, confirm_ms


def run(kind: str, offices: int, answers: int, seed: int) -> list[str]:
    failures: list[str] = []
    with bench_database(kind) as (url, _dsn), tempfile.TemporaryDirectory() as tmp:
        print(f"\n== {kind}: {offices} offices, {answers} answers")
        engine = migrated_engine(url)
        prepare(engine, offices, seed)
        port = free_port()
        mails = Path(tmp)
        smtp = subprocess.Popen(
            [sys.executable, "-c", SMTP_SERVER, str(port), str(mails)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert smtp.stdout is not None and smtp.stdout.readline().strip() == "ready"
            env = {
                "DATABASE_URL": url,
                "HOMEWARD_SMTP_HOST": "127.0.0.1",
                "HOMEWARD_SMTP_PORT": str(port),
                "HOMEWARD_SMTP_STARTTLS": "false",
                "HOMEWARD_MAIL_FROM": "Homeward <directory@homeward.example>",
            }
            load = os.getloadavg()[0]
            wall, cpu, peak_mb, summary = send(env)
            server_cpu = sum(psutil.Process(smtp.pid).cpu_times()[:2])
            links = links_in(mails)
            print(
                f"  send: {len(links)} mails in {wall:.1f} s (load average {load:.1f}), "
                f"CPU {cpu:.1f} s in the sender and {server_cpu:.1f} s in the SMTP server, "
                f"peak RSS {peak_mb:.0f} MB"
            )
            print(f"        {summary}")
            if len(links) != offices:
                failures.append(f"{kind}: {len(links)} mails for {offices} offices")
            if wall > SEND_TARGET_S:
                failures.append(f"{kind}: sending took {wall:.1f} s (target {SEND_TARGET_S})")
            if peak_mb > RSS_TARGET_MB:
                failures.append(f"{kind}: peak RSS {peak_mb:.0f} MB (target {RSS_TARGET_MB})")
        finally:
            smtp.terminate()
            smtp.wait(timeout=10)
        os.environ.update({k: v for k, v in env.items() if k != "DATABASE_URL"})
        picked = random.Random(seed).sample(links, answers)
        load = os.getloadavg()[0]
        with uvicorn_server(url) as (base, _proc):
            page_ms, confirm_ms = answer(base, picked)
        print(f"  answers: {answers} links, load average {load:.1f} at the start")
        for label, values in (("answer page", page_ms), ("confirm", confirm_ms)):
            p50, p95 = percentile(values, 0.5), percentile(values, 0.95)
            print(f"  {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(values):.1f} ms")
            if p95 > P95_TARGET_MS:
                failures.append(f"{kind}: {label} p95 {p95:.1f} ms (target {P95_TARGET_MS})")
        with engine.connect() as conn:
            requests = conn.execute(select(func.count()).select_from(OutreachRequest)).scalar()
            replies = conn.execute(
                select(func.count())
                .select_from(VerificationEvent)
                .where(VerificationEvent.method == "email_reply")
            ).scalar()
        print(f"  database: {requests} requests, {replies} email_reply verifications")
        if requests != offices or replies != answers:
            failures.append(f"{kind}: {requests} requests / {replies} verifications")
        engine.dispose()
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offices", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=1_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--seed", type=int, default=43)
    args = parser.parse_args()
    failures: list[str] = []
    for kind in db_kinds(args.db):
        failures += run(kind, args.offices, args.answers, args.seed)
    print("\nall targets met" if not failures else "\nMISSED:\n  " + "\n  ".join(failures))
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
