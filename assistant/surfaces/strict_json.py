"""Refuse JSON that Python's parser accepts but JSON, UTF-8 or our recursion budget cannot carry.

json.loads takes NaN, Infinity, 1e400 (→ inf), lone surrogates ("\\ud800") and nesting up to the
interpreter's recursion limit; each later broke a response or a database write with a 500.
StrictJsonMiddleware answers such a body with a 422 whose reason never echoes the input.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_DEPTH = 32  # our largest request (feedback citations) nests 3 deep; Slack payloads about 8
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class BadJson(ValueError):
    """Well-formed JSON text whose value we refuse; the message is safe to send back."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson(f"number out of range (a {len(text)}-character literal)")
    return value


def _no_constant(name: str) -> Any:
    raise BadJson("non-finite number constant; JSON numbers are finite")


def loads_strict(raw: bytes | str) -> Any:
    """json.loads, raising BadJson for non-finite numbers, lone surrogates or deep nesting.

    Malformed JSON still raises json.JSONDecodeError, so callers can report it as they did.
    """
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError as exc:
        raise BadJson(f"JSON nested deeper than {MAX_DEPTH} levels") from exc
    except UnicodeDecodeError as exc:
        raise BadJson("body is not UTF-8 text") from exc
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer literal over Python's 4300-digit conversion limit
        if isinstance(exc, BadJson):
            raise
        raise BadJson("integer literal too long") from exc
    check_value(value)
    return value


def check_value(value: Any) -> None:
    """BadJson when value nests deeper than MAX_DEPTH or holds a string that is not valid UTF-8."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                raise BadJson(f"JSON nested deeper than {MAX_DEPTH} levels")
            children = list(item.items()) if isinstance(item, dict) else item
            for child in children:
                if isinstance(child, tuple):
                    _check_text(child[0])
                    child = child[1]
                stack.append((child, depth + 1))


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadJson(f"string contains a lone surrogate (\\u{ord(text[exc.start]):04x})") from exc


def _is_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when the type is missing, application/json or +json."""
    headers = dict(scope["headers"])
    media = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    return media in (b"", b"application/json") or (media.startswith(b"application/") and media.endswith(b"+json"))


async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    chunks, messages = [], []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


class StrictJsonMiddleware:
    """422 for JSON request bodies that loads_strict refuses; other requests pass untouched.

    Paths under skip_prefixes parse their own bodies (Slack: only after checking the signature).
    """

    def __init__(self, app: ASGIApp, skip_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.skip_prefixes = skip_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in BODY_METHODS or not _is_json(scope)
                or scope["path"].startswith(self.skip_prefixes)):
            await self.app(scope, receive, send)
            return
        body, messages = await _read_body(receive)
        problem = _problem(body)
        if problem:
            await _send_422(send, problem)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


def _problem(body: bytes) -> str | None:
    if not body:
        return None
    try:
        loads_strict(body)
    except BadJson as exc:
        return str(exc)
    except json.JSONDecodeError:
        return None  # FastAPI reports malformed JSON itself, as a 422 with the position
    return None


async def _send_422(send: Send, reason: str) -> None:
    payload = json.dumps({"detail": [{"loc": ["body"], "msg": reason, "type": "json_invalid"}]}).encode()
    await send({"type": "http.response.start", "status": 422, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
