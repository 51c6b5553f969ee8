"""ORAPI listings: pages cut in SQL, and streams that read batch by batch."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.directory.models import Office
from app.interop import orapi_paging
from app.interop.orapi_paging import Listing, RankedIds, SqlIds, answer, every_document
from app.kit.errors import InvalidValue
from tests.interop import sample


def _load(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    return [{"id": i} for i in ids]


def test_a_stream_reads_in_keyset_batches_and_misses_nothing(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample.build(db_session)
    source = SqlIds(select(Office.id), Office.id)
    everything = source.slice(db_session, 0, 100)
    assert len(everything) == source.count(db_session) == 6
    assert [len(b) for b in source.batches(db_session, 4)] == [4, 2]
    monkeypatch.setattr(orapi_paging, "STREAM_BATCH", 4)
    streamed = [d["id"] for d in every_document(db_session, source, _load)]
    assert streamed == everything


def test_ranked_ids_keep_their_order_across_pages(db_session: Session) -> None:
    source = RankedIds([9, 3, 7, 1, 5])
    page = answer(db_session, source, _load, Listing(page=2, per_page=2))
    assert isinstance(page, dict)
    assert [d["id"] for d in page["contents"]] == [7, 1]
    assert (page["total_items"], page["total_pages"], page["last_page"]) == (5, 3, False)
    stream = answer(db_session, source, _load, Listing(stream=True))
    assert [d["id"] for d in stream] == [9, 3, 7, 1, 5]


@pytest.mark.parametrize(
    ("listing", "field"),
    [
        (Listing(page=0), "page"),
        (Listing(per_page=0), "per_page"),
        (Listing(per_page=201), "per_page"),
        (Listing(per_page=10_001, minimal=True), "per_page"),
        (Listing(per_page=201, stream=True), "per_page"),
    ],
)
def test_paging_is_checked_before_anything_is_read(
    db_session: Session, listing: Listing, field: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        answer(db_session, RankedIds([1]), _load, listing)
    assert caught.value.field == field


def test_minimal_pages_hold_every_service_by_default() -> None:
    assert Listing(minimal=True).paging().per_page == orapi_paging.MAX_MINIMAL_PER_PAGE
    assert Listing().paging().per_page == orapi_paging.DEFAULT_PER_PAGE
