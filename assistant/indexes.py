"""Dense (FAISS) and lexical (bm25s) indexes behind one Index interface; plain files on disk."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.text import tokenize


@dataclass
class Query:
    """A question prepared for every index: raw text, its tokens and (lazily) its vector."""

    text: str
    tokens: list[str] = field(default_factory=list)
    vector: np.ndarray | None = None


Ranked = list[tuple[int, float]]


class Index(ABC):
    """Row-addressed index over chunks: rows are positions in chunks.jsonl."""

    @abstractmethod
    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> Ranked:
        """Top-k (row, score), best first; `allowed` is an optional array of permitted rows."""

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write the index as plain files into directory."""

    @abstractmethod
    def __len__(self) -> int: ...


class DenseIndex(Index):
    """FAISS inner-product index over L2-normalised vectors (inner product = cosine)."""

    FILE = "dense.faiss"

    def __init__(self, index: object) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @classmethod
    def load(cls, directory: Path) -> DenseIndex:
        import faiss

        return cls(faiss.read_index(str(directory / cls.FILE), faiss.IO_FLAG_MMAP))

    def save(self, directory: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(directory / self.FILE))

    def __len__(self) -> int:
        return int(self._index.ntotal)  # type: ignore[attr-defined]

    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> Ranked:
        import faiss

        if query.vector is None or len(self) == 0:
            return []
        k = min(k, len(self) if allowed is None else len(allowed))
        if k <= 0:
            return []
        vector = np.ascontiguousarray(query.vector.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed.astype(np.int64)))
        scores, rows = self._index.search(vector, k, params=params)  # type: ignore[attr-defined]
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]


class LexicalIndex(Index):
    """BM25 (bm25s) over pre-tokenised Chinese text; the tokenizer name is stored with it."""

    DIR = "bm25"

    def __init__(self, model: object, tokenizer: str) -> None:
        self._model = model
        self.tokenizer = tokenizer

    @classmethod
    def build(cls, texts: list[str], tokenizer: str) -> LexicalIndex:
        import bm25s

        model = bm25s.BM25()
        corpus = [tokenize(t, tokenizer) or [""] for t in texts]
        model.index(corpus, show_progress=False)
        return cls(model, tokenizer)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        import bm25s

        meta = json.loads((directory / cls.DIR / "tokenizer.json").read_text())
        model = bm25s.BM25.load(str(directory / cls.DIR), mmap=True)
        return cls(model, meta["tokenizer"])

    def save(self, directory: Path) -> None:
        target = directory / self.DIR
        self._model.save(str(target), show_progress=False)  # type: ignore[attr-defined]
        (target / "tokenizer.json").write_text(json.dumps({"tokenizer": self.tokenizer}))

    def __len__(self) -> int:
        return int(self._model.scores["num_docs"])  # type: ignore[attr-defined]

    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> Ranked:
        ids = self._model.get_tokens_ids(query.tokens)  # type: ignore[attr-defined]
        if not ids or len(self) == 0:
            return []
        scores = np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float32)  # type: ignore[attr-defined]
        if allowed is not None:
            masked = np.full_like(scores, -1.0)
            masked[allowed] = scores[allowed]
            scores = masked
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(r), float(scores[r])) for r in top if scores[r] > 0]
