"""Directory commands: `export` (registered in app/cli.py, which adds other domains' formats).

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
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.db import unit_of_work
from app.directory import export

console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 1) -> None:
    console.print(f"[red]error:[/red] {message}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def database(*, writes: bool = True) -> Iterator[Session]:
    """unit_of_work(), with a plain message when the schema is missing or behind the code."""
    try:
        with unit_of_work(writes=writes) as session:
            yield session
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc.orig).lower()
        if "no such table" in text or "does not exist" in text:
            fail("the database schema is missing or out of date: run `homeward db upgrade`")
        raise


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


# The directory's own formats; app/cli.py adds other domains' writers (hsds, vcard).
# A writer gets the session and the job, returns a count.
EXPORT_FORMATS: dict[str, ExportWriter] = {
    "csv": _csv,
    "json": _json,
}


def export_command(formats: dict[str, ExportWriter]) -> Callable[..., None]:
    """The `export` command over `formats` (name -> writer)."""

    def export(
        format: str = typer.Option("csv", "--format", "-f", help="one of: csv, json (and more)"),
        out: Path | None = typer.Option(
            None, "--out", "-o", help="file to write (default: stdout)"
        ),
        include_confidential: bool = typer.Option(
            False, "--include-confidential", help="also export confidential organisations"
        ),
    ) -> None:
        """Export the directory (streamed: memory stays flat for large directories)."""
        writer = formats.get(format.lower())
        if writer is None:
            fail(f"unknown format '{format}': choose one of {', '.join(formats)}", 2)
            return
        job = ExportJob(out=out, include_confidential=include_confidential, settings=get_settings())
        with database(writes=False) as session:
            if session.get_bind().dialect.name == "postgresql":
                # One snapshot for the main query and the batched loads of phones and languages.
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            count = writer(session, job)
        hidden = "" if include_confidential else " (confidential organisations left out)"
        console.print(f"exported {count} records as {format}{hidden}", highlight=False)

    return export
