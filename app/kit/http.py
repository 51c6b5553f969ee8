"""HTTP plumbing: one error shape for every 4xx and 5xx, and a request body size limit."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.database_errors import database_error
from app.kit.errors import HomewardError

log = logging.getLogger(__name__)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or (str(loc[0]) if loc else "body")


def _error_entry(err: Mapping[str, Any]) -> dict[str, Any]:
    loc = tuple(err.get("loc", ()))
    reason = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if err.get("type") == "json_invalid":
        # The location of a JSON syntax error is a character offset, not a field.
        offset = loc[1] if len(loc) > 1 else None
        where = f" at character {offset}" if offset is not None else ""
        return {
            "field": "body",
            "reason": f"malformed JSON{where}: {err.get('ctx', {}).get('error', reason)}",
        }
    return {"field": _field_name(loc), "reason": reason}


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    detail = [_error_entry(err) for err in exc.errors()]
    first = detail[0] if detail else {"field": "body", "reason": "invalid"}
    return {
        "error": "validation_error",
        "message": f"{first['field']}: {first['reason']}",
        "detail": detail,
    }


def internal_error() -> JSONResponse:
    """The JSON answer to an unexpected error (a bug): nothing was saved."""
    return JSONResponse(
        {
            "error": "internal_error",
            "message": "unexpected server error; nothing was saved",
            "detail": [{"field": None, "reason": "unexpected server error"}],
        },
        status_code=500,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    return internal_error()


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(HomewardError)
    async def _homeward(request: Request, exc: HomewardError) -> JSONResponse:
        headers = {}
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return JSONResponse(exc.to_body(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc), status_code=422)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        body = {
            "error": "version_conflict",
            "message": "the record was changed by someone else at the same moment; reload it",
            "detail": [{"field": "version", "reason": "changed concurrently"}],
        }
        return JSONResponse(body, status_code=409)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    async def _database(request: Request, exc: Exception) -> Response:
        # Answered here, never re-raised: Starlette's outermost handler would re-raise after
        # its 500 and uvicorn would then drop the client's connection.
        named = database_error(exc)
        if named is None:
            fallback = request.app.exception_handlers.get(Exception, _unexpected)
            return await fallback(request, exc)  # type: ignore[no-any-return]
        cause = getattr(exc, "orig", None) or exc
        log.warning(
            "%s %s: %s (%s: %s)",
            request.method,
            request.url.path,
            named.message,
            type(cause).__name__,
            str(cause).strip().splitlines()[0] if str(cause).strip() else "",
        )
        handler = request.app.exception_handlers[HomewardError]
        return await handler(request, named)  # type: ignore[no-any-return]

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # FastAPI's own 400 means the body could not be decoded (e.g. bytes that are not UTF-8).
        field = "body" if exc.status_code == 400 else None
        body = {
            "error": "http_error",
            "message": str(exc.detail),
            "detail": [{"field": field, "reason": str(exc.detail)}],
        }
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


# An oversized body is read and thrown away, up to this much, before the 413 is sent: a
# server that answers and closes while the client is still sending makes the kernel reset the
# connection, and clients that write the whole body before reading (urllib) then see a broken
# pipe instead of the answer. Beyond this the answer goes out at once with `Connection: close`.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, whether or not Content-Length is sent.

    The body is read (up to the limit) before the app runs and then replayed to it, so an
    oversized chunked body is refused cleanly instead of failing inside body parsing. The
    rest of an oversized body is drained (up to DRAIN_LIMIT_BYTES) before answering, so
    every client reads the 413; a client waiting for `100 Continue` is answered at once and
    never sends it.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: int | None = None
        expects_continue = False
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit():
                declared = int(value)
            elif name == b"expect" and value.lower() == b"100-continue":
                expects_continue = True
        if declared is not None and declared > self.max_bytes:
            if expects_continue or declared > DRAIN_LIMIT_BYTES:
                await self._refuse(send, close=True)
            else:
                await self._refuse(send, close=not await _drain(receive, 0))
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away before sending its body
            chunk = message.get("body", b"")
            received += len(chunk)
            more = message.get("more_body", False)
            if received > self.max_bytes:
                drained = not more or await _drain(receive, received)
                await self._refuse(send, close=not drained)
                return
            chunks.append(chunk)
            if not more:
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, send: Send, *, close: bool) -> None:
        response = JSONResponse(
            {
                "error": "payload_too_large",
                "message": f"request body is over {self.max_bytes} bytes",
                "detail": [{"field": "body", "reason": f"over {self.max_bytes} bytes"}],
            },
            status_code=413,
            headers={"Connection": "close"} if close else None,
        )
        await response({"type": "http"}, _empty_receive, send)


async def _drain(receive: Receive, received: int) -> bool:
    """Read and discard the rest of a request body; False if it ran past DRAIN_LIMIT_BYTES
    (the connection must then close) or the client went away."""
    while received <= DRAIN_LIMIT_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return False
        received += len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
