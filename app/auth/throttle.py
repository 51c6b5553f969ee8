"""Wrong keys from one client address, counted; past a limit, 429 until the window ends.

Keys are 256-bit, so guessing one is hopeless: this keeps a stream of wrong keys from filling
the logs and the 401s. Only failures count, and a valid key is always accepted, even from a
throttled address (someone else's mistakes behind the same network address never lock a user
out). Counts live in the process's memory: each server process counts on its own, and a restart
forgets them.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache
from starlette.requests import Request

from app.config import Settings
from app.kit.errors import TooManyRequests
from app.kit.i18n import N_

log = logging.getLogger("homeward.auth")


@dataclass
class _Window:
    started: float
    failures: int = 0
    logged: bool = False


class FailedKeyThrottle:
    """At most `limit` wrong keys per address in a window of `window_seconds` that starts with
    the address's first failure; more get TooManyRequests (429, Retry-After)."""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        max_addresses: int = 100_000,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._timer = timer
        # An address's window is dropped when it ends (or the oldest, past max_addresses).
        self._windows: TTLCache[str, _Window] = TTLCache(
            maxsize=max_addresses, ttl=window_seconds, timer=timer
        )
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> FailedKeyThrottle:
        return cls(
            limit=settings.auth_failure_limit,
            window_seconds=settings.auth_failure_window_seconds,
        )

    def record_failure(self, address: str, *, field: str) -> None:
        """Count a wrong key from `address`; raise TooManyRequests (naming `field`) once the
        address is past its limit. Logged once per address and window, not per request."""
        with self._lock:
            now = self._timer()
            window = self._windows.get(address)
            if window is None:
                window = self._windows[address] = _Window(started=now)
            window.failures += 1
            if window.failures <= self.limit:
                return
            retry_after = max(1, math.ceil(window.started + self.window_seconds - now))
            first = not window.logged
            window.logged = True
        if first:
            log.warning(
                "wrong keys from %s: more than %d within %g s; answering 429 for %d s",
                address,
                self.limit,
                self.window_seconds,
                retry_after,
            )
        raise TooManyRequests(
            N_("too many wrong keys from this address; try again in %(seconds)s s"),
            params={"seconds": retry_after},
            retry_after=retry_after,
            field=field,
        )


def record_wrong_key(request: Request, *, field: str) -> None:
    """Count a wrong key presented in `request` against its client address (the app's
    throttle, made by create_app); raises TooManyRequests past the limit."""
    throttle: FailedKeyThrottle = request.app.state.key_throttle
    throttle.record_failure(request.client.host if request.client else "unknown", field=field)
