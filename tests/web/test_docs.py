"""The API docs render in a real browser under their Content-Security-Policy, with nothing
loaded from outside the app (no CDN) and no policy violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, expect

from tests.web.conftest import NewPage

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("path", "title"), [("/docs", ".swagger-ui .info .title"), ("/redoc", "h1")]
)
def test_api_docs_render_offline_without_a_key(
    new_page: NewPage, server: str, path: str, title: str
) -> None:
    page = new_page()  # no key: the docs are public
    requested: list[str] = []
    blocked: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("requestfailed", lambda request: blocked.append(request.url))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    response = page.goto(path)
    assert response is not None and response.status == 200
    expect(page.locator(title).first).to_contain_text("Homeward", timeout=30_000)
    # The operations are listed (the OpenAPI document was fetched and read).
    expect(page.get_by_text("/api/v1/contacts").first).to_be_visible()
    # Everything the page needs comes from the app. The one outside address it asks for
    # (ReDoc's "powered by" logo) is stopped by the policy, which is the policy working.
    outside = [url for url in requested if not url.startswith((server, "blob:", "data:"))]
    assert all(url in blocked for url in outside), (outside, blocked)
    assert all(url.endswith("logo-mini.svg") for url in outside), outside
    assert [e for e in errors if "logo-mini.svg" not in e] == []
    assert not [url for url in blocked if url.startswith(server)]
