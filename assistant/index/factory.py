"""Pick the dense index backend by settings: local FAISS files or the shared pgvector database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from assistant.core.settings import Settings
from assistant.index.indexes import DenseIndex, Index
from assistant.index.pgvector import PgVectorStore

# (build directory, build id) -> the dense index serving that build.
DenseOpener = Callable[[Path, str], Index]


def open_faiss(build: Path, build_id: str) -> Index:
    return DenseIndex.load(build)


def dense_opener(settings: Settings) -> DenseOpener:
    """How to open a build's dense index; the pgvector store (and its pool) is shared by builds."""
    if settings.vector_store == "pgvector":
        store = PgVectorStore.from_settings(settings)
        return lambda build, build_id: store.open(build_id)
    return open_faiss


def vector_store(settings: Settings) -> PgVectorStore | None:
    """The database ingest pushes each build's vectors to, or None when FAISS files suffice."""
    return PgVectorStore.from_settings(settings) if settings.vector_store == "pgvector" else None
