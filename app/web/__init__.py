"""Server-rendered pages for officers, NGO partners, reviewers and admins (Jinja2)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.web import admin, auth, language_switch, ngo, officer, outreach, reviewer, sheets
from app.web.errors import install_web_error_pages
from app.web.templating import STATIC_DIR

WEB_ROUTERS = [
    auth.router,
    language_switch.router,
    officer.router,
    sheets.router,
    ngo.router,
    reviewer.router,
    admin.router,
    outreach.router,
]


def install_web(app: FastAPI) -> None:
    """Mount the pages, their static files and the HTML error pages on `app`."""
    install_web_error_pages(app)
    app.add_middleware(language_switch.PageLanguage)
    for router in WEB_ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
