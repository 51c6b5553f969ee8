"""`homeward sheet` (one sheet) and `homeward sheets` (every region of a country)."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.config import Settings, get_settings
from app.db import unit_of_work
from app.directory.geography import regions_by_code
from app.kit.clock import utcnow
from app.kit.errors import HomewardError, InvalidValue
from app.sheets import service
from app.sheets.schemas import SheetData, SheetFormat, SheetSize

console = Console()
err_console = Console(stderr=True)


def _fail(exc: HomewardError) -> typer.Exit:
    where = f"{exc.field}: " if exc.field else ""
    err_console.print(f"[red]error:[/red] {where}{exc.message}")
    return typer.Exit(2)


def sheet(
    country: str = typer.Argument(..., help="ISO 3166-1 alpha-2, e.g. NG"),
    region: str | None = typer.Option(None, help="ISO 3166-2 subdivision, e.g. NG-LA"),
    lang: str = typer.Option("en", help="the returnee's language (ISO 639-1)"),
    lang2: str | None = typer.Option(None, help="a second language for the officer"),
    format: SheetFormat = typer.Option(SheetFormat.PDF, "--format"),
    size: SheetSize = typer.Option(SheetSize.A4, "--size"),
    out: Path = typer.Option(..., "--out", help="file to write"),
) -> None:
    """Write one contact sheet (PDF or HTML) for a country or one of its regions."""
    try:
        params = service.checked_params(
            country=country, region=region, lang=lang, lang2=lang2, size=size
        )
        with unit_of_work(writes=False) as session:
            rendered = service.render_sheet(
                session, params=params, fmt=format, now=utcnow(), settings=get_settings()
            )
    except HomewardError as exc:
        raise _fail(exc) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(rendered.content)
    console.print(f"wrote {out} ({len(rendered.content):,} bytes, snapshot {rendered.snapshot_id})")


def _render_one(data: SheetData, fmt: SheetFormat, print_date: date, settings: Settings) -> bytes:
    return service.render_data(data, fmt=fmt, print_date=print_date, settings=settings)


def sheets(
    country: str = typer.Option(..., "--country", help="ISO 3166-1 alpha-2, e.g. NG"),
    all_regions: bool = typer.Option(
        False, "--all-regions", help="one sheet per ISO 3166-2 subdivision"
    ),
    region: list[str] = typer.Option([], "--region", help="a region (repeatable)"),
    lang: str = typer.Option("en", help="the returnee's language (ISO 639-1)"),
    lang2: str | None = typer.Option(None, help="a second language for the officer"),
    format: SheetFormat = typer.Option(SheetFormat.PDF, "--format"),
    size: SheetSize = typer.Option(SheetSize.A4, "--size"),
    out: Path = typer.Option(..., "--out", help="directory to write into"),
    jobs: int = typer.Option(
        0, "--jobs", help="render processes (0 = one per CPU, 1 = in this process)"
    ),
) -> None:
    """Write a sheet for every region of a country (or the regions given), with progress."""
    settings = get_settings()
    now = utcnow()
    try:
        base = service.checked_params(country=country, lang=lang, lang2=lang2, size=size)
        codes = list(regions_by_code(base.country)) if all_regions else region
        if not codes:
            raise InvalidValue("give --all-regions or at least one --region", field="region")
        params = [
            service.checked_params(
                country=base.country, region=code, lang=lang, lang2=lang2, size=size
            )
            for code in codes
        ]
        # Assembly needs the database and is cheap; rendering is CPU-bound and runs in
        # worker processes.
        with unit_of_work(writes=False) as session:
            datas = [
                service.assemble_sheet(session, params=p, now=now, settings=settings)
                for p in params
            ]
    except HomewardError as exc:
        raise _fail(exc) from exc

    out.mkdir(parents=True, exist_ok=True)
    workers = jobs or os.cpu_count() or 1
    written: dict[str, tuple[SheetData, Path, int]] = {}
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"sheets {base.country}", total=len(datas))

        def save(data: SheetData, content: bytes) -> None:
            path = out / service.sheet_filename(data.params, format, data.snapshot_id)
            path.write_bytes(content)
            written[data.params.region or data.params.country] = (data, path, len(content))
            progress.advance(task)

        try:
            if workers == 1:
                for data in datas:
                    save(data, _render_one(data, format, now.date(), settings))
            else:
                with ProcessPoolExecutor(max_workers=workers) as pool:
                    futures = {
                        pool.submit(_render_one, data, format, now.date(), settings): data
                        for data in datas
                    }
                    for future in as_completed(futures):
                        save(futures[future], future.result())
        except HomewardError as exc:
            raise _fail(exc) from exc

    table = Table("region", "entries", "nearest", "missing", "snapshot", "file")
    for code in codes:
        data, path, _ = written[code]
        table.add_row(
            code,
            str(len(data.entries)),
            str(sum(e.nearest for e in data.entries)),
            ", ".join(data.missing_categories),
            data.snapshot_id,
            path.name,
        )
    console.print(table)
    console.print(f"{len(written)} sheets in {out}")
