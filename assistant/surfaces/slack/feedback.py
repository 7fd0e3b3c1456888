"""👍/👎 clicks (block_actions) → rows in the same feedback table the web chat writes."""

from __future__ import annotations

import json
from typing import Any

from assistant.service.history import HistoryStore
from assistant.surfaces.slack.blocks import FEEDBACK_DOWN, FEEDBACK_UP

RATINGS = {FEEDBACK_UP: 1, FEEDBACK_DOWN: -1}


def feedback_actions(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The feedback button clicks in an interaction payload (other actions are not ours)."""
    if payload.get("type") != "block_actions":
        return []
    return [a for a in payload.get("actions") or [] if isinstance(a, dict) and a.get("action_id") in RATINGS]


def _button_value(action: dict[str, Any]) -> tuple[int | None, str | None]:
    try:
        value = json.loads(action.get("value") or "{}")
    except json.JSONDecodeError:
        return None, None
    if not isinstance(value, dict):
        return None, None
    message_id, cid = value.get("m"), value.get("c")
    return (message_id if isinstance(message_id, int) else None), (cid if isinstance(cid, str) else None)


def _turn(store: HistoryStore, cid: str | None, message_id: int | None) -> tuple[str, dict[str, Any]] | None:
    """(question, answer JSON) of a stored assistant message, or None when it is unknown."""
    conversation = store.get_conversation(cid) if cid and message_id else None
    messages = conversation["messages"] if conversation else []
    for i, message in enumerate(messages):
        if message["id"] == message_id and message["role"] == "assistant":
            asked = [m["content"] for m in messages[:i] if m["role"] == "user"]
            return (asked[-1] if asked else ""), (message["answer"] or {"answer": message["content"]})
    return None


def record_feedback(store: HistoryStore, payload: dict[str, Any], action: dict[str, Any]) -> int:
    """Store one click with its question, answer, citations and Slack context; returns the row id."""
    message_id, cid = _button_value(action)
    turn = _turn(store, cid, message_id)
    if turn is None:
        # Unknown message (deleted DB, forged value): keep the vote, with what the message showed.
        message_id, cid = None, None
        question, answer = "", {"answer": str((payload.get("message") or {}).get("text") or "")}
    else:
        question, answer = turn
    slack = {
        "user": (payload.get("user") or {}).get("id"),
        "team": (payload.get("team") or {}).get("id"),
        "channel": (payload.get("channel") or {}).get("id"),
        "message_ts": (payload.get("container") or {}).get("message_ts"),
    }
    return store.add_feedback(
        message_id=message_id, conversation_id=cid, rating=RATINGS[action["action_id"]],
        comment="", question=question, answer=str(answer.get("answer") or ""),
        citations_json=answer.get("citations") or [],
        config_json={"answerer": answer.get("answerer"), "slack": slack}, source="slack",
    )
