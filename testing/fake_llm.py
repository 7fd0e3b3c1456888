"""A scripted OpenAI-compatible (/v1/chat/completions) and Ollama (/api/chat) server on 127.0.0.1.

Replies are queued with enqueue(); with an empty queue the responder answers (by default it
quotes the first sentence of passage 1 with a [1] citation, or echoes a follow-up question).
Streaming follows the real wire formats: SSE `data:` chunks ending in `[DONE]` for OpenAI,
newline-delimited JSON for Ollama. Delays wait on an event so stop() never hangs.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from assistant.text import split_sentences

PASSAGE = re.compile(r'<passage n="1"[^>]*>\n?(.*?)</passage>', re.S)
FOLLOW_UP = re.compile(r"<follow_up>\s*(.*?)\s*</follow_up>", re.S)


@dataclass
class Reply:
    """One scripted reply: content (streamed in `chunks` if given), or an error status/raw body."""

    content: str = ""
    status: int = 200
    delay: float = 0.0
    chunks: list[str] | None = None
    chunk_delay: float = 0.0
    raw: str | None = None

    def pieces(self) -> list[str]:
        if self.chunks is not None:
            return self.chunks
        size = max(1, len(self.content) // 4)
        return [self.content[i : i + size] for i in range(0, len(self.content), size)] or [""]


def quote_passage_one(body: dict[str, Any]) -> Reply:
    """Default responder: a supported answer quoting passage 1, or the follow-up echoed back."""
    prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    follow_up = FOLLOW_UP.search(prompt)
    if follow_up:
        return Reply(follow_up.group(1))
    match = PASSAGE.search(prompt)
    if not match:
        return Reply("")
    text = match.group(1)
    spans = [text[s:e] for s, e in split_sentences(text) if e - s >= 12] or [text.strip()]
    return Reply(spans[0] + "[1]")


@dataclass
class _State:
    queue: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    responder: Callable[[dict[str, Any]], Reply] = quote_passage_one


class FakeLLMServer:
    """Start with `with FakeLLMServer() as server:`; base URLs are server.openai_url / server.url."""

    def __init__(self, responder: Callable[[dict[str, Any]], Reply] | None = None) -> None:
        self.state = _State()
        if responder:
            self.state.responder = responder
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.state = self.state  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def openai_url(self) -> str:
        return self.url + "/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.state.requests

    def enqueue(self, *replies: Reply | str) -> None:
        """Queue replies, served in order before the responder is consulted."""
        self.state.queue.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def start(self) -> FakeLLMServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes (streams too)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test output
        return

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        state: _State = self.server.state  # type: ignore[attr-defined]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        state.requests.append({"path": self.path, "body": body, "headers": dict(self.headers)})
        reply = state.queue.popleft() if state.queue else state.responder(body)
        if reply.delay and state.stopping.wait(reply.delay):
            return
        # The client may give up first (its timeout): expected in the slow-reply tests.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._route(reply, body)

    def _route(self, reply: Reply, body: dict[str, Any]) -> None:
        if self.path.endswith("/chat/completions"):
            self._send(reply, body, _openai_json, _openai_stream, "text/event-stream")
        elif self.path == "/api/chat":
            self._send(reply, body, _ollama_json, _ollama_stream, "application/x-ndjson")
        else:
            self._raw(404, "application/json", json.dumps({"error": "not found"}).encode())

    def _send(self, reply: Reply, body: dict[str, Any], whole: Any, stream: Any, stream_type: str) -> None:
        if reply.status != 200 or reply.raw is not None:
            raw = reply.raw if reply.raw is not None else json.dumps({"error": {"message": "scripted"}})
            self._raw(reply.status, "application/json", raw.encode())
            return
        model = str(body.get("model", "fake"))
        if not body.get("stream", self.path == "/api/chat"):
            self._raw(200, "application/json", json.dumps(whole(model, reply.content)).encode())
            return
        self.send_response(200)
        self.send_header("Content-Type", stream_type)
        self.end_headers()
        state: _State = self.server.state  # type: ignore[attr-defined]
        for line in stream(model, reply.pieces()):
            self.wfile.write(line.encode())
            self.wfile.flush()
            if reply.chunk_delay and state.stopping.wait(reply.chunk_delay):
                return

    def _raw(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _openai_json(model: str, content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _openai_stream(model: str, pieces: list[str]) -> Iterator[str]:
    for i, piece in enumerate(pieces):
        delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
        chunk = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                 "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
        yield f"data: {json.dumps(chunk)}\n\n"
    yield "data: [DONE]\n\n"


def _ollama_json(model: str, content: str) -> dict[str, Any]:
    return {"model": model, "created_at": "2026-11-23T00:00:00Z",
            "message": {"role": "assistant", "content": content}, "done": True, "done_reason": "stop"}


def _ollama_stream(model: str, pieces: list[str]) -> Iterator[str]:
    for piece in pieces:
        yield json.dumps({"model": model, "created_at": "2026-11-23T00:00:00Z",
                          "message": {"role": "assistant", "content": piece}, "done": False}) + "\n"
    yield json.dumps({**_ollama_json(model, ""), "eval_count": 1, "prompt_eval_count": 1}) + "\n"
