"""Who may change the library: an admin token (unset: nobody), a session cookie, and a CSRF check.

Scripts send the token itself in X-Admin-Token (no cookie, so nothing a foreign page can ride on).
A person signs in at /library/login and gets an HttpOnly, SameSite=Strict cookie holding an HMAC
of the token; every write from the page must also carry X-CSRF-Token (another HMAC, printed only
into the signed-in library page) and, when the browser sends one, a same-origin Origin header.
"""

from __future__ import annotations

import hashlib
import hmac
import html
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from assistant.core.settings import Settings
from assistant.surfaces.deps import SettingsDep

COOKIE = "hindsight_admin"
SESSION_CONTEXT = b"hindsight-admin-session/1"
CSRF_CONTEXT = b"hindsight-library-csrf/1"


def _mac(token: str, context: bytes) -> str:
    return hmac.new(token.encode(), context, hashlib.sha256).hexdigest()


def admin_token(settings: Settings) -> str | None:
    return settings.admin_token.get_secret_value() if settings.admin_token else None


def signed_in(request: Request, settings: Settings) -> bool:
    """True when the request carries the admin session cookie."""
    token = admin_token(settings)
    cookie = request.cookies.get(COOKIE, "")
    return bool(token and cookie) and hmac.compare_digest(cookie, _mac(token or "", SESSION_CONTEXT))


def csrf_token(settings: Settings) -> str | None:
    """The value the signed-in page sends back in X-CSRF-Token."""
    token = admin_token(settings)
    return _mac(token, CSRF_CONTEXT) if token else None


def require_writer(request: Request, settings: SettingsDep) -> None:
    """403/401 unless the request may change the library (see the module docstring)."""
    token = admin_token(settings)
    if token is None:
        raise HTTPException(403, "library writes are off: the server has no admin token (HINDSIGHT_ADMIN_TOKEN)")
    header = request.headers.get("x-admin-token", "")
    if header:
        if hmac.compare_digest(header, token):
            return
        raise HTTPException(401, "wrong admin token")
    if not signed_in(request, settings):
        raise HTTPException(401, "sign in to change the library: /library/login")
    sent = request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(sent, csrf_token(settings) or "") or not _same_origin(request):
        raise HTTPException(403, "CSRF check failed: reload the library page and try again")


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not sent by every browser for same-origin requests; the CSRF token decides
    return urlsplit(origin).netloc == request.headers.get("host", "")


WriterDep = Annotated[None, Depends(require_writer)]
LOGIN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Hindsight · 管理员登录 Admin sign-in</title>
<link rel="stylesheet" href="/static/app.css"></head><body class="page"><main class="page-main">
<p><a href="/library">← 文档库 Library</a></p><h1>管理员登录 Admin sign-in</h1>
<form method="post" action="/library/login" class="login-form"><label>管理员令牌 Admin token
<input name="token" type="password" autocomplete="current-password" required></label>
<button type="submit" class="button primary">登录 Sign in</button></form>{error}</main></body></html>"""


def admin_router(settings: Settings) -> APIRouter:
    """/library/login and /library/logout for the library page."""
    router = APIRouter(prefix="/library", include_in_schema=False)

    @router.get("/login", response_class=HTMLResponse)
    def login_form() -> HTMLResponse:
        return HTMLResponse(LOGIN_PAGE.format(error=""))

    @router.post("/login", response_model=None)
    async def login(request: Request) -> HTMLResponse | RedirectResponse:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        sent = form.get("token", [""])[0][:512]
        token = admin_token(settings)
        if token is None:
            message = "写入已关闭 Writes are off: set HINDSIGHT_ADMIN_TOKEN on the server."
            return HTMLResponse(LOGIN_PAGE.format(error=f'<p class="error">{html.escape(message)}</p>'), 403)
        if not hmac.compare_digest(sent, token):
            return HTMLResponse(LOGIN_PAGE.format(error='<p class="error">令牌错误 Wrong token.</p>'), 401)
        response = RedirectResponse("/library", status_code=303)
        response.set_cookie(COOKIE, _mac(token, SESSION_CONTEXT), httponly=True, samesite="strict",
                            max_age=12 * 3600, path="/")
        return response

    @router.post("/logout")
    def logout() -> RedirectResponse:
        response = RedirectResponse("/library", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    return router
