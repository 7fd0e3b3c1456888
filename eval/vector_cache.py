"""Vectors remembered across evaluation runs, one store per embedder (plain .npy + .json, no pickle).

Configurations that differ in chunking or tokenizer embed the same sentences (and, for tokenizer
variants, the same chunks); with this store each text is embedded once per embedder, ever, and the
main index's vectors seed it so even the first comparison re-embeds only genuinely new texts.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embed.embedder import Embedder, Kind
from assistant.store.build_store import IndexUnavailable, load_index

KEYS = "keys.json"
VECTORS = "vectors.npy"


def text_key(text: str, kind: str) -> str:
    """Stable key of an embedded text and its kind (query/passage)."""
    return hashlib.sha1(f"{kind}\0{text}".encode()).hexdigest()


def store_dir(cache_root: Path, identity: dict[str, Any]) -> Path:
    """The store of one embedder, named by a hash of its identity."""
    digest = hashlib.sha1(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    return cache_root / "vectors" / digest


class VectorStore:
    """key -> vector, loaded from and saved to one directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._rows: dict[str, np.ndarray] = {}
        self._dirty = False
        try:
            keys = json.loads((directory / KEYS).read_text(encoding="utf-8"))
            vectors = np.load(directory / VECTORS)
        except (OSError, ValueError):
            return  # no store yet, or an unreadable one: start empty
        if len(keys) == len(vectors):
            self._rows = dict(zip(keys, vectors, strict=True))

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> np.ndarray | None:
        return self._rows.get(key)

    def vector(self, key: str) -> np.ndarray:
        """The stored vector (KeyError when absent)."""
        return self._rows[key]

    def put(self, key: str, vector: np.ndarray) -> None:
        if key not in self._rows:
            self._rows[key] = np.asarray(vector, dtype=np.float32)
            self._dirty = True

    def save(self) -> None:
        """Write keys and vectors (temp files, then rename) when anything was added."""
        if not self._dirty or not self._rows:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = list(self._rows)
        tmp_vectors = self.directory / f".{VECTORS}.{os.getpid()}.npy"
        np.save(tmp_vectors, np.vstack([self._rows[k] for k in keys]))
        tmp_keys = self.directory / f".{KEYS}.{os.getpid()}"
        tmp_keys.write_text(json.dumps(keys), encoding="utf-8")
        os.replace(tmp_vectors, self.directory / VECTORS)
        os.replace(tmp_keys, self.directory / KEYS)
        self._dirty = False

    def seed(self, texts: Sequence[str], vectors: np.ndarray, kind: str = "passage") -> None:
        """Add already-computed vectors (e.g. the main index's) under their texts."""
        for text, vector in zip(texts, vectors, strict=True):
            self.put(text_key(text, kind), vector)


class CachingEmbedder(Embedder):
    """Wraps an embedder; each (text, kind) is embedded at most once, across runs when given a store."""

    def __init__(self, inner: Embedder, store: VectorStore | None = None) -> None:
        super().__init__()
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        # `is None`, not `or`: an empty store has len 0 and is falsy, but it is where vectors go.
        self.store = store if store is not None else VectorStore(Path(os.devnull) / "none")
        self.embedded = 0  # texts actually sent to the inner embedder

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        keys = [text_key(t, kind) for t in texts]
        missing = [t for t, k in dict(zip(texts, keys, strict=True)).items() if self.store.get(k) is None]
        if missing:
            for text, vector in zip(missing, self.inner.embed_batch(missing, kind), strict=True):
                self.store.put(text_key(text, kind), vector)
            self.embedded += len(missing)
        return np.vstack([self.store.vector(k) for k in keys])

    def identity(self) -> dict[str, object]:
        return self.inner.identity()


def seed_from_index(store: VectorStore, index_dir: Path, embedder_params: dict[str, Any]) -> int:
    """Add the vectors of the index at index_dir when it was built with these embedder params."""
    try:
        index = load_index(index_dir)
    except IndexUnavailable:
        return 0
    if index.manifest.get("params", {}).get("embedder") != embedder_params:
        return 0
    before = len(store)
    store.seed([c.search_text() for c in index.chunks], np.asarray(index.vectors))
    store.seed([index.documents[s.doc_id].text[s.start:s.end] for s in index.sentences],
               np.asarray(index.sentence_vectors))
    references = (index.answerability or {}).get("offtopic") or []
    if index.offtopic_vectors is not None and len(references) == len(index.offtopic_vectors):
        store.seed(references, np.asarray(index.offtopic_vectors), kind="query")  # the model's off-topic references
    return len(store) - before
