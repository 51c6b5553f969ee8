"""Command line for verification: revalidation, freshness status, the worklist."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.config import get_settings
from app.db import unit_of_work
from app.directory.validation import checked_country
from app.kit.clock import utcnow
from app.kit.errors import HomewardError
from app.kit.paging import Page
from app.verification import jobs, reports, sweep, tasks, worklist
from app.verification.models import CheckKind

console = Console()
err_console = Console(stderr=True)

verification_app = typer.Typer(help="Freshness of the directory.", no_args_is_help=True)
tasks_app = typer.Typer(help="The verification worklist.", no_args_is_help=True)

CHECK_NAMES = {
    "phone": CheckKind.PHONE,
    "web": CheckKind.WEBSITE,
    "website": CheckKind.WEBSITE,
    "email": CheckKind.EMAIL,
}


def _fail(message: str) -> None:
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


def country_option(value: str | None) -> str | None:
    """A `--country` option's ISO code, checked (exit 2 with the reason when it is not one)."""
    if value is None:
        return None
    try:
        return checked_country(value)
    except HomewardError as exc:
        _fail(f"--country: {exc.message}")
    return None


def revalidate(
    country: str | None = typer.Option(None, "--country", help="ISO country code, e.g. NG"),
    checks_: str = typer.Option("phone,web,email", "--checks", help="comma-separated"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check, but store nothing"),
) -> None:
    """Run the automated checks now. They annotate tasks; they never verify a contact."""
    settings = get_settings()
    country = country_option(country)
    kinds: list[CheckKind] = []
    for name in filter(None, (c.strip().lower() for c in checks_.split(","))):
        if name not in CHECK_NAMES:
            _fail(f"--checks: unknown check {name!r} (phone, web, email)")
        kinds.append(CHECK_NAMES[name])
    if not kinds:
        _fail("--checks: name at least one of phone, web, email")
    with unit_of_work() as session:
        total = sweep.count_targets(session, country=country)
    with Progress(
        TextColumn("[bold]checking"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("offices"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        bar = progress.add_task("checks", total=total)
        summary = jobs.automated_checks(
            settings=settings,
            kinds=kinds,
            country=country,
            max_age_days=None,
            dry_run=dry_run,
            on_batch=lambda n, _findings: progress.advance(bar, n),
        )
    table = Table(
        "check", "results", "failed", title="revalidation" + (" (dry run)" if dry_run else "")
    )
    for kind in kinds:
        table.add_row(
            kind.value, str(summary.results[kind.value]), str(summary.failures[kind.value])
        )
    console.print(table)
    if summary.flags:
        flags = Table("flag", "count", title="flags")
        for flag, n in summary.flags.most_common():
            flags.add_row(flag, str(n))
        console.print(flags)
    console.print(
        f"{summary.offices} offices checked; {summary.stored} results stored; "
        f"{summary.annotated_tasks} tasks annotated. Checks never count as verification."
    )


@verification_app.command("status")
def status(
    country: str | None = typer.Option(None, "--country", help="ISO country code, e.g. NG"),
) -> None:
    """The freshness report: counts per state by region x category (or country x category)."""
    settings = get_settings()
    country = country_option(country)
    with unit_of_work() as session:
        report = reports.freshness_report(session, now=utcnow(), settings=settings, country=country)
    states = list(report["totals"])
    table = Table(
        "region" if country else "country",
        "category",
        *states,
        "total",
        title=f"freshness {country or 'by country'}",
    )
    for row in report["rows"]:
        place = (row.get("region") or "(nationwide)") if country else row["country"]
        table.add_row(
            place, row["category"], *(str(row["counts"][s]) for s in states), str(row["total"])
        )
    table.add_section()
    table.add_row(
        "all", "", *(str(report["totals"][s]) for s in states), str(sum(report["totals"].values()))
    )
    console.print(table)


@tasks_app.command("list")
def tasks_list(
    country: str | None = typer.Option(None, "--country"),
    region: str | None = typer.Option(None, "--region"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
) -> None:
    """The worklist, most urgent first."""
    country = country_option(country)
    now = utcnow()
    with unit_of_work() as session:
        listing = worklist.list_tasks(
            session,
            filters=worklist.TaskFilters(country=country, region=region),
            now=now,
            page=Page(size=limit),
        )
        table = Table(
            "task",
            "priority",
            "state",
            "due",
            "country",
            "region",
            "organisation",
            "phones",
            "attempts",
            title=f"{listing.total} active tasks",
        )
        for r in listing.rows:
            table.add_row(
                str(r.task.id),
                str(r.task.priority),
                tasks.effective_state(r.task, now=now).value,
                f"{r.task.due_at:%Y-%m-%d}",
                r.office.country,
                r.office.region or "-",
                r.organization.name,
                ", ".join(p.number for p in r.phones),
                str(r.task.attempts),
            )
    console.print(table)


# `python -m app.verification …`: the same commands without loading the other domains
# (PDF rendering and friends).
main = typer.Typer(help="Homeward verification commands.", no_args_is_help=True)
main.add_typer(verification_app, name="verification")
main.add_typer(tasks_app, name="tasks")
main.command("revalidate")(revalidate)
