"""Error responses in the shapes the OpenAPI states: 422 → a list of issues, others → a reason.

FastAPI's default validation handler echoes each bad input back; an input it cannot serialise
(NaN, a lone surrogate) turned the 422 into a 500. Here no error body ever carries raw input.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from assistant.service.db import StoreUnavailable
from assistant.surfaces.strict_json import StrictJsonMiddleware

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def issue(loc: list[str | int], msg: str, kind: str = "value_error") -> dict[str, Any]:
    """One entry of a 422 `detail` list (the schema's ValidationError)."""
    return {"loc": loc, "msg": msg, "type": kind}


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with location, message and type of each problem; the offending input is left out."""
    detail = [issue(list(e.get("loc", ())), str(e.get("msg", "invalid")), str(e.get("type", "value_error")))
              for e in exc.errors()]
    return JSONResponse({"detail": detail}, status_code=422)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """The reason as {"detail": str}; a 422 raised by code becomes a one-issue list like any 422."""
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=headers)
    detail: Any = exc.detail
    if exc.status_code == 422 and isinstance(detail, str):
        detail = [issue(["body"], detail)]
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette names only the first route's).

    Each method is tried against the routes as the router itself would match it, so routes in
    included routers (and added later) count too.
    """
    routes = request.app.router.routes
    return [method for method in METHODS
            if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)]


async def store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """503: the write could not be made durable, so the client must not believe it was."""
    reason = str(exc) if isinstance(exc, StoreUnavailable) else f"{type(exc).__name__}: {getattr(exc, 'orig', '')}"
    return JSONResponse({"detail": f"database unavailable: {reason}"}, status_code=503,
                        headers={"Retry-After": "30"})


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers and the strict JSON check on app."""
    app.add_exception_handler(StoreUnavailable, store_unavailable)
    app.add_exception_handler(OperationalError, store_unavailable)  # disk full, read-only, locked
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_middleware(StrictJsonMiddleware, skip_prefixes=("/slack/",))  # signed: parsed after the check
