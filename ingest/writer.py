"""Assemble a build's rows (reusing unchanged documents) and write them as plain files."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.core.settings import Settings
from assistant.core.types import Chunk, Sentence
from assistant.embed.embedder import Embedder
from assistant.index.indexes import DenseIndex, DenseSpec, LexicalIndex
from assistant.store.build_store import ANSWERABILITY
from ingest.chunker import ChineseChunker
from ingest.plan import PreviousBuild, ReadyDoc

# Front-matter that is bookkeeping, not something to filter or show per chunk.
NOT_CHUNK_METADATA = {"doc_id", "title", "path", "content_hash", "url", "seed"}


@dataclass
class BuildParts:
    documents: list[dict[str, Any]] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    vectors: np.ndarray | None = None
    sentences: list[Sentence] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None
    doc_entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    embedded: int = 0
    dense: DenseSpec = field(default_factory=DenseSpec)
    answerability: dict[str, Any] | None = None


def search_text(chunk: Chunk) -> str:
    """What the indexes see for a chunk: its title and section give it context."""
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"


def assemble(
    ready: list[ReadyDoc], previous: PreviousBuild | None, embedder: Embedder,
    settings: Settings, progress: bool,
) -> BuildParts:
    """Rows for every ready document; new/changed ones are chunked and embedded."""
    parts = BuildParts(dense=DenseSpec.from_settings(settings))
    reuse = _ReuseRows(previous) if any(d.document is None for d in ready) else None
    chunker = ChineseChunker(chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap)
    chunk_vecs: list[np.ndarray | None] = []
    sent_vecs: list[np.ndarray | None] = []
    for item in ready:
        if item.document is None:
            assert reuse is not None
            reuse.append(item, parts, chunk_vecs, sent_vecs)
        else:
            _add_fresh(item, chunker, parts, chunk_vecs, sent_vecs)
    _embed_missing(parts, embedder, chunk_vecs, sent_vecs, settings.embed_batch_size, progress)
    return parts


def _add_fresh(
    item: ReadyDoc, chunker: ChineseChunker, parts: BuildParts,
    chunk_vecs: list[np.ndarray | None], sent_vecs: list[np.ndarray | None],
) -> None:
    doc = item.document
    assert doc is not None
    meta = doc.metadata
    chunk_meta = {k: v for k, v in meta.items() if k not in NOT_CHUNK_METADATA}
    sentence_ids: dict[tuple[int, int], int] = {}
    nodes = chunker.chunk_document(doc)
    for n, node in enumerate(nodes):
        ids = []
        for start, end in node.metadata["sentences"]:
            if (start, end) not in sentence_ids:
                sentence_ids[(start, end)] = len(parts.sentences)
                parts.sentences.append(Sentence(doc.doc_id, start, end))
                sent_vecs.append(None)
            ids.append(sentence_ids[(start, end)])
        parts.chunks.append(Chunk(
            chunk_id=f"{doc.doc_id}#{n}", doc_id=doc.doc_id, text=node.text,
            start=int(node.start_char_idx or 0), end=int(node.end_char_idx or 0),
            section=node.metadata["section"], title=meta["title"], url=meta.get("url"),
            metadata=chunk_meta, sentence_ids=tuple(ids),
        ))
        chunk_vecs.append(None)
    parts.documents.append({"doc_id": doc.doc_id, "text": doc.text, "metadata": meta})
    parts.doc_entries[doc.doc_id] = _entry(item, meta, len(nodes))


def _entry(item: ReadyDoc, meta: dict[str, Any], chunks: int) -> dict[str, Any]:
    return {
        "path": item.source.relpath, "hash": item.source.content_hash, "chunks": chunks,
        "title": meta.get("title"), "doc_type": meta.get("doc_type"),
    }


class _ReuseRows:
    """The previous build's rows, grouped by document, for copying unchanged documents."""

    def __init__(self, previous: PreviousBuild | None) -> None:
        assert previous is not None
        from assistant.store.build_store import read_jsonl

        build = previous.path
        self.manifest = previous.manifest
        self.documents = {d["doc_id"]: d for d in read_jsonl(build / "documents.jsonl")}
        self.chunks = list(read_jsonl(build / "chunks.jsonl"))
        self.vectors = np.load(build / "vectors.npy")
        self.sentences = list(read_jsonl(build / "sentences.jsonl"))
        self.sentence_vectors = np.load(build / "sentence_vectors.npy")

    def append(
        self, item: ReadyDoc, parts: BuildParts,
        chunk_vecs: list[np.ndarray | None], sent_vecs: list[np.ndarray | None],
    ) -> None:
        remap: dict[int, int] = {}
        for old, row in enumerate(self.sentences):
            if row["doc_id"] == item.doc_id:
                remap[old] = len(parts.sentences)
                parts.sentences.append(Sentence(**row))
                sent_vecs.append(self.sentence_vectors[old])
        for old, row in enumerate(self.chunks):
            if row["doc_id"] == item.doc_id:
                chunk = Chunk.from_json(row)
                ids = tuple(remap[i] for i in chunk.sentence_ids)
                parts.chunks.append(Chunk.from_json({**row, "sentence_ids": ids}))
                chunk_vecs.append(self.vectors[old])
        parts.documents.append(self.documents[item.doc_id])
        parts.doc_entries[item.doc_id] = self.manifest["documents"][item.doc_id]


def _embed_missing(
    parts: BuildParts, embedder: Embedder, chunk_vecs: list[np.ndarray | None],
    sent_vecs: list[np.ndarray | None], batch_size: int, progress: bool,
) -> None:
    texts = {doc["doc_id"]: doc["text"] for doc in parts.documents}
    todo_chunks = [i for i, v in enumerate(chunk_vecs) if v is None]
    todo_sents = [i for i, v in enumerate(sent_vecs) if v is None]
    total = len(todo_chunks) + len(todo_sents)
    with tqdm(total=total, desc="embedding", unit="text", disable=not progress or not total) as bar:
        chunk_texts = [search_text(parts.chunks[i]) for i in todo_chunks]
        for i, vec in zip(todo_chunks, embedder.embed_passages(chunk_texts, batch_size, bar.update), strict=True):
            chunk_vecs[i] = vec
        sent_texts = [texts[s.doc_id][s.start : s.end] for s in (parts.sentences[i] for i in todo_sents)]
        for i, vec in zip(todo_sents, embedder.embed_passages(sent_texts, batch_size, bar.update), strict=True):
            sent_vecs[i] = vec
    parts.embedded = total
    parts.vectors = _stack(chunk_vecs, embedder.dim)
    parts.sentence_vectors = _stack(sent_vecs, embedder.dim)


def _stack(rows: list[np.ndarray | None], dim: int) -> np.ndarray:
    if not rows:
        return np.zeros((0, dim), dtype=np.float32)
    return np.vstack([np.asarray(r, dtype=np.float32) for r in rows if r is not None])


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
    texts = [search_text(c) for c in parts.chunks]
    for tokenizer in LexicalIndex.DIRS:
        LexicalIndex.build(texts, tokenizer).save(staging)
    if parts.answerability is not None:
        (staging / ANSWERABILITY).write_text(json.dumps(parts.answerability, ensure_ascii=False, indent=1))
    (staging / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    for path in staging.rglob("*"):
        if path.is_file():
            _fsync_file(path)


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
