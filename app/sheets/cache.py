"""An in-process LRU of rendered sheets.

Keys are (snapshot id, format, print date). The snapshot id is computed from the data that
would be printed, fetched fresh for every request, so an edit or a verification changes the
key and an outdated sheet is never served. The print date is part of the key because it is
printed in the footer (and is not part of the snapshot id).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class CacheKey:
    snapshot_id: str
    format: str
    print_date: date


class SheetCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: CacheKey) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: CacheKey, value: bytes) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
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
