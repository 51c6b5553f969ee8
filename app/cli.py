"""The `homeward` command line. Each domain adds its own sub-commands here."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import typer
import uvicorn
from alembic import command
from alembic.config import Config
from rich.console import Console
from rich.table import Table

import app.backup as sqlite_backup
from app.auth import service as key_service
from app.config import PROJECT_ROOT, get_settings
from app.db import unit_of_work
from app.directory import cli as directory_cli
from app.interop import cli as interop_cli
from app.interop import feeds_cli
from app.kit.errors import HomewardError
from app.kit.principal import CLI_OPERATOR
from app.loading import cli as loading_cli
from app.outreach import cli as outreach_cli
from app.review import cli as review_cli
from app.schedule import cli as schedule_cli
from app.sheets import cli as sheets_cli
from app.verification import cli as verification_cli

app = typer.Typer(
    help="Homeward: a verified directory of help for people returning home.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(review_cli.review_app, name="review")

# Directory data in (app/loading/cli.py) and out (app/directory/cli.py, app/interop/cli.py).
app.command("seed")(loading_cli.seed)
app.command("import")(loading_cli.import_command)
app.command("export")(
    directory_cli.export_command({**directory_cli.EXPORT_FORMATS, **interop_cli.EXPORT_FORMATS})
)
keys_app.command("bootstrap")(loading_cli.keys_bootstrap)
app.command("sheet")(sheets_cli.sheet)
app.command("sheets")(sheets_cli.sheets)
app.add_typer(schedule_cli.scheduler_app, name="scheduler")
app.add_typer(verification_cli.verification_app, name="verification")
app.add_typer(verification_cli.tasks_app, name="tasks")
app.command("revalidate")(verification_cli.revalidate)
app.add_typer(outreach_cli.outreach_app, name="outreach")
app.add_typer(feeds_cli.feeds_app, name="feeds")

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def alembic_config() -> Config:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = get_settings().database_url
    return cfg


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
    with_scheduler: bool = typer.Option(
        False,
        "--with-scheduler",
        help="also run `homeward scheduler`, as a child process stopped with the server",
    ),
) -> None:
    """Serve the web app and API (uvicorn). The scheduler is its own process: run it with
    `homeward scheduler`, or let `--with-scheduler` start and stop it with the server."""
    scheduler = scheduler_process() if with_scheduler else None
    try:
        uvicorn.run(
            "app.main:app",
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            proxy_headers=True,
        )
    finally:
        if scheduler is not None:
            stop_process(scheduler)


def scheduler_process() -> subprocess.Popen[bytes]:
    """`homeward scheduler` in a process of its own (never inside the web workers)."""
    return subprocess.Popen([sys.executable, "-m", "app.schedule", "scheduler"])


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@db_app.command("upgrade")
def db_upgrade(revision: str = "heads") -> None:
    """Apply Alembic migrations (to every head by default)."""
    command.upgrade(alembic_config(), revision)
    console.print(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. 'base')."""
    command.downgrade(alembic_config(), revision)
    console.print(f"database at {revision}")


@app.command("backup")
def backup_command(
    file: Path = typer.Argument(..., help="where to write the copy (replaced if it exists)"),
) -> None:
    """Copy the live SQLite database consistently, while the server keeps writing.

    PostgreSQL: use pg_dump (this command explains and exits with 2).
    """
    _copy_sqlite(
        lambda database: sqlite_backup.backup(database, file),
        lambda made: (
            f"backed up to {made.path} ({made.size} bytes, revision {', '.join(made.revisions)}, "
            "integrity ok)"
        ),
    )


@app.command("restore")
def restore_command(
    file: Path = typer.Argument(..., help="a file written by `homeward backup`"),
) -> None:
    """Replace the SQLite database with a backup, atomically and only once it is verified.

    Refuses while the server, the scheduler or anything else has the database open.
    """
    _copy_sqlite(
        lambda database: sqlite_backup.restore(file, database),
        lambda made: (
            f"restored {made.path} from {file} (revision {', '.join(made.revisions)}); "
            "run `homeward db upgrade` if this backup is older than the code"
        ),
    )


def _copy_sqlite(
    copy: Callable[[Path], sqlite_backup.Copy], said: Callable[[sqlite_backup.Copy], str]
) -> None:
    """Back up or restore the configured SQLite file with `copy`, then print what `said`
    makes of the copy; a refusal prints its reason and exits with its code."""
    try:
        made = copy(sqlite_backup.sqlite_file(get_settings().database_url))
    except sqlite_backup.BackupError as exc:
        fail(exc.message, exc.exit_code)
        return
    console.print(said(made), highlight=False)


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(..., help="admin, reviewer, officer or ngo"),
    name: str = typer.Option(..., help="who holds it, e.g. 'Border desk Dover'"),
    organization_id: int | None = typer.Option(
        None, "--organization-id", help="required for ngo keys"
    ),
) -> None:
    """Create a key and print it once. Only its hash is stored."""
    try:
        with unit_of_work() as session:
            issued = key_service.create_key(
                session,
                name=name,
                role=role,
                organization_id=organization_id,
                by=CLI_OPERATOR,
            )
            key_id = issued.key.id
    except HomewardError as exc:
        fail(f"{exc.field}: {exc.message}")
        return
    console.print(f"key {key_id} ({role}, {name}) — shown once, keep it safe:")
    typer.echo(issued.secret)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never their secrets)."""
    with unit_of_work() as session:
        keys = key_service.list_keys(session)
        table = Table("id", "name", "role", "organisation", "prefix", "created", "revoked")
        for k in keys:
            table.add_row(
                str(k.id),
                k.name,
                k.role,
                str(k.organization_id or ""),
                k.prefix,
                f"{k.created_at:%Y-%m-%d}",
                f"{k.revoked_at:%Y-%m-%d}" if k.revoked_at else "",
            )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(key_id: int) -> None:
    """Revoke a key at once."""
    try:
        with unit_of_work() as session:
            key_service.revoke_key(session, key_id=key_id, by=CLI_OPERATOR)
    except HomewardError as exc:
        fail(exc.message)
    console.print(f"key {key_id} revoked")


if __name__ == "__main__":
    app()
