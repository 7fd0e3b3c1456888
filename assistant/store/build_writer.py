"""Write, publish and retire index builds: the only code that creates files in an index directory.

A build is written into a staging directory, renamed into `builds/`, and published by atomically
replacing the `current` symlink, so a failed or killed writer leaves the previous build serving.
The file layout itself is described in assistant/store/build_store.py (the reading side).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from assistant.core.types import Chunk, ChunkQuestion, Sentence
from assistant.index.indexes import DenseIndex, DenseSpec, LexicalIndex
from assistant.store.build_store import (
    ANSWERABILITY,
    BUILDS,
    CURRENT,
    FORMAT_VERSION,
    OFFTOPIC_VECTORS,
    QUESTION_INDEX,
    QUESTION_VECTORS,
    QUESTIONS,
    questions_by_chunk,
    read_jsonl,
)

KEEP_BUILDS = 2


class StoreBusy(RuntimeError):
    """Another process is writing to this index directory."""


@dataclass
class BuildParts:
    """Every row of a build, in index order, ready to be written."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    vectors: np.ndarray | None = None
    sentences: list[Sentence] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None
    doc_entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    embedded: int = 0
    dense: DenseSpec = field(default_factory=DenseSpec)
    answerability: dict[str, Any] | None = None
    offtopic_vectors: np.ndarray | None = None
    questions: list[ChunkQuestion] = field(default_factory=list)  # corpus/questions/, attached to chunks
    question_vectors: np.ndarray | None = None  # row i ↔ questions[i], embedded as queries


class BuildMirror(Protocol):
    """A copy of each build's rows kept outside the directory (e.g. a shared vector database)."""

    def push(self, build_id: str, parts: BuildParts) -> None:
        """Store the build's rows; called before the build becomes `current`."""

    def drop(self, build_id: str) -> None:
        """Forget a build that garbage collection removed."""


@dataclass
class StoredRows:
    """A finished build's rows read back, for copying unchanged documents into the next build."""

    documents: dict[str, dict[str, Any]]
    chunks: list[dict[str, Any]]
    vectors: np.ndarray
    sentences: list[dict[str, Any]]
    sentence_vectors: np.ndarray


def read_rows(build: Path) -> StoredRows:
    """The rows of a finished build (documents by id, chunks, sentences and their vectors)."""
    return StoredRows(
        documents={d["doc_id"]: d for d in read_jsonl(build / "documents.jsonl")},
        chunks=list(read_jsonl(build / "chunks.jsonl")),
        vectors=np.load(build / "vectors.npy"),
        sentences=list(read_jsonl(build / "sentences.jsonl")),
        sentence_vectors=np.load(build / "sentence_vectors.npy"),
    )


def new_manifest(parts: BuildParts, fields: dict[str, Any]) -> dict[str, Any]:
    """The manifest of a new build: format, id, time and counts, plus the caller's fields."""
    build_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    return {
        "format": FORMAT_VERSION,
        "build_id": build_id,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **fields,
        "counts": {
            "documents": len(parts.documents),
            "chunks": len(parts.chunks),
            "sentences": len(parts.sentences),
        },
        "documents": parts.doc_entries,
    }


def publish_build(
    index_dir: Path, parts: BuildParts, manifest: dict[str, Any], mirror: BuildMirror | None = None
) -> str:
    """Write the build, make it `current` atomically, drop old builds; returns the build id.

    A mirror receives the rows before the swap, so no reader can see a build it lacks.
    """
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    build_id = str(manifest["build_id"])
    staging = builds / f".tmp-{build_id}"
    write_build(staging, parts, manifest)
    if mirror is not None:
        mirror.push(build_id, parts)
    final = builds / build_id
    staging.rename(final)
    _swap_current(index_dir, final)
    for dropped in _collect_garbage(builds, keep=final):
        if mirror is not None:
            mirror.drop(dropped)
    return build_id


def write_build(staging: Path, parts: BuildParts, manifest: dict[str, Any]) -> None:
    """Write every file of a build into staging; the manifest goes last, then all are fsynced."""
    staging.mkdir(parents=True)
    _write_jsonl(staging / "documents.jsonl", parts.documents)
    _write_jsonl(staging / "chunks.jsonl", [c.to_json() for c in parts.chunks])
    _write_jsonl(staging / "sentences.jsonl", [s.__dict__ for s in parts.sentences])
    assert parts.vectors is not None and parts.sentence_vectors is not None
    np.save(staging / "vectors.npy", parts.vectors)
    np.save(staging / "sentence_vectors.npy", parts.sentence_vectors)
    DenseIndex.build(parts.vectors, parts.dense).save(staging)
    texts = [c.lexical_text() for c in parts.chunks]
    for tokenizer in LexicalIndex.DIRS:
        LexicalIndex.build(texts, tokenizer).save(staging)
    if parts.answerability is not None:
        (staging / ANSWERABILITY).write_text(json.dumps(parts.answerability, ensure_ascii=False, indent=1))
    if parts.offtopic_vectors is not None:
        np.save(staging / OFFTOPIC_VECTORS, parts.offtopic_vectors)
    if parts.questions:
        _write_questions(staging, parts)
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    for path in staging.rglob("*"):
        if path.is_file():
            _fsync_file(path)


def _write_questions(staging: Path, parts: BuildParts) -> None:
    """The chunks' questions, their vectors, and BM25 over each chunk's questions joined."""
    assert parts.question_vectors is not None and len(parts.question_vectors) == len(parts.questions)
    _write_jsonl(staging / QUESTIONS, [q.__dict__ for q in parts.questions])
    np.save(staging / QUESTION_VECTORS, parts.question_vectors)
    joined = questions_by_chunk(parts.questions)
    texts = [" ".join(joined.get(c.chunk_id, [])) for c in parts.chunks]
    LexicalIndex.build(texts, "bigram").save(staging, QUESTION_INDEX)


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """One writer at a time per index directory (the lock dies with the process)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".ingest.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreBusy(f"another ingest is running on {index_dir}") from exc
        yield


def drop_staging(index_dir: Path) -> list[str]:
    """Remove half-written builds a killed writer left behind (call while holding writer_lock)."""
    dropped = sorted((index_dir / BUILDS).glob(".tmp-*"))
    for stale in dropped:
        shutil.rmtree(stale, ignore_errors=True)
    return [stale.name.removeprefix(".tmp-") for stale in dropped]


def _swap_current(index_dir: Path, build: Path) -> None:
    """Point `current` at build with one atomic rename; readers see old or new, never neither."""
    tmp_link = index_dir / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(BUILDS) / build.name)
    os.replace(tmp_link, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _collect_garbage(builds: Path, keep: Path) -> list[str]:
    """Keep the newest builds (the previous one may still be served), drop the rest and staging
    leftovers; returns the dropped build ids."""
    # Newest first by when the manifest was written: build ids only have second resolution.
    finished = sorted((p for p in builds.iterdir() if not p.name.startswith(".")), key=_written, reverse=True)
    dropped = [old for old in finished[KEEP_BUILDS:] if old != keep] + list(builds.glob(".tmp-*"))
    for old in dropped:
        shutil.rmtree(old, ignore_errors=True)
    return [old.name.removeprefix(".tmp-") for old in dropped]


def _written(build: Path) -> tuple[int, str]:
    try:
        return (build / "manifest.json").stat().st_mtime_ns, build.name
    except OSError:
        return 0, build.name


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
