"""Handing mails to the SMTP server, and what its answer means for a request.

Why a request is committed as `sending` before the handover: a process can die after the
server accepted a mail and before we recorded it. On the next run a row still `sending`
after `outreach_sending_timeout_minutes` is taken as sent (`delivery_uncertain`), never
sent again: a duplicate update request is worse than a lost one, because a lost one is
repaired by the reminder (a second mail with its own link) and, failing that, by the call
worklist. Each mail also has a Message-ID derived from the request (`mail.message_id`), the
same on every attempt, so a server or mailbox that deduplicates sees one message.

The server's answer decides the rest: 250 after the data is `accepted`; a 4xx, a refused
connection or a drop before the data was sent is `deferred` (certainly not delivered: the
request waits `outreach_retry_minutes` and is tried again); a 5xx is `refused` (the address
bounced: the call worklist takes over); a drop while the data was on the wire is `uncertain`
(the row stays `sending`, see above).
"""

from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32
from email.utils import parseaddr
from enum import StrEnum
from types import TracebackType

from app.config import Settings

_CRLF = compat32.clone(linesep="\r\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class Delivery(StrEnum):
    ACCEPTED = "accepted"
    DEFERRED = "deferred"
    REFUSED = "refused"
    UNCERTAIN = "uncertain"


@dataclass(frozen=True)
class DeliveryResult:
    delivery: Delivery
    detail: str | None = None


class ServerUnavailable(Exception):
    """The SMTP server cannot be reached (or dropped us before a mail was handed over)."""


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode(errors="replace") if isinstance(text, bytes) else text
    return f"{code} {words}"[:500]


def _by_code(code: int, text: bytes | str) -> DeliveryResult:
    if 200 <= code < 300:
        return DeliveryResult(Delivery.ACCEPTED)
    kind = Delivery.REFUSED if code >= 500 else Delivery.DEFERRED
    return DeliveryResult(kind, _reply(code, text))


def _dot_stuffed(payload: bytes) -> bytes:
    """The DATA section as RFC 5321 wants it: leading dots doubled, ending in CRLF."""
    stuffed = _LEADING_DOT.sub(b"..", payload)
    return stuffed if stuffed.endswith(b"\r\n") else stuffed + b"\r\n"


class SmtpSender:
    """One connection to the configured SMTP server for a batch of mails."""

    def __init__(self, settings: Settings) -> None:
        assert settings.smtp_host, "outreach is off without HOMEWARD_SMTP_HOST"
        self.settings = settings
        self.sender = parseaddr(settings.mail_from)[1] or settings.mail_from
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        self.connect()
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    def connect(self) -> None:
        s = self.settings
        assert s.smtp_host is not None
        try:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            smtp.ehlo()
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(f"{type(exc).__name__}: {exc}"[:500]) from exc
        self._smtp = smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, message: Message, *, to: str) -> DeliveryResult:
        """Hand one mail over. ServerUnavailable when the connection is gone before the
        data was sent (nothing was delivered; the caller stops the batch)."""
        smtp = self._smtp
        if smtp is None:
            raise ServerUnavailable("not connected")
        try:
            code, text = smtp.mail(self.sender)
            if code != 250:
                smtp.rset()
                return _by_code(code, text)
            code, text = smtp.rcpt(to)
            if code not in (250, 251):
                smtp.rset()
                return _by_code(code, text)
            smtp.putcmd("data")
            code, text = smtp.getreply()
            if code != 354:
                smtp.rset()
                return _by_code(code, text)
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp = None
            raise ServerUnavailable(f"{type(exc).__name__}: {exc}"[:500]) from exc
        try:
            smtp.send(_dot_stuffed(message.as_bytes(policy=_CRLF)) + b".\r\n")
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._smtp = None
            return DeliveryResult(Delivery.UNCERTAIN, f"{type(exc).__name__}: {exc}"[:500])
        return _by_code(code, text)
