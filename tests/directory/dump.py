"""A full, ordered dump of every table, to prove that a rejected write changed nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.kit.models import Base


def dump_database(session: Session) -> str:
    """Every row of every table, ordered by primary key, as text."""
    lines: list[str] = []
    for table in Base.metadata.sorted_tables:
        order = list(table.primary_key.columns) or list(table.columns)
        for row in session.execute(select(table).order_by(*order)):
            lines.append(f"{table.name} {tuple(row)!r}")
    return "\n".join(lines)


def table_counts(session: Session, *names: str) -> dict[str, int]:
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    return {n: len(session.execute(select(tables[n])).all()) for n in names}
