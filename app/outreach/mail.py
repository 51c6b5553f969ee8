"""The update request mail: plain text only (no HTML, so no tracking pixel and no external
image), in the office's language. It says who asks and why, lists the current values and
carries one link. It speaks of the organisation's listing only, and a mail that would carry
a word of the sheets' blocklist is refused (MailWithheld), never sent."""

from __future__ import annotations

from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, parseaddr

from app.config import Settings
from app.directory.models import Office
from app.outreach.errors import MailWithheld
from app.outreach.i18n import OutreachLanguage
from app.outreach.listing import listing_lines
from app.sheets.blocklist import blocklist
from app.sheets.i18n import N_

SUBJECT = N_("Please check your listing in the Homeward directory")
REMINDER_SUBJECT = N_("Reminder: please check your listing in the Homeward directory")
GREETING = N_("Hello,")
WHO_AND_WHY = N_(
    "Homeward is a directory of help services (organisations, lawyers, social services and "
    "police) that public officials use to tell people where they can find help. To keep it "
    "correct, we ask each organisation to check its own listing from time to time."
)
REMINDER_NOTE = N_("We wrote to you about this on %(date)s and have not heard back yet.")
CURRENT_VALUES = N_("This is what the directory shows for you now:")
OPEN_LINK = N_(
    "Please open this link to tell us that everything is still correct, or what has changed:"
)
LINK_VALIDITY = N_(
    "The link works until %(date)s, for this listing only. You do not need an account."
)
WHY_YOU = N_(
    "You receive this message because this address is listed for this organisation. If it "
    "reached you by mistake, please ignore it."
)
SIGN_OFF = N_("Thank you,")
SENDER_NAME = N_("The Homeward directory team")


def message_id(request_id: int, *, reminder: bool, settings: Settings) -> str:
    """The same Message-ID for every attempt at the same mail of the same request."""
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<outreach-{request_id}-{'reminder' if reminder else 'request'}@{domain}>"


def body_text(
    office: Office,
    lang: OutreachLanguage,
    *,
    link_url: str,
    expires_at: datetime,
    first_sent_at: datetime | None = None,
) -> str:
    """The mail's text; `first_sent_at` makes it the reminder of that first mail."""
    paragraphs = [lang.gettext(GREETING), lang.gettext(WHO_AND_WHY)]
    if first_sent_at is not None:
        paragraphs.append(lang.gettext(REMINDER_NOTE, date=lang.date(first_sent_at.date())))
    lines = "\n".join(f"  {line.label}: {line.value}" for line in listing_lines(office, lang))
    paragraphs += [
        lang.gettext(CURRENT_VALUES) + "\n\n" + lines,
        lang.gettext(OPEN_LINK) + "\n\n  " + link_url,
        lang.gettext(LINK_VALIDITY, date=lang.date(expires_at.date())),
        lang.gettext(WHY_YOU),
        lang.gettext(SIGN_OFF) + "\n" + lang.gettext(SENDER_NAME),
    ]
    return "\n\n".join(paragraphs) + "\n"


def _withheld(subject: str, text: str, office: Office, settings: Settings) -> list[str]:
    """The blocklisted words the mail would carry. The catalogs' own texts are checked by a
    test (tests/outreach/test_i18n.py), so only the listing's values are looked at per mail:
    each verdict is memoised, and names and addresses recur across a directory."""
    blocked = blocklist(settings.sheet_blocklist_extra)
    org = office.organization
    values = [org.name, org.local_name, office.name, office.address, office.city]
    values += [office.opening_hours, office.email, office.website, org.email, org.website]
    values += [p.hours for p in office.phones]
    if all(blocked.is_clean(v) for v in values):
        return []
    return blocked.find(subject + "\n" + text)


def compose(
    *,
    request_id: int,
    to: str,
    office: Office,
    lang: OutreachLanguage,
    link_url: str,
    expires_at: datetime,
    sent_at: datetime,
    settings: Settings,
    first_sent_at: datetime | None = None,
) -> Message:
    """The request (or, with `first_sent_at`, its reminder) as a message ready to send:
    one text/plain part, UTF-8 (base64).

    Raises MailWithheld when it would carry a blocklisted word.
    """
    reminder = first_sent_at is not None
    subject = lang.gettext(REMINDER_SUBJECT if reminder else SUBJECT)
    text = body_text(
        office, lang, link_url=link_url, expires_at=expires_at, first_sent_at=first_sent_at
    )
    found = _withheld(subject, text, office, settings)
    if found:
        raise MailWithheld(found)
    # The compat32 classes: the default policy's header objects cost several times more to
    # build than the rest of the mail, for nothing a plain message needs. The UTF-8 body goes
    # out base64 (a C codec; quoted-printable is encoded a character at a time in Python).
    message = MIMEText(text, "plain", "utf-8")
    message["From"] = settings.mail_from
    message["To"] = to
    # typeshed types a compat32 message's headers as str, though it takes a Header as well.
    message["Subject"] = Header(subject, "utf-8")  # type: ignore[assignment]
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id(request_id, reminder=reminder, settings=settings)
    message["Content-Language"] = lang.code
    message["Auto-Submitted"] = "auto-generated"
    return message
