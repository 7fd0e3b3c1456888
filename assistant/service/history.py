"""Conversations, messages and feedback in SQL (SQLite with WAL by default, any SQLAlchemy URL)."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

metadata = MetaData()

conversations = Table(
    "conversations", metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False, default=""),
    Column("source", String(16), nullable=False, default="web"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

messages = Table(
    "messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(64), ForeignKey("conversations.id"), nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("answer_json", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_id", Integer, ForeignKey("messages.id")),
    Column("conversation_id", String(64)),
    Column("rating", Integer, nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations_json", Text, nullable=False, default="[]"),
    Column("config_json", Text, nullable=False, default="{}"),
    Column("source", String(16), nullable=False, default="web"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_engine(url: str) -> Engine:
    """An engine for url; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _record: Any) -> None:
            cursor = conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def _create_schema(engine: Engine, attempts: int = 3) -> None:
    """create_all, tolerating another process creating the same tables at the same moment."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except OperationalError as exc:  # checkfirst raced a concurrent CREATE TABLE; look again
            if "already exists" not in str(exc) or attempt == attempts - 1:
                raise


class StoreUnavailable(RuntimeError):
    """A write could not be made durable (database file gone, replaced or unwritable)."""


def _sqlite_file(url: str) -> Path | None:
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    return Path(path) if path and path != ":memory:" else None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


class HistoryStore:
    """Conversation history and answer feedback; one instance per app, thread-safe via the pool."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        _create_schema(self.engine)
        # SQLite keeps writing to an unlinked file: writes "succeed" and vanish. Remember the file.
        self._file = _sqlite_file(url)
        self._file_id = _identity(self._file) if self._file else None

    def problem(self) -> str | None:
        """Why writes cannot persist right now, or None (checked before every write and by /healthz)."""
        if self._file is None:
            return None
        current = _identity(self._file)
        if current is None:
            return f"database file {self._file} was deleted; restart Hindsight to recreate it"
        if current != self._file_id:
            return f"database file {self._file} was replaced; restart Hindsight to reopen it"
        return None

    def _check_writable(self) -> None:
        if reason := self.problem():
            raise StoreUnavailable(reason)

    def create_conversation(self, title: str = "", source: str = "web", conversation_id: str | None = None) -> str:
        self._check_writable()
        cid = conversation_id or uuid.uuid4().hex
        with self.engine.begin() as conn:
            _insert_conversation(conn, cid, title, source)
        return cid

    def add_turn(self, cid: str, question: str, answer_text: str, answer: dict[str, Any],
                 new: tuple[str, str] | None = None) -> int:
        """Store question and answer in one transaction, first creating the conversation when
        new=(title, source); returns the answer's message id. Nothing is stored half-way."""
        self._check_writable()
        with self.engine.begin() as conn:
            if new is not None:
                _insert_conversation(conn, cid, *new)
            _insert_message(conn, cid, "user", question, None)
            return _insert_message(conn, cid, "assistant", answer_text, answer)

    def conversation_exists(self, cid: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(conversations.c.id).where(conversations.c.id == cid)).first() is not None

    def add_message(self, cid: str, role: str, content: str, answer: dict[str, Any] | None = None) -> int:
        self._check_writable()
        with self.engine.begin() as conn:
            return _insert_message(conn, cid, role, content, answer)

    def history(self, cid: str, limit: int = 20) -> list[dict[str, str]]:
        """The last `limit` messages as {role, content}, oldest first."""
        with self.engine.connect() as conn:
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
        with self.engine.connect() as conn:
            rows = conn.execute(stmt).mappings().all()
        return [_conversation_json(r) for r in rows]

    def rename_conversation(self, cid: str, title: str) -> bool:
        """Set a conversation's title; False when it does not exist."""
        with self.engine.begin() as conn:
            result = conn.execute(update(conversations).where(conversations.c.id == cid).values(title=title[:200]))
        return bool(result.rowcount)

    def delete_conversation(self, cid: str) -> bool:
        """Remove a conversation and its messages; feedback on them is kept (detached from the message)."""
        with self.engine.begin() as conn:
            ids = select(messages.c.id).where(messages.c.conversation_id == cid)
            conn.execute(update(feedback).where(feedback.c.message_id.in_(ids)).values(message_id=None))
            conn.execute(delete(messages).where(messages.c.conversation_id == cid))
            result = conn.execute(delete(conversations).where(conversations.c.id == cid))
        return bool(result.rowcount)

    def get_conversation(self, cid: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(conversations).where(conversations.c.id == cid)).mappings().first()
            if row is None:
                return None
            rows = conn.execute(
                select(messages).where(messages.c.conversation_id == cid).order_by(messages.c.id)
            ).mappings().all()
        data = _conversation_json(row)
        data["messages"] = [_message_json(m) for m in rows]
        return data

    def add_feedback(self, **values: Any) -> int:
        self._check_writable()
        values.setdefault("created_at", _now())
        for key in ("citations_json", "config_json"):
            if not isinstance(values.get(key, ""), str):
                values[key] = json.dumps(values[key], ensure_ascii=False)
        with self.engine.begin() as conn:
            result = conn.execute(insert(feedback).values(**values))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def list_feedback(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(feedback).order_by(feedback.c.id)).mappings().all()
        return [_feedback_json(r) for r in rows]

    def count(self, table: Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


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


def _feedback_json(row: Any) -> dict[str, Any]:
    data = dict(row)
    data["citations"] = json.loads(data.pop("citations_json") or "[]")
    data["config"] = json.loads(data.pop("config_json") or "{}")
    data["created_at"] = data["created_at"].isoformat()
    return data
