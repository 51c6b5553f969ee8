"""Directory commands: `seed`, `import`, `export`, and `keys bootstrap` (registered in app/cli.py).

Each command is a thin shell around a service function that takes a session, so the tests
exercise the same code without a subprocess.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from app.auth.bootstrap import bootstrap_keys
from app.config import Settings, get_settings
from app.db import unit_of_work
from app.directory import export
from app.directory.csv_import import ImportRejected, import_csv
from app.directory.seeding import demo_organization_count, organization_count, seed_demo
from app.interop import cli as interop_cli

console = Console(stderr=True, soft_wrap=True)


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def _database(*, writes: bool = True) -> Iterator[Session]:
    """unit_of_work(), with a plain message when the schema is missing or behind the code."""
    try:
        with unit_of_work(writes=writes) as session:
            yield session
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc.orig).lower()
        if "no such table" in text or "does not exist" in text:
            _fail("the database schema is missing or out of date: run `homeward db upgrade`")
        raise


# ---- seed ----------------------------------------------------------------------------------


def seed(
    demo: bool = typer.Option(False, "--demo", help="load the fictional demo directory"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="do nothing when the directory already has organisations"
    ),
) -> None:
    """Load the fictional demo directory (seeds/demo.json); every entry is marked demo."""
    if not demo:
        _fail("say what to load: `homeward seed --demo` (the fictional demo directory)", 2)
    with _database() as session:
        if if_empty and organization_count(session):
            console.print("the directory is not empty: demo data not loaded")
            return
        if demo_organization_count(session):
            _fail("the demo directory is already loaded")
        summary = seed_demo(session)
    console.print(
        f"demo directory loaded: {summary.organizations} organisations, {summary.offices} "
        f"offices, {summary.phones} phones ({summary.verified} verified). All names and "
        "numbers are fictional.",
        highlight=False,
    )


# ---- keys bootstrap -----------------------------------------------------------------------


def keys_bootstrap() -> None:
    """Print a first admin key if no active admin key exists (used by `make run`)."""
    more = 'homeward keys create --role officer --name "Border desk Dover"'
    with _database() as session:
        result = bootstrap_keys(session)
    if result.admin is None:
        typer.echo(
            f"An active admin key already exists ({result.active_admins}); its secret was shown "
            f"once when it was made.\nMake another key with:  {more}"
        )
        return
    typer.echo(
        "\n== Homeward admin key (shown once, keep it safe) ==\n"
        f"{result.admin.secret}\n"
        f"Make more keys with:  {more}\n"
        "   (roles: admin, reviewer, officer, ngo --organization-id N)"
    )
    if result.demo_keys:
        typer.echo("\n== DEMO keys, for trying each role with the demo data (shown once) ==")
        for role, issued in result.demo_keys:
            ngo = result.demo_ngo if role == "ngo" else None
            extra = f"  (organisation {ngo.id}: {ngo.name})" if ngo else ""
            typer.echo(f"  demo {role:<8} {issued.secret}{extra}")
        typer.echo("Revoke them with `homeward keys revoke ID` before real use.\n")


# ---- import --------------------------------------------------------------------------------


def import_command(
    file: Path = typer.Argument(..., help="CSV file in the import format (see README)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check and report; write nothing"),
    format: str = typer.Option(
        "csv", "--format", "-f", help="csv, or hsds (an HSDS package or JSON, into the queue)"
    ),
) -> None:
    """Import contacts from a CSV file, all or nothing: any bad row and nothing is written.

    With `--format hsds`, every record of an HSDS dataset becomes a review-queue submission.
    """
    if format.lower() == "hsds":
        interop_cli.import_hsds(file, dry_run=dry_run)
        return
    if format.lower() != "csv":
        _fail(f"unknown format '{format}': choose csv or hsds", 2)
    try:
        data = file.read_bytes()
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror}", 2)
        return
    try:
        with _database() as session:
            report = import_csv(session, data=data, filename=file.name, dry_run=dry_run)
            if dry_run:
                session.rollback()
    except ImportRejected as exc:
        for error in exc.errors:
            where = f"{file.name}:{error.line}"
            field = f" {error.field}:" if error.field else ""
            console.print(f"{where}:{field} {error.reason}", highlight=False, markup=False)
        _fail(exc.message)
        return
    verb = "would create" if dry_run else "created"
    console.print(
        f"{report.rows} rows checked; {verb} {report.organizations_created} organisations, "
        f"{report.offices} offices, {report.phones} phones, "
        f"{report.verifications} verifications",
        highlight=False,
    )
    for org_id, name in report.organizations_existing:
        console.print(f"  offices added to existing organisation {org_id}: {name}", highlight=False)
    if dry_run:
        console.print("dry run: nothing was written")


# ---- export --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportJob:
    """What an export writer is asked for; `out` None means standard output."""

    out: Path | None
    include_confidential: bool
    settings: Settings

    @contextmanager
    def text_stream(self) -> Iterator[IO[str]]:
        """The output as text. A file is written beside its target and renamed at the end,
        so a failed export never leaves half a file under the requested name."""
        if self.out is None:
            yield sys.stdout
            sys.stdout.flush()
            return
        partial = self.out.with_name(f".{self.out.name}.partial")
        try:
            with partial.open("w", encoding="utf-8", newline="") as handle:
                yield handle
            os.replace(partial, self.out)
        finally:
            partial.unlink(missing_ok=True)


ExportWriter = Callable[[Session, ExportJob], int]


def _csv(session: Session, job: ExportJob) -> int:
    with job.text_stream() as out:
        return export.write_csv(
            session, out, include_confidential=job.include_confidential, settings=job.settings
        )


def _json(session: Session, job: ExportJob) -> int:
    with job.text_stream() as out:
        return export.write_json(
            session, out, include_confidential=job.include_confidential, settings=job.settings
        )


# Add a format by adding a writer here: it gets the session and the job, returns a count.
EXPORT_FORMATS: dict[str, ExportWriter] = {
    "csv": _csv,
    "json": _json,
    **interop_cli.EXPORT_FORMATS,  # hsds, hsds-json, vcard
}


def export_command(
    format: str = typer.Option("csv", "--format", "-f", help="one of: csv, json (and more)"),
    out: Path | None = typer.Option(None, "--out", "-o", help="file to write (default: stdout)"),
    include_confidential: bool = typer.Option(
        False, "--include-confidential", help="also export confidential organisations"
    ),
) -> None:
    """Export the directory (streamed: memory stays flat for large directories)."""
    writer = EXPORT_FORMATS.get(format.lower())
    if writer is None:
        _fail(f"unknown format '{format}': choose one of {', '.join(EXPORT_FORMATS)}", 2)
        return
    job = ExportJob(out=out, include_confidential=include_confidential, settings=get_settings())
    with _database(writes=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            # One snapshot for the main query and the batched loads of phones and languages.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        count = writer(session, job)
    hidden = "" if include_confidential else " (confidential organisations left out)"
    console.print(f"exported {count} records as {format}{hidden}", highlight=False)
