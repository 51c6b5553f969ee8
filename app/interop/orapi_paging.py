"""ORAPI pages: ids counted and cut in SQL, then described as Open Referral's `Page`.

A listing is a source of ids in a stable order (`SqlIds` for a query, `RankedIds` for ids
already ranked, e.g. by distance) and a loader that turns a batch of ids into documents. A
page loads only its own ids; a stream (`format=ndjson`) loads them batch by batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.kit.errors import InvalidValue

MAX_PER_PAGE = 200
# `minimal` pages carry two or three fields per service, and the spec asks that they hold
# every service in one call when possible.
MAX_MINIMAL_PER_PAGE = 10_000
DEFAULT_PER_PAGE = 50
STREAM_BATCH = 500

Loader = Callable[[Session, list[int]], list[dict[str, Any]]]
# A page, or (format=ndjson) every record of the listing, one document after another.
Answer = dict[str, Any] | Iterator[dict[str, Any]]


@dataclass(frozen=True)
class Paging:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Listing:
    """How a list is asked for: which page and shape, or every record as a stream."""

    page: int = 1
    per_page: int | None = None
    full: bool = False
    minimal: bool = False
    full_service: bool = False
    stream: bool = False

    def paging(self) -> Paging:
        most = MAX_MINIMAL_PER_PAGE if self.minimal else MAX_PER_PAGE
        return paging(self.page, self.per_page, most=most)


def paging(page: int, per_page: int | None, *, most: int = MAX_PER_PAGE) -> Paging:
    """Checked paging: page 1 or more, per_page between 1 and `most` (default: 50, or `most`
    when that is below 50)."""
    if page < 1:
        raise InvalidValue("must be 1 or more", field="page")
    if per_page is None:
        per_page = min(DEFAULT_PER_PAGE, most) if most <= MAX_PER_PAGE else most
    if not 1 <= per_page <= most:
        raise InvalidValue(f"must be between 1 and {most}", field="per_page")
    return Paging(page=page, per_page=per_page)


def page_doc(items: list[dict[str, Any]], *, total: int, paging: Paging) -> dict[str, Any]:
    """One page as ORAPI's `Page`: true totals on every page, including past the last one."""
    total_pages = math.ceil(total / paging.per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": paging.page,
        "size": len(items),
        "first_page": paging.page == 1,
        "last_page": paging.page >= total_pages,
        "empty": not items,
        "contents": items,
    }


class IdSource(Protocol):
    def count(self, session: Session) -> int: ...

    def slice(self, session: Session, offset: int, limit: int) -> list[int]: ...

    def batches(self, session: Session, size: int) -> Iterator[list[int]]: ...


@dataclass(frozen=True)
class SqlIds:
    """The ids one query selects (one column), in the order of the unique `key` column."""

    ids: Select[Any]
    key: Any

    def count(self, session: Session) -> int:
        return int(
            session.execute(select(func.count()).select_from(self.ids.subquery())).scalar_one()
        )

    def slice(self, session: Session, offset: int, limit: int) -> list[int]:
        stmt = self.ids.order_by(self.key).limit(limit).offset(offset)
        return list(session.execute(stmt).scalars())

    def batches(self, session: Session, size: int) -> Iterator[list[int]]:
        # Keyset paging: each batch starts after the last key, so no batch re-reads the rows
        # an OFFSET would skip.
        last: int | None = None
        while True:
            stmt = self.ids if last is None else self.ids.where(self.key > last)
            batch = list(session.execute(stmt.order_by(self.key).limit(size)).scalars())
            if not batch:
                return
            yield batch
            last = batch[-1]


@dataclass(frozen=True)
class RankedIds:
    """Ids already filtered and ranked (a proximity search ranks by distance)."""

    ids: Sequence[int]

    def count(self, session: Session) -> int:
        return len(self.ids)

    def slice(self, session: Session, offset: int, limit: int) -> list[int]:
        return list(self.ids[offset : offset + limit])

    def batches(self, session: Session, size: int) -> Iterator[list[int]]:
        for start in range(0, len(self.ids), size):
            yield list(self.ids[start : start + size])


@dataclass(frozen=True)
class EmptyIds:
    """A filter that cannot match (an unknown organization or taxonomy id)."""

    def count(self, session: Session) -> int:
        return 0

    def slice(self, session: Session, offset: int, limit: int) -> list[int]:
        return []

    def batches(self, session: Session, size: int) -> Iterator[list[int]]:
        return iter(())


def one_page(session: Session, source: IdSource, load: Loader, paging: Paging) -> dict[str, Any]:
    """The page `paging` asks for: counted and cut by `source`, only its ids loaded."""
    total = source.count(session)
    ids = source.slice(session, paging.offset, paging.per_page) if paging.offset < total else []
    return page_doc(load(session, ids) if ids else [], total=total, paging=paging)


def every_document(session: Session, source: IdSource, load: Loader) -> Iterator[dict[str, Any]]:
    """Every document of the listing, read `STREAM_BATCH` at a time (for `format=ndjson`).

    The documents are read while the response streams, after the request's own session has
    finished: they are read through a session of their own on the same database (or, in
    tests, the same connection), opened at the first document and closed after the last or
    when the client goes away. One connection at a time, as for any request.
    """
    bind = session.get_bind()

    def documents() -> Iterator[dict[str, Any]]:
        with Session(bind, expire_on_commit=False) as reader:  # reads only: close() ends it
            for ids in source.batches(reader, STREAM_BATCH):
                yield from load(reader, ids)

    return documents()


def answer(session: Session, source: IdSource, load: Loader, listing: Listing) -> Answer:
    """The page `listing` asks for, or with `stream` every document. The paging is checked
    either way, and before anything streams."""
    asked = listing.paging()
    if listing.stream:
        return every_document(session, source, load)
    return one_page(session, source, load, asked)


def answer_from(items: Sequence[dict[str, Any]], listing: Listing) -> Answer:
    """`answer` over a small fixed list held in memory (the Homeward taxonomy's terms)."""
    asked = listing.paging()
    if listing.stream:
        return iter(items)
    chosen = list(items[asked.offset : asked.offset + asked.per_page])
    return page_doc(chosen, total=len(items), paging=asked)
