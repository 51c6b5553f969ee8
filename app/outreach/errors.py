"""Named outreach errors."""

from __future__ import annotations

from app.kit.errors import HomewardError, InvalidValue
from app.kit.i18n import P_


class MailWithheld(InvalidValue):
    """The mail would carry a word the sheets' discretion guard refuses."""

    code = "mail_withheld"

    def __init__(self, found: list[str]) -> None:
        super().__init__(
            P_("the mail would carry a blocklisted word: %(words)s"),
            field="listing",
            params={"words": ", ".join(sorted(set(found)))},
        )


class LinkRefused(HomewardError):
    """An update request link that cannot record anything: its `reason` says why."""

    status_code = 404
    code = "link_refused"

    def __init__(self, reason: str, *, language: str | None = None) -> None:
        super().__init__(f"this link cannot be used: {reason}", field="link", reason=reason)
        self.reason = reason
        # The request's language, when the link was genuine (used or expired).
        self.language = language
        if reason in ("expired", "used"):
            self.status_code = 410
