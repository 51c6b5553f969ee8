from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.verification.web_server import RunningServer


@pytest.fixture(scope="module")
def web_server() -> Iterator[RunningServer]:
    """A real HTTP server on 127.0.0.1 (an ephemeral port)."""
    server = RunningServer().start()
    yield server
    server.stop()
