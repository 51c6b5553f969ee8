from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import app
from app.db import unit_of_work
from app.directory.geography import regions_by_code
from tests.sheets.directory import build_lagos_directory

runner = CliRunner()


@pytest.fixture
def cli_db(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The CLI's unit of work, on the test database, with the Lagos directory committed."""

    def bound_unit_of_work(*, writes: bool = True) -> AbstractContextManager[Session]:
        return unit_of_work(committed_engine, writes=writes)

    monkeypatch.setattr("app.sheets.cli.unit_of_work", bound_unit_of_work)
    with unit_of_work(committed_engine) as session:
        build_lagos_directory(session)
    return committed_engine


def test_sheet_writes_a_pdf(cli_db: Engine, tmp_path: Path) -> None:
    out = tmp_path / "sheet.pdf"
    result = runner.invoke(
        app,
        ["sheet", "NG", "--region", "NG-LA", "--lang", "en", "--lang2", "fr", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-"
    assert "snapshot" in result.output


def test_sheet_names_the_bad_field(cli_db: Engine, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["sheet", "NG", "--region", "AL-01", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2
    assert "region" in result.output and "AL-01" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_sheets_for_all_regions(cli_db: Engine, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "sheets",
            "--country",
            "NG",
            "--all-regions",
            "--lang",
            "en",
            "--format",
            "html",
            "--out",
            str(tmp_path),
            "--jobs",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("contacts-NG-*-en-a4-*.html"))
    assert len(files) == len(regions_by_code("NG")) == 37
    lagos = next(f for f in files if f.name.startswith("contacts-NG-LA-"))
    assert "Example Support Centre (demo)" in lagos.read_text()
    oyo = next(f for f in files if f.name.startswith("contacts-NG-OY-"))
    assert "Example Support Centre (demo)" in oyo.read_text()  # the nearest NGO for Oyo
    assert "37 sheets in" in result.output
