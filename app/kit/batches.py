"""Cutting work into batches (itertools.batched arrives with Python 3.12)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of `size` items (the last one shorter), consuming `items` lazily."""
    if size < 1:
        raise ValueError("size must be at least 1")
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch
