"""Loading commands: `seed`, `import` and `keys bootstrap` (registered in app/cli.py).

Each command is a thin shell around a service function that takes a session, so the tests
exercise the same code without a subprocess.
"""

from __future__ import annotations

from pathlib import Path

import typer

from app.db import savepoint
from app.directory.cli import console, database, fail
from app.directory.demo import demo_organization_count, organization_count
from app.interop import cli as interop_cli
from app.loading.bootstrap_keys import bootstrap_keys
from app.loading.csv_import import ImportRejected, import_csv
from app.loading.demo_seed import seed_demo

# ---- seed ----------------------------------------------------------------------------------


def seed(
    demo: bool = typer.Option(False, "--demo", help="load the fictional demo directory"),
    if_empty: bool = typer.Option(
        False, "--if-empty", help="do nothing when the directory already has organisations"
    ),
) -> None:
    """Load the fictional demo directory (seeds/demo.json); every entry is marked demo."""
    if not demo:
        fail("say what to load: `homeward seed --demo` (the fictional demo directory)", 2)
    with database() as session:
        if if_empty and organization_count(session):
            console.print("the directory is not empty: demo data not loaded")
            return
        if demo_organization_count(session):
            fail("the demo directory is already loaded")
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
    with database() as session:
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
    strict: bool = typer.Option(
        False,
        "--strict",
        help="hsds: all or nothing: refuse a record for any value that fails the checks "
        "(instead of queueing it without that value, flagged for the reviewer), and queue "
        "nothing when a record is refused",
    ),
) -> None:
    """Import contacts from a CSV file, all or nothing: any bad row and nothing is written.

    With `--format hsds`, every record of an HSDS dataset becomes a review-queue submission;
    it exits 0 when every record was queued (or unchanged), 1 when some were refused (with
    `--strict`, then none is queued), 2 when the dataset as a whole cannot be read, 3 when it
    holds no contact records (a taxonomy, an API description).
    """
    if format.lower() == "hsds":
        interop_cli.import_hsds(file, dry_run=dry_run, strict=strict)
        return
    if format.lower() != "csv":
        fail(f"unknown format '{format}': choose csv or hsds", 2)
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}", 2)
        return
    try:
        with database() as session, savepoint(session, keep=not dry_run):
            report = import_csv(session, data=data, filename=file.name, dry_run=dry_run)
    except ImportRejected as exc:
        for error in exc.errors:
            where = f"{file.name}:{error.line}"
            field = f" {error.field}:" if error.field else ""
            console.print(f"{where}:{field} {error.reason}", highlight=False, markup=False)
        fail(exc.message)
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
