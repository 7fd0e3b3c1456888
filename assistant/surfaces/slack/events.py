"""Turn Slack payloads into questions: which events to answer, the question text, its thread."""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from typing import Any

MENTION = re.compile(r"<[@!#][^>]*>")
LINK = re.compile(r"<([^>|]+)\|([^>]*)>|<([^>]+)>")


@dataclass(frozen=True)
class SlackQuestion:
    """A question asked in Slack and where its answer goes (always a thread)."""

    text: str
    team: str
    channel: str
    user: str
    thread_ts: str
    delivery_keys: tuple[str, ...]

    @property
    def conversation_id(self) -> str:
        """One Hindsight conversation per Slack thread (stable, fits the 64-char id column)."""
        cid = f"slack:{self.team}:{self.channel}:{self.thread_ts}"
        if len(cid) <= 64:
            return cid
        return "slack:" + hashlib.sha256(cid.encode()).hexdigest()[:40]


def clean_text(text: str) -> str:
    """Slack message text as plain text: mentions dropped, links to their labels, entities unescaped."""
    text = MENTION.sub(" ", text)
    text = LINK.sub(lambda m: m.group(2) or m.group(1) or m.group(3), text)
    return " ".join(html.unescape(text).split())


def question_from_envelope(envelope: dict[str, Any]) -> SlackQuestion | str:
    """The question in an event_callback, or why the event is ignored."""
    event = envelope.get("event")
    if not isinstance(event, dict):
        return "no event"
    kind = event.get("type")
    if kind == "message" and event.get("channel_type") != "im":
        return "message outside a DM"
    if kind not in ("app_mention", "message"):
        return f"event type {kind!r} not handled"
    if event.get("bot_id") or event.get("subtype") == "bot_message" or event.get("bot_profile"):
        return "message from a bot"
    if event.get("subtype"):
        return f"message subtype {event['subtype']!r} (edits, joins, deletions) ignored"
    channel, ts, user = event.get("channel"), event.get("ts"), event.get("user")
    if not (isinstance(channel, str) and isinstance(ts, str) and isinstance(user, str)):
        return "event without channel, ts or user"
    keys = [f"msg:{channel}:{ts}"]  # a DM mention can arrive as both message.im and app_mention
    if envelope.get("event_id"):
        keys.insert(0, f"event:{envelope['event_id']}")
    return SlackQuestion(
        text=clean_text(str(event.get("text") or "")),
        team=str(envelope.get("team_id") or event.get("team") or ""),
        channel=channel, user=user, thread_ts=str(event.get("thread_ts") or ts),
        delivery_keys=tuple(keys),
    )
