"""A small fake Slack Web API on 127.0.0.1 that records what the bot posted, plus Slack-side signing.

Serves /api/auth.test, /api/chat.postMessage, /api/chat.postEphemeral and any /response/<id>
path (a slash command's or interaction's response_url). Used by tests and bench/.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from pydantic import SecretStr

from assistant.core.settings import Settings

BOT_USER_ID = "UHINDSIGHT"
BOT_ID = "BHINDSIGHT"
TOKEN = "xoxb-test-token"


def slack_signature_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers as Slack signs a request: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Call:
    """One request the fake received: the API method (or "response_url"), body and arrival time."""

    method: str
    path: str
    body: dict[str, Any]
    authorization: str
    at: float


class FakeSlack:
    """Context manager: a threaded HTTP server; `calls(method)` and `wait_for(method, n)` inspect it."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._changed = threading.Condition()
        self._ts = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What settings.slack_api_base_url should be."""
        return f"{self.url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        return f"{self.url}/response/{name}"

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def calls(self, method: str | None = None) -> list[Call]:
        with self._changed:
            return [c for c in self._calls if method is None or c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[Call]:
        """Block until `count` calls of method arrived (AssertionError after timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := [c for c in self._calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} {method} call(s), got {len(found)}: {self._calls}")
                self._changed.wait(left)
            return found

    def _record(self, call: Call) -> None:
        with self._changed:
            self._calls.append(call)
            self._changed.notify_all()

    def _reply(self, method: str, body: dict[str, Any], authorization: str) -> dict[str, Any]:
        if method == "response_url":
            return {"ok": True}
        if authorization != f"Bearer {TOKEN}":
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "team_id": "T1", "user": "hindsight"}
        if method == "chat.postMessage":
            ts = f"{time.time():.0f}.{next(self._ts):06d}"
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": {"ts": ts, **body}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
        return {"ok": False, "error": "unknown_method"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "json" in (self.headers.get("Content-Type") or ""):
                    body = json.loads(raw or b"{}")
                else:
                    body = dict(parse_qsl(raw.decode()))
                path = self.path.split("?")[0]
                method = "response_url" if path.startswith("/response/") else path.removeprefix("/api/")
                auth = self.headers.get("Authorization") or ""
                fake._record(Call(method, path, body, auth, time.monotonic()))
                reply = fake._reply(method, body, auth)
                out = (b"ok" if method == "response_url" else json.dumps(reply).encode())
                self.send_response(200)
                self.send_header("Content-Type", "text/plain" if method == "response_url" else "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
PUBLIC = "https://hindsight.example.com"


def slack_settings(base: Settings, tmp_path: Path, slack: FakeSlack, **overrides: Any) -> Settings:
    """base with Slack enabled against the fake, its own database under tmp_path."""
    return base.model_copy(update={
        "data_dir": tmp_path / "data", "slack_signing_secret": SecretStr(SECRET),
        "slack_bot_token": SecretStr(TOKEN), "slack_api_base_url": slack.api_url,
        "public_base_url": PUBLIC, **overrides,
    })


def drain(client: Any) -> None:
    """Wait (bounded) until the app's SlackBot finished every queued reply."""
    assert client.app.state.slack_bot.drain(timeout=60)


def signed_post(client: Any, path: str, body: bytes, content_type: str,
                secret: str = SECRET, timestamp: int | None = None, **headers: str) -> Any:
    """POST body to path of a TestClient/httpx client, signed as Slack signs it."""
    all_headers = {"Content-Type": content_type, **slack_signature_headers(secret, body, timestamp), **headers}
    return client.post(path, content=body, headers=all_headers)


def mention_envelope(text: str, ts: str, event_id: str, channel: str = "C1", user: str = "UPM",
                     thread_ts: str | None = None, **event: Any) -> dict[str, Any]:
    """An Events API event_callback carrying an app_mention (override fields via **event)."""
    inner: dict[str, Any] = {"type": "app_mention", "text": f"<@{BOT_USER_ID}> {text}", "user": user,
                             "ts": ts, "channel": channel, "event_ts": ts, **event}
    if thread_ts:
        inner["thread_ts"] = thread_ts
    return {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()), "event": inner,
            "authorizations": [{"user_id": BOT_USER_ID, "is_bot": True}]}
