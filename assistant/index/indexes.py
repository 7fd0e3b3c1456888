"""Dense (FAISS) and lexical (bm25s) indexes behind one Index interface; plain files on disk."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.text import tokenize


@dataclass
class Query:
    """A question prepared for every index: raw text, its bigram and word tokens, its vector,
    and its content words (jieba's precise words minus question scaffolding, for term proximity)."""

    text: str
    tokens: list[str] = field(default_factory=list)
    vector: np.ndarray | None = None
    words: list[str] = field(default_factory=list)
    content: list[str] = field(default_factory=list)

    def terms(self, tokenizer: str) -> list[str]:
        """The query's tokens for a lexical index of this tokenizer."""
        return self.words if tokenizer == "jieba" else self.tokens


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


@dataclass(frozen=True)
class DenseSpec:
    """Which FAISS index to build and how to search it; kind "auto" is resolved by size."""

    kind: str = "flat"
    flat_max: int = 200_000
    large: str = "hnsw"
    hnsw_m: int = 32
    ef_construction: int = 64
    ef_search: int = 256
    nlist: int = 0
    nprobe: int = 32
    pq_m: int = 48
    refine: int = 100  # recall@10 on real queries at 100k: 0.69 (x10), 0.94 (x100); bench/scale.py

    @classmethod
    def from_settings(cls, s: Any) -> DenseSpec:
        return cls(
            s.faiss_index, s.faiss_flat_max, s.faiss_large_index, s.faiss_hnsw_m,
            s.faiss_hnsw_ef_construction, s.faiss_hnsw_ef_search, s.faiss_ivf_nlist,
            s.faiss_ivf_nprobe, s.faiss_pq_m, s.faiss_ivf_refine,
        )

    def resolve(self, n: int) -> str:
        """The concrete kind for n vectors: exact (Flat) while that is affordable."""
        if self.kind != "auto":
            return self.kind
        return "flat" if n <= self.flat_max else self.large


class DenseIndex(Index):
    """FAISS inner-product index over L2-normalised vectors (inner product = cosine).

    Flat is exact; HNSW and IVF-PQ are approximate and used above `flat_max` chunks. IVF-PQ
    re-ranks `refine`×k candidates with the exact vectors (PQ codes alone lose too much recall).
    dense.json records the kind and its search-time parameters beside dense.faiss.
    """

    FILE = "dense.faiss"
    META = "dense.json"

    def __init__(
        self, index: object, kind: str = "flat", ef_search: int = 256, nprobe: int = 32, refine: int = 0
    ) -> None:
        self._index: Any = index
        self.kind, self.ef_search, self.nprobe, self.refine = kind, ef_search, nprobe, refine

    @classmethod
    def build(cls, vectors: np.ndarray, spec: DenseSpec | None = None) -> DenseIndex:
        spec = spec or DenseSpec()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        kind = spec.resolve(len(vectors))
        index = _new_faiss_index(kind, vectors, spec)
        if len(vectors):
            index.add(vectors)
        refine = spec.refine if kind == "ivfpq" else 0
        return cls(index, kind, spec.ef_search, spec.nprobe, refine)

    @classmethod
    def load(cls, directory: Path) -> DenseIndex:
        import faiss  # lazy: keeps CLI start-up and the unchanged re-ingest (no index work) fast

        meta_path = directory / cls.META
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        index = faiss.read_index(str(directory / cls.FILE), faiss.IO_FLAG_MMAP)
        return cls(index, meta.get("kind", "flat"), meta.get("ef_search", 256), meta.get("nprobe", 32),
                   meta.get("refine", 0))

    def save(self, directory: Path) -> None:
        import faiss  # lazy: keeps CLI start-up and the unchanged re-ingest (no index work) fast

        faiss.write_index(self._index, str(directory / self.FILE))
        meta = {"kind": self.kind, "ef_search": self.ef_search, "nprobe": self.nprobe, "refine": self.refine}
        (directory / self.META).write_text(json.dumps(meta))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> Ranked:
        if query.vector is None or len(self) == 0:
            return []
        k = min(k, len(self) if allowed is None else len(allowed))
        if k <= 0:
            return []
        vector = np.ascontiguousarray(query.vector.reshape(1, -1), dtype=np.float32)
        scores, rows = self._index.search(vector, k, params=self._params(allowed))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def _params(self, allowed: np.ndarray | None) -> Any:
        """Search parameters; they carry efSearch/nprobe, so they are set even without a filter."""
        import faiss  # lazy: keeps CLI start-up and the unchanged re-ingest (no index work) fast

        sel = faiss.IDSelectorBatch(allowed.astype(np.int64)) if allowed is not None else None
        if self.kind == "hnsw":
            params: Any = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            params.efSearch = self.ef_search
        elif self.kind == "ivfpq":
            params = faiss.SearchParametersIVF()
            params.nprobe = self.nprobe
            if self.refine:
                params.sel = sel
                refine: Any = faiss.IndexRefineSearchParameters()
                refine.k_factor, refine.base_index_params = self.refine, params
                refine.referenced_objects = [params, sel]  # SWIG holds raw pointers: keep them alive
                return refine
        elif sel is None:
            return None
        else:
            params = faiss.SearchParameters()
        if sel is not None:
            params.sel = sel
            params.referenced_objects = [sel]  # SWIG holds a raw pointer: keep the selector alive
        return params


def _new_faiss_index(kind: str, vectors: np.ndarray, spec: DenseSpec) -> Any:
    import faiss  # lazy: see DenseIndex.load

    n, dim = vectors.shape
    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind == "hnsw":
        hnsw: Any = faiss.IndexHNSWFlat(dim, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = spec.ef_construction
        return hnsw
    if kind != "ivfpq":
        raise ValueError(f"unknown FAISS index kind {kind!r}; known: flat, hnsw, ivfpq")
    nlist = spec.nlist or int(2 * np.sqrt(max(n, 1)))
    nlist = max(1, min(nlist, n // 39 or 1))  # k-means wants ~39 points per list
    pq_m = max(m for m in range(1, min(spec.pq_m, dim) + 1) if dim % m == 0)
    nbits = 8 if n >= 39 * 256 else 4  # few vectors cannot train 256 centroids per sub-space
    index = faiss.IndexIVFPQ(faiss.IndexFlatIP(dim), dim, nlist, pq_m, nbits, faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.random.default_rng(0).permutation(n)[: max(nlist * 40, 20_000)]]
    index.train(sample)
    return faiss.IndexRefineFlat(index) if spec.refine else index


class LexicalIndex(Index):
    """BM25 (bm25s) over pre-tokenised Chinese text; the tokenizer name is stored with it.

    A build holds two: character bigrams in bm25/ and jieba words in bm25-words/.
    """

    DIRS = {"bigram": "bm25", "jieba": "bm25-words"}

    def __init__(self, model: object, tokenizer: str) -> None:
        self._model = model
        self.tokenizer = tokenizer

    @classmethod
    def build(cls, texts: list[str], tokenizer: str) -> LexicalIndex:
        import bm25s  # lazy: pulls scipy; only needed when a lexical index is built or loaded

        model = bm25s.BM25()
        corpus = [tokenize(t, tokenizer) or [""] for t in texts]
        model.index(corpus, show_progress=False)
        return cls(model, tokenizer)

    @classmethod
    def load(cls, directory: Path, tokenizer: str = "bigram", name: str | None = None) -> LexicalIndex:
        """The index saved in directory/name (default: the tokenizer's own directory, DIRS)."""
        import bm25s  # lazy: pulls scipy; only needed when a lexical index is built or loaded

        target = directory / (name or cls.DIRS[tokenizer])
        meta = json.loads((target / "tokenizer.json").read_text())
        model = bm25s.BM25.load(str(target), mmap=True)
        return cls(model, meta["tokenizer"])

    def save(self, directory: Path, name: str | None = None) -> None:
        target = directory / (name or self.DIRS[self.tokenizer])
        self._model.save(str(target), show_progress=False)  # type: ignore[attr-defined]
        (target / "tokenizer.json").write_text(json.dumps({"tokenizer": self.tokenizer}))

    def known(self, token: str) -> bool:
        """Whether the token occurs anywhere in the corpus (unknown words hint off-topic)."""
        return token in self._model.vocab_dict  # type: ignore[attr-defined]

    def document_frequency(self, token: str) -> int:
        """How many chunks contain the token (0 when the corpus never has it)."""
        column = self._model.vocab_dict.get(token)  # type: ignore[attr-defined]
        if column is None:
            return 0
        indptr = self._model.scores["indptr"]  # type: ignore[attr-defined]
        return int(indptr[column + 1] - indptr[column])

    def __len__(self) -> int:
        return int(self._model.scores["num_docs"])  # type: ignore[attr-defined]

    def search(self, query: Query, k: int, allowed: np.ndarray | None = None) -> Ranked:
        ids = self._model.get_tokens_ids(query.terms(self.tokenizer))  # type: ignore[attr-defined]
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
