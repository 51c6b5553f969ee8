"""The ASGI application: routers, error handlers and limits. No scheduler here."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from app.api import contacts, countries, hsds, keys, organizations, vcard
from app.api import outreach as outreach_api
from app.api import sheets as sheets_api
from app.api import submissions as submissions_api
from app.api import verification as verification_api
from app.auth.throttle import FailedKeyThrottle
from app.config import get_settings
from app.kit.api_docs import install_docs
from app.kit.http import BodySizeLimit, install_error_handlers
from app.kit.security_headers import HtmlSecurityHeaders
from app.web import install_web

API_ROUTERS = [
    # Routes are matched in order, each one a regular expression: the officers' search (the
    # first route of `contacts`) comes almost first. `vcard` stays before it, so that
    # /contacts.vcf does not reach /contacts/{office_id}.
    vcard.router,
    contacts.router,
    hsds.router,
    organizations.router,
    countries.router,
    keys.router,
    verification_api.router,
    sheets_api.router,
    submissions_api.router,
    outreach_api.router,
]


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Freeze the startup heap out of the cyclic garbage collector.

    The imported modules, models and metadata are ~200,000 objects that live as long as the
    process. Each full collection walked all of them: one request in twenty or so paid
    80-120 ms of CPU for it, which set the p95 of every page. Frozen, a full collection
    walks only what was made since (a few ms); garbage is still collected as before.
    Once per process: an app started again in the same process (tests) skips the
    collection before the freeze, which alone costs about as much as the ones it saves.
    """
    if not gc.get_freeze_count():
        gc.collect()
        gc.freeze()
    yield


class HomewardApp(FastAPI):
    """FastAPI, except that an error that has been answered is not raised on to the server.

    Starlette's outermost middleware sends the 500 (through our handler, which logs it) and
    then re-raises for the benefit of test clients; uvicorn would log it a second time and
    close the client's keep-alive connection, so the client's next request on it would be
    dropped unanswered.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        answered = False

        async def tracked(message: Message) -> None:
            nonlocal answered
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True

        try:
            await super().__call__(scope, receive, tracked)
        except Exception:
            if not answered:
                raise


def create_app() -> FastAPI:
    settings = get_settings()
    app = HomewardApp(
        lifespan=lifespan,
        # The docs are served by install_docs, from the app itself (no CDN).
        docs_url=None,
        redoc_url=None,
        title="Homeward",
        version="0.1.0",
        description=(
            "A verified directory of help — NGOs, lawyers, social-welfare agencies and law "
            "enforcement — by country and ISO region, for officers handing a person going home "
            "the contacts that are true today (UNODC Toolkit, Tool 7.7, Recs. 42–45)."
        ),
    )
    # Per app (so per server process, and fresh for each test's app).
    app.state.key_throttle = FailedKeyThrottle.from_settings(settings)
    install_error_handlers(app)
    for router in API_ROUTERS:
        app.include_router(router)
    install_web(app)  # browser pages (app/web): after the API so /api keeps JSON errors
    install_docs(app)  # /docs and /redoc: no key, they describe the API and hold no data

    @app.get("/health", tags=["health"])
    async def health() -> dict[str, str]:
        """Liveness: answers without a key.

        `async`: it answers from the event loop, even while every worker thread is busy.
        """
        return {"status": "ok"}

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(HtmlSecurityHeaders)
    return app


app = create_app()
