"""Assemble a build's rows: chunk and embed new documents, copy unchanged ones from the last build."""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from assistant.core.settings import Settings
from assistant.core.types import Chunk, Sentence
from assistant.embed.embedder import Embedder
from assistant.index.indexes import DenseSpec
from assistant.store.build_writer import BuildParts, read_rows
from ingest.chunker import ChineseChunker
from ingest.plan import PreviousBuild, ReadyDoc

# Front-matter that is bookkeeping, not something to filter or show per chunk.
NOT_CHUNK_METADATA = {"doc_id", "title", "path", "content_hash", "url", "seed"}



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
    """The previous build's rows, for copying unchanged documents."""

    def __init__(self, previous: PreviousBuild | None) -> None:
        assert previous is not None
        self.manifest = previous.manifest
        rows = read_rows(previous.path)
        self.documents, self.chunks, self.vectors = rows.documents, rows.chunks, rows.vectors
        self.sentences, self.sentence_vectors = rows.sentences, rows.sentence_vectors

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
        chunk_texts = [parts.chunks[i].search_text() for i in todo_chunks]
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
