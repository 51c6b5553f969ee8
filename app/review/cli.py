"""`homeward review list|show|approve|reject|duplicate`: the review queue from a terminal.

Deciding needs `--as NAME`, the name of an active reviewer or admin key: decisions and
revisions carry that key, so the four-eyes rule applies here exactly as over the API.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from app.auth import service as key_service
from app.db import unit_of_work
from app.kit.errors import HomewardError
from app.kit.paging import Page
from app.kit.principal import Principal
from app.review import decisions, queue
from app.review.models import SubmissionStatus

review_app = typer.Typer(
    help="The review queue: list, show (diff), approve, reject, mark duplicate.",
    no_args_is_help=True,
)
console = Console()
err_console = Console(stderr=True)


def _fail(exc: HomewardError) -> None:
    where = f"{exc.field}: " if exc.field else ""
    err_console.print(f"[red]error:[/red] {where}{exc.message}")
    fields = exc.extra.get("fields")
    if fields:
        err_console.print("conflicting fields: " + ", ".join(fields))
    raise typer.Exit(1)


def _reviewer(session: Any, name: str) -> Principal:
    """The principal of the active reviewer or admin key called `name`."""
    keys = [
        k
        for k in key_service.list_keys(session)
        if k.name == name and k.revoked_at is None and k.role in ("reviewer", "admin")
    ]
    if not keys:
        err_console.print(
            f"[red]error:[/red] --as: no active reviewer or admin key named '{name}' "
            "(create one with `homeward keys create --role reviewer --name …`)"
        )
        raise typer.Exit(1)
    key = keys[0]
    return Principal(name=key.name, role=key.role, key_id=key.id, organization_id=None)


def _show(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


@review_app.command("list")
def list_command(
    country: str | None = typer.Option(None, help="ISO 3166-1 code, e.g. NG"),
    region: str | None = typer.Option(None, help="ISO 3166-2 code, e.g. NG-LA"),
    kind: list[str] = typer.Option([], help="correction, new_contact or closure"),
    status: list[str] = typer.Option([], help="pending (default), approved, rejected…"),
    older_than_days: int | None = typer.Option(None, "--older-than-days"),
    newest: bool = typer.Option(False, "--newest", help="newest first (default: oldest)"),
    page: int = typer.Option(1, min=1),
    per_page: int = typer.Option(50, "--per-page", min=1, max=200),
) -> None:
    """List the queue, oldest first, with counts per country."""
    filters = queue.QueueFilters(
        country=country,
        region=region,
        kinds=kind,
        statuses=status or [SubmissionStatus.PENDING.value],
        older_than_days=older_than_days,
        newest_first=newest,
    )
    try:
        with unit_of_work() as session:
            result = queue.list_queue(session, filters=filters, page=Page(page, per_page))
            counts = queue.country_counts(session, statuses=filters.statuses)
    except HomewardError as exc:
        _fail(exc)
        return
    table = Table("id", "kind", "status", "where", "contact", "fields", "from", "age", "dup?")
    for item in result.items:
        table.add_row(
            str(item.id),
            item.kind + (f" ({item.closure_reason})" if item.closure_reason else ""),
            item.status,
            item.region or item.country,
            item.title,
            ", ".join(item.fields),
            item.submitter_name,
            f"{item.age_days} d",
            "yes" if item.possible_duplicate else "",
        )
    console.print(table)
    console.print(f"page {result.page} of {result.pages}, {result.total} in all")
    if counts:
        console.print("per country: " + ", ".join(f"{c.country} {c.count}" for c in counts))


@review_app.command("show")
def show_command(submission_id: int) -> None:
    """Open a submission: field-level diff, drift since it was made, possible duplicates."""
    try:
        with unit_of_work() as session:
            review = queue.review(session, submission_id=submission_id)
    except HomewardError as exc:
        _fail(exc)
        return
    sub = review.submission
    console.print(
        f"[bold]#{sub.id}[/bold] {sub.kind} — {sub.title} ({sub.region or sub.country}) — "
        f"{sub.status}, from {sub.submitter_name} on {sub.created_at:%Y-%m-%d %H:%M} UTC"
    )
    if sub.note:
        console.print(f"note: {sub.note}")
    for claim in sub.verifications:
        console.print(
            f"the source verified it on {claim.verified_at:%Y-%m-%d %H:%M} UTC by "
            f"{claim.verified_by or sub.submitter_name} ({claim.method.value}); "
            "recorded if every field is approved"
        )
    pending = sub.status == SubmissionStatus.PENDING
    table = Table("field", "now" if pending else "before", "proposed", "when submitted", "drift")
    for row in review.diff:
        drift = ""
        if row.conflict:
            drift = f"[red]CONFLICT[/red] {row.changed_by or ''}".strip()
        elif row.drifted:
            drift = "changed since"
        table.add_row(row.path, _show(row.current), _show(row.proposed), _show(row.base), drift)
    console.print(table)
    others = [d for d in review.drift if not d.proposed_here]
    if others:
        drift_table = Table("also changed since", "value now", "by", "at")
        for d in others:
            drift_table.add_row(
                d.path, _show(d.value_now), d.changed_by, f"{d.changed_at:%Y-%m-%d}"
            )
        console.print(drift_table)
    for found in review.findings:
        console.print(
            f"[yellow]left out by the import[/yellow]: {escape(found.path)} "
            f"({escape(found.field)}) — the source gave “{escape(_show(found.value))}”: "
            f"{escape(found.reason)}",
            highlight=False,
        )
    for match in review.duplicates:
        console.print(
            f"[yellow]possible duplicate[/yellow]: {match.kind} {match.id} "
            f"({match.reason}: {match.detail}) {match.name}"
        )
    if sub.decision_reason:
        console.print(f"decision: {sub.decision_reason} ({review.decided_by})")


def _parse_edits(edits: list[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for i, raw in enumerate(edits, start=1):
        path, sep, value = raw.partition("=")
        if not sep or not path:
            err_console.print(f"[red]error:[/red] --edit #{i}: write PATH=VALUE, got '{raw}'")
            raise typer.Exit(2)
        try:
            parsed[path.strip()] = json.loads(value)
        except json.JSONDecodeError:
            parsed[path.strip()] = value
    return parsed


@review_app.command("approve")
def approve_command(
    submission_id: int,
    as_: str = typer.Option(..., "--as", help="name of your reviewer or admin key"),
    field: list[str] = typer.Option([], "--field", help="approve only these paths"),
    edit: list[str] = typer.Option([], "--edit", help="PATH=VALUE (JSON or text)"),
    resolve: list[str] = typer.Option([], "--resolve", help="overwrite this conflicting path"),
    reason: str | None = typer.Option(None, help="a note the partner can read"),
) -> None:
    """Approve all fields (or only --field ones), optionally editing values first."""
    edits = _parse_edits(edit)
    try:
        with unit_of_work() as session:
            reviewer = _reviewer(session, as_)
            sub = decisions.approve(
                session,
                submission_id=submission_id,
                reviewer=reviewer,
                fields=field or None,
                edits=edits,
                resolve_conflicts=resolve,
                reason=reason,
            )
            status = sub.status
    except HomewardError as exc:
        _fail(exc)
        return
    console.print(f"submission {submission_id}: {status}")


@review_app.command("reject")
def reject_command(
    submission_id: int,
    as_: str = typer.Option(..., "--as", help="name of your reviewer or admin key"),
    reason: str = typer.Option(..., help="why; the partner reads it"),
) -> None:
    """Reject with a reason. The directory is not touched."""
    try:
        with unit_of_work() as session:
            reviewer = _reviewer(session, as_)
            decisions.reject(session, submission_id=submission_id, reviewer=reviewer, reason=reason)
    except HomewardError as exc:
        _fail(exc)
    console.print(f"submission {submission_id}: rejected")


@review_app.command("duplicate")
def duplicate_command(
    submission_id: int,
    as_: str = typer.Option(..., "--as", help="name of your reviewer or admin key"),
    of_submission: int | None = typer.Option(None, "--of-submission"),
    of_contact: int | None = typer.Option(None, "--of-contact"),
    reason: str | None = typer.Option(None),
) -> None:
    """Mark as a duplicate of another submission or of an existing contact."""
    try:
        with unit_of_work() as session:
            reviewer = _reviewer(session, as_)
            decisions.mark_duplicate(
                session,
                submission_id=submission_id,
                reviewer=reviewer,
                of_submission_id=of_submission,
                of_office_id=of_contact,
                reason=reason,
            )
    except HomewardError as exc:
        _fail(exc)
    console.print(f"submission {submission_id}: duplicate")
