"""A lean threadpool for the hot read routes.

FastAPI runs `def` routes through anyio's `to_thread.run_sync`, whose bookkeeping (capacity
limiter, cancel scopes, a portal per call) costs more CPU per request than the whole search
query on SQLite. The read routes that every officer hits await `in_thread` instead: a plain
`ThreadPoolExecutor` behind `loop.run_in_executor`, with the caller's context variables.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# More threads than database connections only queue at the pool; 16 covers PostgreSQL's
# default pool (5 + 10 overflow) and leaves SQLite's 4 connections always busy.
_EXECUTOR = ThreadPoolExecutor(max_workers=16, thread_name_prefix="homeward-read")


async def in_thread(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run blocking `fn` in the read threadpool and await its result."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, call)
