"""The floor of this stack for the region query: what bench/query.py holds the app against.

A bare ASGI callable (no FastAPI, no auth, no validation, no ORM session) served by the same
uvicorn as the app: `GET /api/v1/contacts?country=..&region=..` runs the app's own page
statement (`listing.page_rows`, so the very same SQL) on an engine made like the app's
(`app.db.make_engine`), shapes the rows as the app does (`listing.page_dict`) and writes them
with orjson. `GET /health` answers for the server's start-up check. Run by
`bench.local_server.local_server(app_path="bench.floor:app")`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import orjson
from sqlalchemy import Engine

from app.config import get_settings
from app.db import make_engine
from app.directory import listing
from app.directory.search import PreparedFilters
from app.kit.clock import utcnow
from app.kit.paging import Page

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

# The same thread hop as the app's hot route (app.kit.threads): the driver blocks.
_EXECUTOR = ThreadPoolExecutor(max_workers=16, thread_name_prefix="floor")
_JSON_HEADERS = [(b"content-type", b"application/json")]


@cache
def _engine() -> Engine:
    return make_engine(get_settings().database_url)


def page_json(country: str, region: str, *, per_page: int = 50) -> bytes:
    """The app's first page for an officer (who sees confidential offices), as JSON."""
    settings = get_settings()
    now = utcnow()
    prepared = PreparedFilters(
        values={"country": country, "region": region},
        freshness=(),
        include_national=True,
        nationwide_only=False,
        sees_confidential=True,
        now=now,
        settings=settings,
    )
    with _engine().connect() as connection:
        rows, total = listing.page_rows(connection, prepared, page=Page(1, per_page))
    page = listing.page_dict(rows, total, now=now, settings=settings, page=Page(1, per_page))
    return orjson.dumps(page, option=orjson.OPT_UTC_Z)


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": _JSON_HEADERS})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    path = scope["path"]
    if path == "/health":
        await _respond(send, 200, b'{"status":"ok"}')
        return
    if path != "/api/v1/contacts":
        await _respond(send, 404, b'{"detail":"not found"}')
        return
    query = dict(parse_qsl(scope["query_string"].decode()))
    loop = asyncio.get_running_loop()
    body = await loop.run_in_executor(_EXECUTOR, page_json, query["country"], query["region"])
    await _respond(send, 200, body)
