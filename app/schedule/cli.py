"""`homeward scheduler`: the scheduler process and its jobs, from the command line."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import typer
from rich.console import Console
from rich.table import Table

from app.config import get_settings
from app.db import get_engine
from app.schedule import runs
from app.schedule.scheduler import list_jobs, run_forever

console = Console()
err_console = Console(stderr=True)


def _fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


scheduler_app = typer.Typer(
    help="The job scheduler (its own process; on PostgreSQL run two for failover).",
    invoke_without_command=True,
)


@scheduler_app.callback()
def scheduler(
    ctx: typer.Context,
    list_: bool = typer.Option(False, "--list", help="print the jobs and their next run times"),
) -> None:
    """Run the scheduler until stopped (SIGTERM/Ctrl-C). Never run it inside the web app."""
    if ctx.invoked_subcommand is not None:
        return
    settings = get_settings()
    if list_:
        table = Table("job", "schedule (UTC cron)", "next run (UTC)", "what")
        for job in list_jobs(settings):
            table.add_row(
                job.name,
                job.cron,
                f"{job.next_run:%Y-%m-%d %H:%M:%S}" if job.next_run else "never",
                job.description,
            )
        console.print(table)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run_forever(settings, get_engine())


@scheduler_app.command("run-once")
def run_once(job: str = typer.Argument(..., help=", ".join(runs.JOBS))) -> None:
    """Run one job now (for operators and tests); it is recorded like a scheduled run."""
    if job not in runs.JOBS:
        _fail(f"unknown job {job!r}; choose one of {', '.join(runs.JOBS)}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    run = runs.run_job(
        job,
        settings=get_settings(),
        slot=f"manual:{datetime.now(UTC).isoformat()}:{uuid.uuid4().hex[:6]}",
        instance_id=f"cli-{uuid.uuid4().hex[:8]}",
    )
    assert run is not None
    console.print(f"{job}: {run.processed} processed in {run.detail}")


# `python -m app.schedule scheduler …`: the scheduler without loading PDF rendering and the
# web app, so a scheduler process starts quickly.
main = typer.Typer(help="Homeward's scheduler.", no_args_is_help=True)
main.add_typer(scheduler_app, name="scheduler")
