"""An in-process LRU of rendered sheets.

Rendered bytes are keyed by (snapshot id, format, print date). The print date is part of the
key because it is printed in the footer (and is not part of the snapshot id).

A repeat does not assemble the sheet to learn its snapshot id: the service first computes a
fingerprint of everything that decides what the sheet prints (the versions of the offices,
organisations and phones that would be on it, fetched fresh for every request; see
service.sheet_fingerprint), and the cache remembers which snapshot id each fingerprint
assembled to. An edit or a verification changes the fingerprint, so an outdated sheet is
never served; an edit that prints nothing new finds the same snapshot's bytes again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class CacheKey:
    snapshot_id: str
    format: str
    print_date: date


class _Lru(Generic[K, V]):
    """A bounded mapping that forgets the least recently used entry (not thread-safe)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        if self.max_entries <= 0:
            return
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class SheetCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: _Lru[CacheKey, bytes] = _Lru(max_entries)
        # fingerprint -> snapshot id; a few fingerprints may share one snapshot.
        self._snapshots: _Lru[str, str] = _Lru(max_entries)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
            return value

    def put(self, key: CacheKey, value: bytes) -> None:
        with self._lock:
            self._items.put(key, value)

    def snapshot_for(self, fingerprint: str) -> str | None:
        """The snapshot id a sheet with this fingerprint assembled to, if seen lately."""
        with self._lock:
            return self._snapshots.get(fingerprint)

    def remember(self, fingerprint: str, snapshot_id: str) -> None:
        with self._lock:
            self._snapshots.put(fingerprint, snapshot_id)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._snapshots.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)


_caches: dict[int, SheetCache] = {}
_caches_lock = threading.Lock()


def sheet_cache(max_entries: int) -> SheetCache:
    """The process-wide cache (one per configured size)."""
    with _caches_lock:
        if max_entries not in _caches:
            _caches[max_entries] = SheetCache(max_entries)
        return _caches[max_entries]
