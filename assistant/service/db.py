"""The history database: its tables, engine and durability check (SQLite with WAL by default,
any SQLAlchemy URL). The only module that defines the SQL schema."""

from __future__ import annotations

import datetime as dt
import os
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
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
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


def create_schema(engine: Engine, tables: MetaData = metadata, attempts: int | None = None) -> None:
    """create_all, tolerating another process creating the same tables at the same moment
    (every worker of `hindsight serve --workers N` creates them on a fresh database).

    Each failed attempt lost a race for a table that now exists, and the next attempt's checkfirst
    skips it, so one attempt per table or index and one more always suffice (three were too few for four
    writers and four tables: a flaky test_concurrent_feedback_writers_lose_nothing, round 13)."""
    attempts = attempts or sum(1 + len(table.indexes) for table in tables.sorted_tables) + 1
    for attempt in range(attempts):
        try:
            tables.create_all(engine)
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


class Database:
    """One engine over the schema, created if missing; knows when writes cannot persist."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        create_schema(self.engine)
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

    def check_writable(self) -> None:
        """Raise StoreUnavailable when a write would not persist."""
        if reason := self.problem():
            raise StoreUnavailable(reason)

    def count(self, table: Table) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
