"""The `homeward` command line. Each domain adds its own sub-commands here."""

from __future__ import annotations

import typer
import uvicorn
from alembic import command
from alembic.config import Config
from rich.console import Console
from rich.table import Table

from app.auth import service as key_service
from app.config import PROJECT_ROOT, get_settings
from app.db import unit_of_work
from app.directory import cli as directory_cli
from app.kit.errors import HomewardError
from app.outreach import cli as outreach_cli
from app.review import cli as review_cli
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

# Directory data in and out (app/directory/cli.py).
app.command("seed")(directory_cli.seed)
app.command("import")(directory_cli.import_command)
app.command("export")(directory_cli.export_command)
keys_app.command("bootstrap")(directory_cli.keys_bootstrap)
app.command("sheet")(sheets_cli.sheet)
app.command("sheets")(sheets_cli.sheets)
app.add_typer(verification_cli.scheduler_app, name="scheduler")
app.add_typer(verification_cli.verification_app, name="verification")
app.add_typer(verification_cli.tasks_app, name="tasks")
app.command("revalidate")(verification_cli.revalidate)
app.add_typer(outreach_cli.outreach_app, name="outreach")

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
) -> None:
    """Serve the web app and API (uvicorn). The scheduler runs separately."""
    uvicorn.run(
        "app.main:app", host=host, port=port, workers=workers, reload=reload, proxy_headers=True
    )


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
                created_by="cli",
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
            key_service.revoke_key(session, key_id=key_id)
    except HomewardError as exc:
        fail(exc.message)
    console.print(f"key {key_id} revoked")


if __name__ == "__main__":
    app()
