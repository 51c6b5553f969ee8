"""Command-line pieces of interoperability, plugged into `homeward export` and `import`.

- `homeward export --format hsds --out DIR/`: HSDS 3.0 tabular data package;
- `homeward export --format hsds-json --out FILE`: nested HSDS JSON;
- `homeward export --format vcard --out FILE`: vCard 4.0, one card per office;
- `homeward import --format hsds PATH [--dry-run] [--strict]`: an HSDS dataset into the review
  queue; exit status 0 every record queued (or unchanged), 1 some records refused (the others
  are queued) or none usable, 2 the dataset cannot be read (nothing queued), 3 the file holds
  no contact records at all (a taxonomy, an API description).

Export writers take the export job of `app/directory/cli.py` (out, include_confidential,
settings, text_stream()) and return how many records they wrote.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from app.db import unit_of_work
from app.interop import hsds_export, hsds_import, vcard
from app.kit.clock import utcnow

console = Console(stderr=True, soft_wrap=True)


def export_hsds(session: Session, job: Any) -> int:
    """The tabular package, written beside the target and moved in file by file at the end,
    so a failed export never leaves half a file under the requested name."""
    if job.out is None:
        raise typer.BadParameter("--format hsds writes a directory: give --out DIR/")
    target = Path(job.out)
    if target.exists() and not target.is_dir():
        raise typer.BadParameter(f"{target} exists and is not a directory")
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        summary = hsds_export.write_tabular(
            session, partial, include_confidential=job.include_confidential
        )
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(partial.iterdir()):
            os.replace(path, target / path.name)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return summary.services


def export_hsds_json(session: Session, job: Any) -> int:
    with job.text_stream() as out:
        return hsds_export.write_json(
            session, out, include_confidential=job.include_confidential
        ).services


def export_vcard(session: Session, job: Any) -> int:
    # Cards end up in phones: confidential organisations are left out whatever was asked.
    with job.text_stream() as out:
        return vcard.write_vcards(session, out, now=utcnow(), settings=job.settings)


EXPORT_FORMATS: dict[str, Callable[[Session, Any], int]] = {
    "hsds": export_hsds,
    "hsds-json": export_hsds_json,
    "vcard": export_vcard,
}


EXIT_REFUSED, EXIT_UNREADABLE, EXIT_NO_RECORDS = 1, 2, 3


def import_hsds(path: Path, *, dry_run: bool, strict: bool = False) -> None:
    """`homeward import --format hsds PATH`: queue every record for review. Exits 1 when
    some records were refused (the others are queued), 2 when the dataset cannot be read,
    3 when it holds no contact records."""
    try:
        with unit_of_work() as session:
            report = hsds_import.import_path(session, path, dry_run=dry_run, strict=strict)
    except hsds_import.NoContactRecords as exc:
        console.print(f"{exc}: nothing to import", highlight=False, markup=False)
        raise typer.Exit(EXIT_NO_RECORDS) from exc
    except hsds_import.DatasetError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(EXIT_UNREADABLE) from exc
    for problem in report.problems:
        field = f" {problem.field}:" if problem.field else ""
        console.print(f"{problem.where}:{field} {problem.reason}", highlight=False, markup=False)
    verb = "would queue" if dry_run or report.undone else "queued"
    console.print(
        f"{report.records} records read from '{report.dataset}'; {verb} "
        f"{report.new_contacts} new contacts and {report.corrections} corrections for review "
        f'(source "{report.source}"); {report.unchanged} unchanged; '
        f"{len(report.problems)} not imported; {report.flagged} with values left out for "
        "the reviewer (findings)",
        highlight=False,
        markup=False,
    )
    if dry_run:
        console.print("dry run: nothing was queued")
    elif report.undone:
        console.print("strict: a record was refused, so nothing was queued")
    if report.problems:
        raise typer.Exit(EXIT_REFUSED)
