"""`homeward feeds add|list|remove|pull`: subscriptions to other directories' ORAPIs.

The scheduler pulls them (job `feeds`); `pull` pulls one now. A feed's key is never shown.
"""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console

from app.config import get_settings
from app.db import unit_of_work
from app.interop import feeds
from app.kit.errors import HomewardError

feeds_app = typer.Typer(
    help="Feeds: other directories' ORAPIs pulled into the review queue.", no_args_is_help=True
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def _fail(exc: HomewardError) -> None:
    where = f"{exc.field}: " if exc.field else ""
    err_console.print(f"error: {where}{exc.message}", markup=False, highlight=False)
    raise typer.Exit(1)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


@feeds_app.command("add")
def add(
    name: str = typer.Argument(..., help="How the feed is named in the queue: 'feed: NAME'."),
    url: str = typer.Argument(..., help="The ORAPI's base URL, e.g. https://example.org/hsds"),
    key: str | None = typer.Option(None, "--key", help="The remote's API key (never shown)."),
) -> None:
    """Subscribe to a remote ORAPI; the scheduler pulls it into the review queue."""
    try:
        with unit_of_work() as session:
            feed = feeds.add_feed(session, name=name, url=url, api_key=key, created_by="cli")
            shown = feeds.list_feeds(session)
    except HomewardError as exc:
        _fail(exc)
        return
    url_shown = next(f.url for f in shown if f.name == feed.name)
    console.print(
        f"feed '{feed.name}' added: {url_shown}" + (" (with a key)" if key else ""),
        markup=False,
        highlight=False,
    )


@feeds_app.command("remove")
def remove(name: str = typer.Argument(...)) -> None:
    """Unsubscribe; what the feed queued stays in the review queue."""
    try:
        with unit_of_work() as session:
            feeds.remove_feed(session, name=name)
    except HomewardError as exc:
        _fail(exc)
    console.print(f"feed '{name}' removed", markup=False, highlight=False)


@feeds_app.command("list")
def list_command() -> None:
    """Each feed: its last pull, that pull's counts and its last error."""
    with unit_of_work(writes=False) as session:
        rows = feeds.list_feeds(session)
    if not rows:
        console.print("no feeds (add one with `homeward feeds add NAME URL --key …`)")
        return
    for f in rows:
        error = f.last_error or "none"
        if f.failures:
            error += f" ({f.failures} in a row; next pull after {_when(f.next_pull_after)})"
        lines = [
            f"{f.name}  {f.url}  (key: {'yes' if f.has_key else 'no'})",
            f"  last pull: {_when(f.last_pull_at)}; last success: {_when(f.last_success_at)}; "
            f"changes asked since: {_when(f.high_water_mark)}",
            f"  last pull's counts: {f.fetched} fetched, {f.queued} queued, "
            f"{f.superseded} superseded, {f.unchanged} unchanged, {f.refused} refused",
            f"  last error: {error}",
        ]
        console.print("\n".join(lines), markup=False, highlight=False)


@feeds_app.command("pull")
def pull(name: str = typer.Argument(...)) -> None:
    """Pull one feed now, whatever its wait after a failure. Exits 1 when the pull failed."""
    try:
        summary = feeds.pull_feed(name, settings=get_settings())
    except HomewardError as exc:
        _fail(exc)
        return
    console.print(
        f"feed '{name}': {summary.fetched} fetched, {summary.queued} queued, "
        f"{summary.superseded} superseded, {summary.unchanged} unchanged, "
        f"{summary.refused} refused",
        markup=False,
        highlight=False,
    )
    if summary.error:
        err_console.print(f"error: {summary.error}", markup=False, highlight=False)
        raise typer.Exit(1)
