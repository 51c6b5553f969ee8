"""`homeward outreach`: whether outreach is on, and sending update requests now."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from app.config import get_settings
from app.db import unit_of_work
from app.kit.clock import utcnow
from app.outreach import reports, service
from app.outreach.jobs import run_outreach
from app.verification.cli import country_option

console = Console()
err_console = Console(stderr=True)

outreach_app = typer.Typer(
    help="Update requests by email, answered by the organisations themselves.",
    no_args_is_help=True,
)


@outreach_app.command("status")
def status(country: str | None = typer.Option(None, "--country", help="ISO code")) -> None:
    """Is outreach on (an SMTP host is set)? Offices per state of their latest request."""
    settings = get_settings()
    code = country_option(country)
    if settings.outreach_enabled:
        console.print(
            f"outreach is on: SMTP {settings.smtp_host}:{settings.smtp_port}"
            f"{' (STARTTLS)' if settings.smtp_starttls else ''}, from {settings.mail_from}; "
            f"links valid {settings.outreach_link_days} days, reminder after "
            f"{settings.outreach_reminder_days} days"
        )
    else:
        console.print("outreach is off: set HOMEWARD_SMTP_HOST to send update requests")
    with unit_of_work(writes=False) as session:
        counts = reports.state_counts(session, country=code)
    table = Table("state", "offices")
    for state, n in sorted(counts.items()):
        table.add_row(state, str(n))
    console.print(table)


@outreach_app.command("send")
def send(
    country: str | None = typer.Option(None, "--country", help="only offices in this country"),
    dry_run: bool = typer.Option(False, "--dry-run", help="print what would be sent"),
    limit: int = typer.Option(1000, "--limit", help="rows shown by --dry-run"),
) -> None:
    """Send due update requests and reminders now, and print what was sent."""
    settings = get_settings()
    code = country_option(country)
    if not settings.outreach_enabled:
        err_console.print("outreach is off: set HOMEWARD_SMTP_HOST to send update requests")
        raise typer.Exit(1)
    if dry_run:
        with unit_of_work(writes=False) as session:
            planned = service.plan(
                session, now=utcnow(), settings=settings, country=code, limit=limit
            )
        for p in planned:
            typer.echo(
                f"would send {p.kind} for office {p.office_id} to {p.email} ({p.language}): "
                f"{p.organization_name}"
            )
        typer.echo(f"{len(planned)} mails would be sent (dry run: nothing sent)")
        return
    summary = run_outreach(settings=settings, country=code)
    for request_id, to, kind, outcome in summary.mails:
        typer.echo(f"{kind} #{request_id} to {to}: {outcome}")
    typer.echo(
        f"sent {summary.sent}, reminded {summary.reminded}, bounced {summary.bounced}, "
        f"deferred {summary.deferred}, withheld {summary.withheld}; "
        f"{summary.unanswered} unanswered, {summary.expired} expired, "
        f"{summary.escalated} call tasks raised"
    )
    if summary.server_unavailable:
        err_console.print(
            f"[yellow]the SMTP server is unavailable:[/yellow] {summary.server_unavailable}; "
            "queued requests are sent on the next run"
        )
        raise typer.Exit(3)
