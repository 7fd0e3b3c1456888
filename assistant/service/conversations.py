"""Conversations and their messages: create, continue, list, search, rename, delete."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Connection

from assistant.service.db import Database, _now, conversations, feedback, messages


class ConversationStore:
    """Conversation history over the shared database; thread-safe via the engine's pool."""

    db: Database

    def create_conversation(self, title: str = "", source: str = "web", conversation_id: str | None = None) -> str:
        self.db.check_writable()
        cid = conversation_id or uuid.uuid4().hex
        with self.db.engine.begin() as conn:
            _insert_conversation(conn, cid, title, source)
        return cid

    def add_turn(self, cid: str, question: str, answer_text: str, answer: dict[str, Any],
                 new: tuple[str, str] | None = None) -> int:
        """Store question and answer in one transaction, first creating the conversation when
        new=(title, source); returns the answer's message id. Nothing is stored half-way."""
        self.db.check_writable()
        with self.db.engine.begin() as conn:
            if new is not None:
                _insert_conversation(conn, cid, *new)
            _insert_message(conn, cid, "user", question, None)
            return _insert_message(conn, cid, "assistant", answer_text, answer)

    def conversation_exists(self, cid: str) -> bool:
        with self.db.engine.connect() as conn:
            return conn.execute(select(conversations.c.id).where(conversations.c.id == cid)).first() is not None

    def add_message(self, cid: str, role: str, content: str, answer: dict[str, Any] | None = None) -> int:
        self.db.check_writable()
        with self.db.engine.begin() as conn:
            return _insert_message(conn, cid, role, content, answer)

    def history(self, cid: str, limit: int = 20) -> list[dict[str, str]]:
        """The last `limit` messages as {role, content}, oldest first."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(messages.c.role, messages.c.content)
                .where(messages.c.conversation_id == cid)
                .order_by(messages.c.id.desc()).limit(limit)
            ).all()
        return [{"role": r.role, "content": r.content} for r in reversed(rows)]

    def list_conversations(self, limit: int = 50, query: str = "") -> list[dict[str, Any]]:
        """Newest first; with query, only those whose title or any message contains it."""
        stmt = select(conversations).order_by(conversations.c.updated_at.desc()).limit(limit)
        if query.strip():
            pattern = "%" + query.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            in_messages = select(messages.c.conversation_id).where(messages.c.content.like(pattern, escape="\\"))
            stmt = stmt.where(or_(conversations.c.title.like(pattern, escape="\\"), conversations.c.id.in_(in_messages)))
        with self.db.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [_conversation_json(r) for r in rows]

    def rename_conversation(self, cid: str, title: str) -> bool:
        """Set a conversation's title; False when it does not exist."""
        with self.db.engine.begin() as conn:
            result = conn.execute(update(conversations).where(conversations.c.id == cid).values(title=title[:200]))
        return bool(result.rowcount)

    def delete_conversation(self, cid: str) -> bool:
        """Remove a conversation and its messages; feedback on them is kept (detached from the message)."""
        with self.db.engine.begin() as conn:
            ids = select(messages.c.id).where(messages.c.conversation_id == cid)
            conn.execute(update(feedback).where(feedback.c.message_id.in_(ids)).values(message_id=None))
            conn.execute(delete(messages).where(messages.c.conversation_id == cid))
            result = conn.execute(delete(conversations).where(conversations.c.id == cid))
        return bool(result.rowcount)

    def get_conversation(self, cid: str) -> dict[str, Any] | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(select(conversations).where(conversations.c.id == cid)).mappings().first()
            if row is None:
                return None
            rows = conn.execute(
                select(messages).where(messages.c.conversation_id == cid).order_by(messages.c.id)
            ).mappings().all()
        data = _conversation_json(row)
        data["messages"] = [_message_json(m) for m in rows]
        return data


def _insert_conversation(conn: Connection, cid: str, title: str, source: str) -> None:
    now = _now()
    conn.execute(insert(conversations).values(
        id=cid, title=title[:200], source=source, created_at=now, updated_at=now))


def _insert_message(conn: Connection, cid: str, role: str, content: str, answer: dict[str, Any] | None) -> int:
    result = conn.execute(insert(messages).values(
        conversation_id=cid, role=role, content=content,
        answer_json=json.dumps(answer, ensure_ascii=False) if answer else None, created_at=_now(),
    ))
    conn.execute(update(conversations).where(conversations.c.id == cid).values(updated_at=_now()))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def _conversation_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"], "title": row["title"], "source": row["source"],
        "created_at": row["created_at"].isoformat(), "updated_at": row["updated_at"].isoformat(),
    }


def _message_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"], "role": row["role"], "content": row["content"],
        "answer": json.loads(row["answer_json"]) if row["answer_json"] else None,
        "created_at": row["created_at"].isoformat(),
    }
