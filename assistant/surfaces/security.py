"""Access and abuse limits: optional API keys for /api/*, a request-body ceiling, CORS (closed).

Keys are checked in an ASGI middleware so every /api/* route is covered, including routers
added later. The web page is same-origin: a person signs in once at /auth/login with a key and
gets an HttpOnly, SameSite=Lax cookie holding an HMAC of that key (never the key itself), so
the page's fetches to /api/* work unchanged. Lax, not Strict: a source link clicked in Slack is a
cross-site top-level GET and must carry the session; cross-site POSTs still carry no cookie.
/sources/* shows whole documents, so it needs a session too (a browser is redirected to sign in).
/docs, /redoc and /openapi.json follow the same key setting as /api/*.
/slack/* is authenticated by Slack's signature alone; /, /static, /healthz and /auth stay open.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi import HTTPException as ApiError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.core.settings import Settings

PROTECTED_PREFIX = "/api/"
# The OpenAI-compatible API and the MCP endpoint take the same Bearer keys as /api/*.
KEYED_PREFIXES = (PROTECTED_PREFIX, "/v1/", "/mcp")
PAGE_PREFIX = "/sources/"
# The API's description and its browsers need the same key as the API (open when keys are unset).
SCHEMA_PATHS = {"/openapi.json"}
DOC_PAGES = {"/docs", "/docs/oauth2-redirect", "/redoc"}
COOKIE = "hindsight_session"
SESSION_CONTEXT = b"hindsight-web-session/1"


def session_token(key: str) -> str:
    """The cookie value for a key: an HMAC, so a leaked cookie does not reveal the key."""
    return hmac.new(key.encode(), SESSION_CONTEXT, hashlib.sha256).hexdigest()


def _matches(candidate: str, secrets: list[str]) -> bool:
    """Constant-time comparison against every secret (no early exit on the first match)."""
    found = False
    for secret in secrets:
        found |= hmac.compare_digest(candidate.encode(), secret.encode())
    return found


def authorized(headers: dict[str, str], keys: list[str]) -> bool:
    """True when no keys are configured, or the request carries a valid Bearer key or session."""
    if not keys:
        return True
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credential and _matches(credential.strip(), keys):
        return True
    # Starlette's lenient parser: SimpleCookie drops every cookie when one neighbour is odd.
    session = cookie_parser(headers.get("cookie", "")).get(COOKIE)
    return session is not None and _matches(session, [session_token(k) for k in keys])


async def _send_json(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    await _send_body(send, status, {"detail": detail}, headers)


async def _send_body(send: Send, status: int, data: dict[str, Any], headers: list[tuple[bytes, bytes]]) -> None:
    body = json.dumps(data).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


class ApiKeyMiddleware:
    """401 for /api/* requests without a valid key, when keys are configured."""

    def __init__(self, app: ASGIApp, keys: list[str]) -> None:
        self.app = app
        self.keys = list(keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        api = path.startswith(KEYED_PREFIXES) or path in SCHEMA_PATHS
        page = path.startswith(PAGE_PREFIX) or path in DOC_PAGES
        if (api or page) and scope.get("method") != "OPTIONS":
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            if not authorized(headers, self.keys):
                await (_deny_api(send, path) if api else _redirect_to_login(scope, send))
                return
        await self.app(scope, receive, send)


async def _deny_api(send: Send, path: str) -> None:
    detail = "missing or invalid API key (send Authorization: Bearer <key>)"
    challenge = [(b"www-authenticate", b'Bearer realm="hindsight"')]
    await _send_error(send, path, 401, detail, challenge, ("authentication_error", "invalid_api_key"))


async def _send_error(send: Send, path: str, status: int, detail: str, headers: list[tuple[bytes, bytes]],
                      openai: tuple[str, str]) -> None:
    """An error answered before any route runs, in the shape its path documents: OpenAI clients of
    /v1/* read {"error": {"message", "type", "code"}} (`openai` gives type and code), others
    {"detail": …}. A /v1 413 used the second shape, which its schema does not allow (round 13:
    schemathesis' response check on an oversized negative example)."""
    if path.startswith("/v1/"):
        kind, code = openai
        await _send_body(send, status, {"error": {"message": detail, "type": kind, "param": None, "code": code}}, headers)
        return
    await _send_json(send, status, detail, headers)


async def _redirect_to_login(scope: Scope, send: Send) -> None:
    target = scope["path"] + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
    location = "/auth/login?" + urlencode({"next": target})
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


def safe_next(value: str) -> str:
    """Only same-site paths: "/x" yes, "//evil.example" or "https://…" no (open redirect)."""
    if value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


class BodyTooLarge(HTTPException):
    """Raised from receive(); FastAPI re-raises HTTPExceptions, so the client gets a 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body exceeds {max_bytes} bytes")


class BodyLimitMiddleware:
    """413 for bodies over the limit, by Content-Length or by counting a chunked upload.

    Paths in `larger` (file uploads) get their own, higher limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.max_bytes)
        detail = f"request body exceeds {limit} bytes"
        length = dict(scope["headers"]).get(b"content-length", b"0")
        too_large = ("invalid_request_error", "request_too_large")
        if not length.isdigit() or int(length) > limit:
            await _send_error(send, scope["path"], 413, detail if length.isdigit() else "bad Content-Length", [],
                              too_large)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:
            if not started:
                await _send_error(send, scope["path"], 413, detail, [], too_large)


LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hindsight sign-in</title>
</head><body><form method="post" action="/auth/login"><label>API key
<input name="key" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button></form>{error}</body></html>"""


def auth_router(settings: Settings) -> APIRouter:
    """/auth/login (form → session cookie) and /auth/logout for the same-origin web page."""
    router = APIRouter(prefix="/auth", include_in_schema=False)

    @router.get("/login", response_class=HTMLResponse)
    def login_form(next: str = "/") -> HTMLResponse:
        return HTMLResponse(LOGIN_PAGE.format(error="", next=html.escape(safe_next(next[:2000]))))

    @router.post("/login", response_model=None)
    async def login(request: Request) -> Any:
        # Parsed by hand: FastAPI's Form() needs python-multipart, which we do not depend on.
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        key = form.get("key", [""])[0][:512]
        target = safe_next(form.get("next", ["/"])[0][:2000])
        if not settings.api_keys or not _matches(key, settings.api_keys):
            page = LOGIN_PAGE.format(error="<p>Invalid key.</p>", next=html.escape(target))
            return HTMLResponse(page, status_code=401)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(COOKIE, session_token(key), httponly=True, samesite="lax",
                            secure=False, max_age=30 * 24 * 3600, path="/")
        return response

    @router.post("/logout")
    def logout() -> RedirectResponse:
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return router


def install_security(app: FastAPI, settings: Settings) -> None:
    """Wire key auth, the body limit and CORS (only for configured origins) into app."""
    app.include_router(auth_router(settings))
    app.add_middleware(ApiKeyMiddleware, keys=settings.api_keys)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
            allow_methods=["GET", "POST"], allow_headers=["Authorization", "Content-Type"],
        )
    # Added last so it runs first: an oversized body is refused before anything reads it.
    # Uploads may be larger: the file limit plus room for the multipart envelope.
    uploads = {"/api/library/documents": settings.max_upload_bytes + 64 * 1024}
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, larger=uploads)


def check_limits(settings: Settings, k: int | None = None, history: list[Any] | None = None) -> None:
    """422 with the reason when k or the history exceeds the configured limits."""
    if k is not None and k > settings.max_k:
        raise ApiError(422, f"k is {k}; the limit is {settings.max_k}")
    if history is not None and len(history) > settings.max_history_turns:
        raise ApiError(
            422, f"history has {len(history)} turns; the limit is {settings.max_history_turns}"
        )
