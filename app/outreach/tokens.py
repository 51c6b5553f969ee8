"""The emailed links: `<office id>.<random token>.<signature>`.

The random part comes from `secrets.token_urlsafe` and only its SHA-256 is stored (as with
API keys, app/auth). The signature (HMAC-SHA256 with the secret key over office id and
token) lets a forged or altered link be refused before any database lookup, and names the
office the link is for. Expiry and single use are enforced in the database, not here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from app.config import get_settings

_SIGNATURE_BYTES = 16
_LINK = re.compile(r"^([1-9][0-9]{0,9})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$")


@dataclass(frozen=True)
class Link:
    office_id: int
    token: str

    @property
    def token_hash(self) -> str:
        return hash_token(self.token)

    def __str__(self) -> str:
        return f"{self.office_id}.{self.token}.{_sign(self.office_id, self.token)}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mac(message: str) -> bytes:
    key = get_settings().resolved_secret_key().encode()
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _sign(office_id: int, token: str) -> str:
    digest = _mac(f"outreach-link:{office_id}:{token}")[:_SIGNATURE_BYTES]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_link(office_id: int) -> Link:
    """A fresh link for `office_id` (32 random bytes)."""
    return Link(office_id=office_id, token=secrets.token_urlsafe(32))


def parse_link(raw: str) -> Link | None:
    """The link if it is well-formed and its signature holds, else None."""
    match = _LINK.match(raw)
    if match is None:
        return None
    office_id, token, signature = int(match[1]), match[2], match[3]
    if not hmac.compare_digest(signature, _sign(office_id, token)):
        return None
    return Link(office_id=office_id, token=token)


def csrf_token(link: Link) -> str:
    """The CSRF token of the link's forms: the page has no session, so it is bound to the
    link (only someone who opened the link's page can know it)."""
    digest = _mac(f"outreach-csrf:{link.token_hash}")
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def csrf_matches(link: Link, sent: object) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), csrf_token(link).encode())
