"""Reading pages of a remote ORAPI's `/services`, distrusting the server.

A server that is down, slow, answers an error, a body larger than the cap, or something that
is not an ORAPI page raises FeedError with a reason for people (never the key: it travels in
a header and no message names headers). Each read waits at most `timeout` seconds, and the
whole page must arrive before `deadline` (a server trickling bytes cannot hold a pull).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

USER_AGENT = "Homeward feeds"


class FeedError(Exception):
    """Why a pull failed, for the feed's `last_error`."""


@dataclass(frozen=True)
class Page:
    contents: list[dict[str, Any]]
    total_pages: int
    # The remote's clock when it answered (its Date header), if it said.
    server_time: datetime | None


def public_url(url: str) -> str:
    """`url` without any user:password part, to show or record."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def check_url(url: str) -> str:
    """An ORAPI base URL as stored: http(s), a host, no query, no trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host, e.g. https://example.org/hsds")
    if parts.query or parts.fragment:
        raise ValueError("must not hold a query or fragment: give the API's base URL")
    if parts.username or parts.password:
        raise ValueError("must not hold a user or password: give the key with --key")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def client(*, api_key: str | None, timeout: float) -> httpx.Client:
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
        # A compressed body could blow up far past the cap once decoded.
        "Accept-Encoding": "identity",
    }
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    # Redirects are not followed: the key would travel to wherever they lead.
    return httpx.Client(headers=headers, timeout=timeout, follow_redirects=False, trust_env=False)


def _server_time(response: httpx.Response) -> datetime | None:
    try:
        when = parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _read(response: httpx.Response, *, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FeedError(f"the page is {int(declared):,} bytes, over the cap of {max_bytes:,}")
    body = bytearray()
    for chunk in response.iter_raw(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise FeedError(f"the page is over the cap of {max_bytes:,} bytes")
        if time.monotonic() > deadline:
            raise FeedError("the server sends too slowly: the pull ran out of time")
    return bytes(body)


def _page(data: Any) -> tuple[list[dict[str, Any]], int]:
    if not isinstance(data, dict) or not isinstance(data.get("contents"), list):
        raise FeedError("the answer is not an ORAPI page (no `contents` list)")
    total_pages = data.get("total_pages")
    if not isinstance(total_pages, int) or isinstance(total_pages, bool) or total_pages < 0:
        raise FeedError("the answer is not an ORAPI page (no whole `total_pages`)")
    return [d for d in data["contents"] if isinstance(d, dict)], total_pages


def fetch_services(
    http: httpx.Client,
    base_url: str,
    *,
    page: int,
    per_page: int,
    modified_after: datetime | None,
    max_bytes: int,
    deadline: float,
) -> Page:
    """One page of fully nested services, modified on or after `modified_after`."""
    params: dict[str, str | int] = {"full": "true", "page": page, "per_page": per_page}
    if modified_after is not None:
        params["modified_after"] = modified_after.astimezone(UTC).isoformat()
    where = public_url(base_url)
    if time.monotonic() > deadline:
        raise FeedError("the pull ran out of time")
    try:
        with http.stream("GET", f"{base_url}/services", params=params) as response:
            if response.status_code != 200:
                raise FeedError(f"{where}/services answered HTTP {response.status_code}")
            if response.headers.get("content-encoding", "identity") not in {"identity", ""}:
                raise FeedError("the server compressed its answer, which this client refuses")
            raw = _read(response, max_bytes=max_bytes, deadline=deadline)
            server_time = _server_time(response)
    except httpx.TimeoutException as exc:
        raise FeedError(f"{where} did not answer in time ({type(exc).__name__})") from exc
    except httpx.HTTPError as exc:
        raise FeedError(f"cannot reach {where} ({type(exc).__name__})") from exc
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(
            f"{where}/services answered with something that is not JSON: {exc}"
        ) from exc
    contents, total_pages = _page(data)
    return Page(contents=contents, total_pages=total_pages, server_time=server_time)


def next_mark(first_answer: datetime | None, seen: list[datetime]) -> datetime | None:
    """The high-water mark after a pull: the remote's clock at the first answer, less a
    second (the Date header's grain), so what changed while paging is asked again next time
    (unchanged records cost nothing); without a Date, the newest `last_modified` seen."""
    if first_answer is not None:
        return first_answer - timedelta(seconds=1)
    return max(seen, default=None)
