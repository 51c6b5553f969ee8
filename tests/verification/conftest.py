from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.config import Settings, get_settings
from tests.verification.web_server import LOOPBACK, RunningServer


@pytest.fixture(scope="module")
def web_server() -> Iterator[RunningServer]:
    """A real HTTP server on 127.0.0.1 (an ephemeral port)."""
    server = RunningServer().start()
    yield server
    server.stop()


@pytest.fixture
def settings() -> Settings:
    """The usual settings, with website checks allowed to reach the local test server."""
    return get_settings().model_copy(update={"web_check_allowed_networks": list(LOOPBACK)})
