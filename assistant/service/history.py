"""The history store every surface uses: conversations and feedback over one database."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from assistant.service.conversations import ConversationStore
from assistant.service.db import Database
from assistant.service.feedback import FeedbackStore


class HistoryStore(ConversationStore, FeedbackStore):
    """Conversation history and answer feedback; one instance per app, thread-safe via the pool."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)

    @property
    def engine(self) -> Engine:
        return self.db.engine

    def problem(self) -> str | None:
        """Why writes cannot persist right now, or None."""
        return self.db.problem()

    def count(self, table: Table) -> int:
        return self.db.count(table)
