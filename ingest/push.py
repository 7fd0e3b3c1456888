"""Push a build's stored vectors to the shared pgvector database (nothing is re-embedded)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.types import Chunk
from assistant.index.pgvector import PgVectorStore
from assistant.store.build_writer import BuildParts, read_rows


def chunk_meta(chunk: Chunk) -> dict[str, Any]:
    """The chunk's filter metadata as strings (how Filters compares values)."""
    def as_text(value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list | tuple) else str(value)

    return {key: as_text(value) for key, value in chunk.metadata.items() if value is not None}


def push_build(store: PgVectorStore, build_id: str, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
    """Rows of one build, row i = chunk i, with doc_id and metadata beside each vector."""
    store.push(build_id, vectors, [c.doc_id for c in chunks], [chunk_meta(c) for c in chunks])


def ensure_pushed(store: PgVectorStore, build: Path, build_id: str) -> bool:
    """Push an already published build whose rows are missing (e.g. after switching from FAISS)."""
    if store.has_build(build_id):
        return False
    rows = read_rows(build)
    push_build(store, build_id, [Chunk.from_json(row) for row in rows.chunks], rows.vectors)
    return True


class PgVectorMirror:
    """Each published build's vectors mirrored into pgvector; dropped builds' rows removed."""

    def __init__(self, store: PgVectorStore) -> None:
        self.store = store

    def push(self, build_id: str, parts: BuildParts) -> None:
        assert parts.vectors is not None
        push_build(self.store, build_id, parts.chunks, parts.vectors)

    def drop(self, build_id: str) -> None:
        self.store.drop(build_id)
