"""The outreach job (`homeward outreach send`, and the scheduler's `outreach` job).

Each step commits on its own, so a run killed anywhere loses nothing and the next run
completes it: interrupted handovers are settled, lapsed requests followed up, new requests
queued in batches, due mails claimed (committed as `sending`), handed to the SMTP server
and recorded, and the call tasks of offices that did not answer are raised.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.config import Settings
from app.db import unit_of_work
from app.kit.clock import utcnow
from app.outreach import service
from app.outreach.delivery import Delivery, DeliveryResult, ServerUnavailable, SmtpSender

log = logging.getLogger("homeward.outreach")

SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass
class OutreachSummary:
    enabled: bool = True
    settled: int = 0
    unanswered: int = 0
    expired: int = 0
    queued: int = 0
    sent: int = 0
    reminded: int = 0
    deferred: int = 0
    bounced: int = 0
    uncertain: int = 0
    withheld: int = 0
    escalated: int = 0
    server_unavailable: str | None = None
    # (request id, address, "request" or "reminder", what happened) per mail handed over.
    mails: list[tuple[int, str, str, str]] = field(default_factory=list)


def run_outreach(
    *,
    settings: Settings,
    sessions: SessionFactory = unit_of_work,
    country: str | None = None,
    batch_size: int | None = None,
    sender: Callable[[Settings], SmtpSender] = SmtpSender,
) -> OutreachSummary:
    """One outreach run; does nothing (enabled=False) without an SMTP host.

    When the SMTP server cannot be reached, no mail is claimed (or what was claimed goes
    back to the queue untouched) and the next run tries again.
    """
    summary = OutreachSummary(enabled=settings.outreach_enabled)
    if not summary.enabled:
        return summary
    limit = batch_size or settings.scheduler_batch_size
    with sessions() as session:
        now = utcnow()
        summary.settled = service.settle_interrupted(session, now=now, settings=settings)
        summary.unanswered, summary.expired = service.follow_up(session, now=now, settings=settings)
    after = 0
    while True:
        with sessions() as session:
            last, n = service.enqueue_batch(
                session,
                now=utcnow(),
                settings=settings,
                after_id=after,
                limit=limit,
                country=country,
            )
        if last is None:
            break
        after, summary.queued = last, summary.queued + n
    try:
        _deliver(settings, sessions, summary, country=country, limit=limit, sender=sender)
    except ServerUnavailable as exc:
        summary.server_unavailable = str(exc)
        log.warning("outreach: the SMTP server is unavailable (%s); retrying next run", exc)
    with sessions() as session:
        summary.escalated = service.escalate_taken_over(session, now=utcnow(), settings=settings)
    log.info("outreach: %s", summary)
    return summary


Sent = list[tuple[service.Outgoing, DeliveryResult]]


def _send_all(
    smtp: SmtpSender, mails: list[service.Outgoing]
) -> tuple[Sent, ServerUnavailable | None]:
    """Hand `mails` over one connection, in order. Once the connection is lost the rest were
    never handed over: certainly not delivered, they go back to the queue (deferred)."""
    results: Sent = []
    unavailable: ServerUnavailable | None = None
    for mail in mails:
        if unavailable is None:
            try:
                results.append((mail, smtp.send(mail.message, to=mail.to)))
                continue
            except ServerUnavailable as exc:
                unavailable = exc
        results.append((mail, DeliveryResult(Delivery.DEFERRED, str(unavailable))))
    return results, unavailable


def _deliver(
    settings: Settings,
    sessions: SessionFactory,
    summary: OutreachSummary,
    *,
    country: str | None,
    limit: int,
    sender: Callable[[Settings], SmtpSender],
) -> None:
    """Claim due mails a batch at a time (committed as `sending`), hand them to the SMTP
    server over `smtp_connections` connections at once (each waits for the server's answer
    to every command, so several keep it busy), then record the answers."""
    count = max(1, settings.smtp_connections)
    with ExitStack() as stack, ThreadPoolExecutor(count, "outreach-smtp") as pool:
        # Connect first: while the server is down nothing is claimed.
        senders = [stack.enter_context(sender(settings)) for _ in range(count)]
        while True:
            with sessions() as session:
                batch = service.claim_batch(
                    session, now=utcnow(), settings=settings, limit=limit, country=country
                )
            if batch.empty:
                return
            summary.withheld += batch.withheld
            shares = [batch.outgoing[i::count] for i in range(count)]
            done = list(pool.map(_send_all, senders, shares))
            sent = [pair for results, _ in done for pair in results]
            with sessions() as session:
                service.record_deliveries(
                    session,
                    [(mail.request_id, mail.reminder, result) for mail, result in sent],
                    now=utcnow(),
                    settings=settings,
                )
            for mail, result in sent:
                _count(summary, mail, result.delivery)
            for _, unavailable in done:
                if unavailable is not None:
                    raise unavailable


def _count(summary: OutreachSummary, mail: service.Outgoing, delivery: Delivery) -> None:
    kind = "reminder" if mail.reminder else "request"
    summary.mails.append((mail.request_id, mail.to, kind, delivery.value))
    match delivery:
        case Delivery.ACCEPTED if mail.reminder:
            summary.reminded += 1
        case Delivery.ACCEPTED:
            summary.sent += 1
        case Delivery.DEFERRED:
            summary.deferred += 1
        case Delivery.REFUSED:
            summary.bounced += 1
        case Delivery.UNCERTAIN:
            summary.uncertain += 1
