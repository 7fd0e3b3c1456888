"""Per-client cap on new conversations: a sliding one-minute window, 429 with Retry-After.

A load run created 8,000 conversations in a minute; each is a database row listed in the
web sidebar. A person starts a handful a minute; follow-ups in a conversation are not capped.
The client is its API key (or session cookie) when it sends one, else its IP address.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import deque

from fastapi import HTTPException, Request

WINDOW_SECONDS = 60.0


class ConversationLimiter:
    """At most per_minute new conversations per client in any 60-second window (0: no cap)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._starts: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> float | None:
        """None when client may start a conversation now (and counts it), else seconds to wait."""
        if self.per_minute <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            starts = self._starts.setdefault(client, deque())
            while starts and now - starts[0] >= WINDOW_SECONDS:
                starts.popleft()
            if len(starts) >= self.per_minute:
                return WINDOW_SECONDS - (now - starts[0])
            starts.append(now)
            self._forget_idle(now)
            return None

    def _forget_idle(self, now: float) -> None:
        """Drop clients whose window is empty, so the table cannot grow without bound."""
        if len(self._starts) > 10_000:
            self._starts = {k: v for k, v in self._starts.items() if v and now - v[-1] < WINDOW_SECONDS}


def client_key(request: Request, keyed: bool) -> str:
    """Who is asking: with API keys on, the (already verified) credential; else the address.

    Without keys any Authorization header is accepted unchecked, so it cannot name the client:
    a script could otherwise send a fresh one per request and never meet the cap.
    """
    credential = request.headers.get("authorization") or request.cookies.get("hindsight_session")
    if keyed and credential:
        return "key:" + hashlib.sha256(credential.encode("utf-8", "replace")).hexdigest()[:16]
    return "ip:" + (request.client.host if request.client else "unknown")


def check_new_conversation(request: Request, limiter: ConversationLimiter, keyed: bool) -> None:
    """429 with Retry-After when this client started its quota of conversations this minute."""
    wait = limiter.allow(client_key(request, keyed))
    if wait is not None:
        raise HTTPException(
            429, f"too many new conversations: at most {limiter.per_minute} per minute per client; "
                 "continue an existing one with conversation_id, or retry later",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
