"""Where answers come from: the pipeline in this process, or a running server (--url).

Both return the same JSON shapes as the API (hits of /api/search, the answer of /api/chat), so
the harness scores them identically.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.settings import Settings
from assistant.embed.embedder import Embedder, Kind
from eval.configs import EvalConfig
from eval.questions import Question

RETRIEVE_K = 10


class EvalError(RuntimeError):
    """The evaluation cannot run (no index can be built, server unreachable, …)."""


@dataclass
class Outcome:
    """What a backend returned for one question."""

    hits: list[dict[str, Any]]
    answer: dict[str, Any]
    total_ms: float


class Backend(ABC):
    """Seam: answer one question and list its top-k passages."""

    @abstractmethod
    def ask(self, question: Question) -> Outcome:
        """The answer (asked first, so its trace times a cold query) and the top-10 hits."""


class InProcessBackend(Backend):
    """The real pipeline over an index built for the configuration."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline

    def ask(self, question: Question) -> Outcome:
        from assistant.retrieve.retriever import Filters

        filters = Filters.from_json(question.filters)
        started = time.perf_counter()
        answer = self.pipeline.answer(question.question, filters=filters)
        total_ms = (time.perf_counter() - started) * 1000
        hits = self.pipeline.search(question.question, k=RETRIEVE_K, filters=filters)
        return Outcome([h.to_json() for h in hits], answer.to_json(), total_ms)


class HttpBackend(Backend):
    """A running Hindsight server: POST /api/chat, then POST /api/search."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 120.0, client: Any = None) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def ask(self, question: Question) -> Outcome:
        import httpx

        body: dict[str, Any] = {"question": question.question}
        if question.filters:
            body["filters"] = question.filters
        try:
            started = time.perf_counter()
            chat = self.client.post("/api/chat", json=body)
            total_ms = (time.perf_counter() - started) * 1000
            search = self.client.post("/api/search", json={**body, "k": RETRIEVE_K})
        except httpx.HTTPError as exc:
            raise EvalError(f"server unreachable: {exc}") from exc
        for response in (chat, search):
            if response.status_code != 200:
                raise EvalError(f"{response.request.url.path} returned {response.status_code}: {response.text[:200]}")
        return Outcome(search.json(), chat.json(), total_ms)


def config_settings(base: Settings, config: EvalConfig) -> Settings:
    """The base settings with the configuration's overrides, validated."""
    return type(base)(**{**base.model_dump(), **config.overrides})


def index_for(
    settings: Settings, base: Settings, cache_root: Path, embedder_factory: Callable[[], Any], progress: bool
) -> Settings:
    """Settings pointing at an index built with these ingest params: the main one if it matches."""
    from ingest.build import IngestError, build_params, run_ingest

    params = build_params(settings)
    if _main_index_matches(base, params):
        return settings.model_copy(update={"index_dir": base.index_dir})
    key = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    cached = settings.model_copy(update={"index_dir": cache_root / key})
    try:
        report = run_ingest(cached, embedder_factory, progress=progress)
    except IngestError as exc:
        raise EvalError(f"cannot build the index for evaluation: {exc}") from exc
    if not report.ok:
        raise EvalError(f"ingest produced no chunks for {params}: {report.failures}")
    return cached


def _main_index_matches(base: Settings, params: dict[str, Any]) -> bool:
    """The main index was built with these params from the corpus as it is now."""
    from assistant.store.build_store import IndexUnavailable, current_build, read_manifest
    from ingest.loaders import discover
    from ingest.plan import PreviousBuild

    build = current_build(base.index_dir)
    if build is None:
        return False
    try:
        manifest = read_manifest(build)
        return manifest.get("params") == params and PreviousBuild(build, manifest).same_sources(
            discover(base.corpus_dir))
    except (IndexUnavailable, OSError, ValueError):
        return False


def ingest_embedder(settings: Settings) -> Any:
    """The embedder with every core, remembering vectors: configurations that differ only in
    tokenizer or retrieval weights embed the same chunks and sentences once per run."""
    from assistant.embed.embedder import create_embedder

    return CachingEmbedder(create_embedder(settings.model_copy(update={"threads": os.cpu_count() or 1})))


class CachingEmbedder(Embedder):
    """Wraps an embedder; each (text, kind) is embedded at most once."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__()
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self._vectors: dict[tuple[str, str], np.ndarray] = {}

    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if (t, kind) not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.inner.embed_batch(missing, kind), strict=True):
                self._vectors[(text, kind)] = vector
        return np.vstack([self._vectors[(t, kind)] for t in texts])

    def identity(self) -> dict[str, object]:
        return self.inner.identity()
