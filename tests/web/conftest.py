"""Browser tests: a real uvicorn on 127.0.0.1 over its own migrated database, driven by
Debian's Chromium through Playwright. One server and one browser per session.

The database is a temporary SQLite file, or, when TEST_DATABASE_URL is PostgreSQL, a
separate database created next to it and dropped afterwards (the server commits for real,
so it cannot share the rolled-back test database).
"""

from __future__ import annotations

import io
import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from app.config import PROJECT_ROOT
from app.db import make_engine, unit_of_work
from bench.local_server import free_port, local_server
from tests.conftest import migrate, throwaway_database
from tests.web.scenario import Scenario, seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
DOCS_SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
# The main page of each role, shown in the README's Screenshots section.
README_SCREENSHOTS = (
    "officer-results",
    "contact-detail",
    "officer-sheet-preview",
    "coverage",
    "ngo-start-own-offices",
    "ngo-submissions",
    "review-queue",
    "review-diff",
    "worklist-claimed",
    "admin-keys",
)


@pytest.fixture(scope="session")
def web_database_url() -> Iterator[str]:
    with throwaway_database("web") as url:
        yield url


@pytest.fixture(scope="session")
def scenario(web_database_url: str) -> Scenario:
    migrate(web_database_url)
    engine = make_engine(web_database_url)
    try:
        with unit_of_work(engine) as session:
            return seed(session)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def server_secret() -> str:
    """The browser tests' server's secret key (a test signs an emailed link with it)."""
    return secrets.token_urlsafe(32)


@pytest.fixture(scope="session")
def server(web_database_url: str, scenario: Scenario, server_secret: str) -> Iterator[str]:
    """uvicorn serving app.main:app on a free port; yields its base URL."""
    port = free_port()
    var_dir = Path(tempfile.mkdtemp(prefix="homeward-web-var-"))
    env = {
        "DATABASE_URL": web_database_url,
        "HOMEWARD_SECRET_KEY": server_secret,
        "HOMEWARD_VAR_DIR": str(var_dir),
        "HOMEWARD_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log_path = var_dir / "uvicorn.log"
    with log_path.open("w") as log:
        try:
            with local_server(env, port=port, output=log, startup_seconds=120) as (base, _):
                yield base
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log_path.read_text()}") from None


# Package scope: Playwright's sync API runs an event loop in this thread while it lives;
# stopped after the browser tests, it cannot trouble tests collected after them.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Browser, server: str) -> Iterator[Callable[[str], Page]]:
    """A new page in a browser whose language is `lang` (its Accept-Language)."""
    contexts = []

    def make(lang: str) -> Page:
        context = browser.new_context(
            base_url=server, locale=lang, viewport={"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield make
    for context in contexts:
        context.close()


NewPage = Callable[..., Page]


@pytest.fixture(scope="package")
def _shared_pages(browser: Browser, server: str, scenario: Scenario) -> Iterator[dict[str, Page]]:
    pages: dict[str, Page] = {}
    yield pages
    for page in pages.values():
        page.context.close()


@pytest.fixture
def new_page(
    browser: Browser, server: str, scenario: Scenario, _shared_pages: dict[str, Page]
) -> Iterator[NewPage]:
    """`new_page(role)`: that role's signed-in page, shared across tests (browser contexts
    are slow to start); `new_page(role, fresh=True)`, `new_page(key=...)` or `new_page()`
    open a context of their own, closed after the test. `new_page(role, path)` opens the
    page at `path` (a shared page goes there straight, not by its start page)."""
    contexts: list[BrowserContext] = []

    def open_context(mobile: bool) -> Page:
        viewport = {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        context = browser.new_context(base_url=server, viewport=viewport, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    def make(
        role: str | None = None,
        path: str | None = None,
        *,
        key: str | None = None,
        mobile: bool = False,
        fresh: bool = False,
    ) -> Page:
        if role and not (key or mobile or fresh):
            if role not in _shared_pages:
                _shared_pages[role] = open_context(mobile=False)
                sign_in(_shared_pages[role], scenario.keys[role])
            elif path is None:
                _shared_pages[role].goto("/")
            page = _shared_pages[role]
        else:
            page = open_context(mobile)
            contexts.append(page.context)
            if role or key:
                sign_in(page, key or scenario.keys[role or ""])
        if path is not None:
            page.goto(path)
        return page

    yield make
    for context in contexts:
        context.close()


def sign_in(page: Page, key: str) -> None:
    page.goto("/signin")
    page.fill("#key", key)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def dismiss_dialogs(page: Page) -> list[str]:
    """From now on every dialog the page opens (an `alert` an injected script would raise)
    is dismissed; the list that collects their messages."""
    messages: list[str] = []
    page.on("dialog", lambda d: (messages.append(d.message), d.dismiss()))
    return messages


def screenshot(page: Page, name: str) -> None:
    """A full-page screenshot for the test run's artefacts; with HOMEWARD_SCREENSHOTS=1 the
    main page of each role is also written, as the user first sees it, to docs/screenshots/
    for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if name in README_SCREENSHOTS and os.environ.get("HOMEWARD_SCREENSHOTS") == "1":
        write_readme_screenshot(page.screenshot(full_page=False), DOCS_SCREENSHOTS / f"{name}.png")


def write_readme_screenshot(png: bytes, path: Path) -> None:
    """The viewport as a 256-colour PNG: a tenth of the size, no visible loss for a UI."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
