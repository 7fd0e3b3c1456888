"""One chat turn, shared by the JSON API, the streamed web chat and Slack: history in, answer out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from assistant.answer.base import Delta
from assistant.core.types import Answer
from assistant.retrieve.retriever import Filters
from assistant.service.db import StoreUnavailable
from assistant.service.history import HistoryStore
from assistant.service.pipeline import Pipeline


class ConversationNotFound(LookupError):
    pass


@dataclass
class ChatTurn:
    """The conversation a turn belongs to and the history it was asked with.

    A new conversation is only written with its first finished turn (new=(title, source)), so a
    cancelled or failed answer leaves no empty conversation behind.
    """

    conversation_id: str
    history: list[dict[str, str]]
    new: tuple[str, str] | None = None


@dataclass
class ChatResult:
    """A finished turn: the typed answer and where it was stored."""

    answer: Answer
    conversation_id: str
    message_id: int

    def to_json(self) -> dict[str, Any]:
        """The chat response body every surface shares (assistant/surfaces/api_models.ChatResponse)."""
        return {**self.answer.to_json(), "conversation_id": self.conversation_id, "message_id": self.message_id}


@dataclass
class StreamEvent:
    """An event of a streamed answer: meta, delta, final or error."""

    event: str
    data: dict[str, Any]


class ChatService:
    """Resolve the conversation, answer with its history, persist both sides of the turn."""

    HISTORY_TURNS = 12

    def __init__(self, pipeline: Pipeline, store: HistoryStore) -> None:
        self.pipeline = pipeline
        self.store = store

    def begin(
        self, question: str, conversation_id: str | None = None,
        history: list[dict[str, str]] | None = None, source: str = "web",
        create_missing: bool = False,
    ) -> ChatTurn:
        """Find or start the conversation; explicit history wins over stored history."""
        if conversation_id and self.store.conversation_exists(conversation_id):
            stored = self.store.history(conversation_id, self.HISTORY_TURNS)
            return ChatTurn(conversation_id, history if history is not None else stored)
        if conversation_id and not create_missing:
            raise ConversationNotFound(conversation_id)
        return ChatTurn(conversation_id or uuid.uuid4().hex, history or [], new=(question[:80], source))

    def finish(self, turn: ChatTurn, question: str, answer: Answer) -> ChatResult:
        """Persist the turn; the result carries the answer with its conversation and message ids."""
        message_id = self.store.add_turn(turn.conversation_id, question, answer.text, answer.to_json(), turn.new)
        return ChatResult(answer, turn.conversation_id, message_id)

    def ask(self, question: str, filters: Filters | None = None, **kwargs: Any) -> ChatResult:
        turn = self.begin(question, **kwargs)
        answer = self.pipeline.answer(question, filters=filters, history=turn.history)
        return self.finish(turn, question, answer)

    def ask_stream(self, question: str, filters: Filters | None = None, **kwargs: Any) -> Iterator[StreamEvent]:
        """meta → delta* → final; an exception becomes one error event."""
        try:
            turn = self.begin(question, **kwargs)
            yield StreamEvent("meta", {"conversation_id": turn.conversation_id})
            for item in self.pipeline.answer_stream(question, filters=filters, history=turn.history):
                if isinstance(item, Delta):
                    yield StreamEvent("delta", {"text": item.text})
                else:
                    yield StreamEvent("final", self.finish(turn, question, item).to_json())
        except ConversationNotFound as exc:
            yield StreamEvent("error", {"detail": f"conversation {exc} not found", "status": 404})
        except StoreUnavailable as exc:
            yield StreamEvent("error", {"detail": f"database unavailable: {exc}", "status": 503})
        except Exception as exc:  # noqa: BLE001 - the stream must end with an event, not a dropped socket
            yield StreamEvent("error", {"detail": f"{type(exc).__name__}: {exc}", "status": 500})
