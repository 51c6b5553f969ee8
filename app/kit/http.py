"""HTTP plumbing: one error shape for every 4xx, and a request body size limit."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.kit.errors import HomewardError


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or (str(loc[0]) if loc else "body")


def validation_body(exc: RequestValidationError) -> dict[str, Any]:
    detail = [
        {"field": _field_name(tuple(err.get("loc", ()))), "reason": err.get("msg", "invalid")}
        for err in exc.errors()
    ]
    first = detail[0] if detail else {"field": "body", "reason": "invalid"}
    return {
        "error": "validation_error",
        "message": f"{first['field']}: {first['reason']}",
        "detail": detail,
    }


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

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = {
            "error": "http_error",
            "message": str(exc.detail),
            "detail": [{"field": None, "reason": str(exc.detail)}],
        }
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(send)
                return
        received = 0
        refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse(
            {
                "error": "payload_too_large",
                "message": f"request body is over {self.max_bytes} bytes",
                "detail": [{"field": "body", "reason": f"over {self.max_bytes} bytes"}],
            },
            status_code=413,
        )
        await response({"type": "http"}, _empty_receive, send)


class _TooLarge(Exception):
    pass


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}
