"""`homeward`: the real Typer app, in process, over the committed test database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import Result
from sqlalchemy import Engine
from typer.testing import CliRunner

from app import db
from app.cli import app as homeward_app


@pytest.fixture
def homeward(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    monkeypatch.setattr(db, "get_engine", lambda: committed_engine)
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(homeward_app, list(args), env={"COLUMNS": "200"})

    return run
