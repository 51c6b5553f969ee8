"""The `homeward` command line against the test database, with real commits.

The CLI reads DATABASE_URL through Settings; these tests point it at the test database and
clear the cached settings and engine around each test.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app import db as app_db
from app.auth.service import authenticate
from app.cli import app as cli_app
from app.config import get_settings
from app.directory.models import Organization
from app.loading import csv_import
from tests.conftest import TEST_DATABASE_URL
from tests.directory.csv_samples import NG_FIXED, row, to_csv
from tests.directory.dump import dump_database

runner = CliRunner()


@pytest.fixture
def cli_db(committed_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", TEST_DATABASE_URL)
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    yield committed_engine
    app_db.get_engine().dispose()
    app_db.get_engine.cache_clear()
    get_settings.cache_clear()


def homeward(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli_app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def dump(engine: Engine) -> str:
    with Session(engine) as session:
        return dump_database(session)


def test_seed_if_empty_loads_once_and_bootstrap_prints_keys_once(cli_db: Engine):
    code, _, err = homeward("seed", "--demo", "--if-empty")
    assert code == 0 and "demo directory loaded" in err
    loaded = dump(cli_db)

    code, _, err = homeward("seed", "--demo", "--if-empty")
    assert code == 0 and "not empty" in err
    code, _, err = homeward("seed", "--demo")
    assert code == 1 and "already loaded" in err
    assert dump(cli_db) == loaded

    code, out, _ = homeward("keys", "bootstrap")
    assert code == 0
    secrets = [line.split()[-1] for line in out.splitlines() if line.startswith("hw_")]
    demo = {
        line.split()[1]: line.split()[2]
        for line in out.splitlines()
        if line.strip().startswith("demo ")
    }
    assert len(secrets) == 1 and set(demo) == {"reviewer", "officer", "ngo"}
    assert 'homeward keys create --role officer --name "Border desk Dover"' in out
    with Session(cli_db) as session:
        assert authenticate(session, secret=secrets[0]).role == "admin"
        for role, secret in demo.items():
            assert authenticate(session, secret=secret).role == role
        ngo = authenticate(session, secret=demo["ngo"])
        org = session.get(Organization, ngo.organization_id)
        assert org is not None and org.is_demo and not org.confidential

    code, out, _ = homeward("keys", "bootstrap")
    assert code == 0 and "hw_" not in out and "already exists" in out
    assert "homeward keys create --role officer" in out


def test_bootstrap_on_an_empty_directory_prints_only_the_admin_key(cli_db: Engine):
    code, out, _ = homeward("keys", "bootstrap")
    assert code == 0
    assert len([line for line in out.splitlines() if line.startswith("hw_")]) == 1
    assert "DEMO" not in out


def test_import_reports_every_bad_line_and_writes_nothing(cli_db: Engine, tmp_path: Path):
    before = dump(cli_db)
    path = tmp_path / "contacts.csv"
    path.write_bytes(
        to_csv([row(), row(region="AL-01"), row(), row(phone1="+234 1234 5678"), row()])
    )
    code, _, err = homeward("import", str(path))
    assert code == 1
    assert "contacts.csv:3: region: 'AL-01' is not an ISO 3166-2 subdivision of NG" in err
    assert "contacts.csv:5: phone1:" in err
    assert "2 problems in the file; nothing was imported" in err
    assert dump(cli_db) == before


def test_import_rolls_back_when_a_write_fails_midway(
    cli_db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    before = dump(cli_db)
    real_create = csv_import.service.create_office
    calls = {"n": 0}

    def failing_create(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real_create(*args, **kwargs)

    monkeypatch.setattr(csv_import.service, "create_office", failing_create)
    path = tmp_path / "contacts.csv"
    path.write_bytes(to_csv([row(city=f"Town {i}", phone1=NG_FIXED.format(i)) for i in range(5)]))
    with pytest.raises(RuntimeError, match="disk full"):
        homeward("import", str(path))
    assert calls["n"] == 3
    assert dump(cli_db) == before


def test_dry_run_import_and_export_from_the_command_line(cli_db: Engine, tmp_path: Path):
    source = tmp_path / "contacts.csv"
    source.write_bytes(
        to_csv(
            [
                row(office_name="Lagos office"),
                row(office_name="Hotline", region="", phone1=NG_FIXED.format(60)),
                row(organization_name="Hidden Shelter (demo)", category="ngo", confidential="yes"),
            ]
        )
    )
    empty = dump(cli_db)
    code, _, err = homeward("import", str(source), "--dry-run")
    assert code == 0 and "would create 2 organisations, 3 offices" in err
    assert dump(cli_db) == empty

    code, _, err = homeward("import", str(source))
    assert code == 0 and "created 2 organisations, 3 offices" in err
    with Session(cli_db) as session:
        assert len(session.execute(select(Organization)).all()) == 2

    out_file = tmp_path / "out.csv"
    code, _, err = homeward("export", "--format", "csv", "--out", str(out_file))
    assert code == 0 and "exported 2 records" in err
    rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert [r["office_name"] for r in rows] == ["Lagos office", "Hotline"]
    assert rows[1]["region"] == "" and rows[1]["phone1"] == "+2342033123460"

    code, out, _ = homeward("export", "--format", "json", "--include-confidential")
    assert code == 0
    assert {c["organization"]["name"] for c in json.loads(out)} == {
        "Example Legal Aid Centre (demo)",
        "Hidden Shelter (demo)",
    }

    code, _, err = homeward("export", "--format", "xml")
    assert code == 2 and "unknown format" in err
    assert not list(tmp_path.glob(".*.partial"))


def test_commands_on_a_database_without_tables_say_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    app_db.get_engine.cache_clear()
    try:
        code, _, err = homeward("export", "--format", "csv")
    finally:
        app_db.get_engine().dispose()
        app_db.get_engine.cache_clear()
        get_settings.cache_clear()
    assert code == 1 and "homeward db upgrade" in err
