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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from assistant.core.settings import Settings
from assistant.embed.embedder import create_embedder
from assistant.retrieve.retriever import Filters
from assistant.store.build_store import IndexUnavailable, current_build, read_manifest
from eval.configs import EvalConfig
from eval.questions import Question
from eval.vector_cache import CachingEmbedder, VectorStore, seed_from_index, store_dir
from ingest.build import IngestError, build_params, run_ingest
from ingest.loaders import discover
from ingest.plan import PreviousBuild

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
        filters = Filters.from_json(question.filters)
        started = time.perf_counter()
        answer = self.pipeline.answer(question.question, filters=filters)
        total_ms = (time.perf_counter() - started) * 1000
        hits = self.pipeline.search(question.question, k=RETRIEVE_K, filters=filters)
        return Outcome([h.to_json() for h in hits], answer.to_json(), total_ms)


class HttpBackend(Backend):
    """A running Hindsight server: POST /api/chat, then POST /api/search."""

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 120.0, client: Any = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)

    def ask(self, question: Question) -> Outcome:
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
    settings: Settings, base: Settings, cache_root: Path, embedder_factory: IngestModel, progress: bool
) -> Settings:
    """Settings pointing at an index built with these ingest params: the main one if it matches."""
    params = build_params(settings)
    if _main_index_matches(base, params):
        return settings.model_copy(update={"index_dir": base.index_dir})
    key = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    cached = settings.model_copy(update={"index_dir": cache_root / key})
    try:
        report = run_ingest(cached, embedder_factory, progress=progress)
    except IngestError as exc:
        raise EvalError(f"cannot build the index for evaluation: {exc}") from exc
    finally:
        embedder_factory.save()
    if not report.ok:
        raise EvalError(f"ingest produced no chunks for {params}: {report.failures}")
    return cached


def _main_index_matches(base: Settings, params: dict[str, Any]) -> bool:
    """The main index was built with these params from the corpus as it is now."""
    build = current_build(base.index_dir)
    if build is None:
        return False
    try:
        manifest = read_manifest(build)
        return manifest.get("params") == params and PreviousBuild(build, manifest).same_sources(
            discover(base.corpus_dir))
    except (IndexUnavailable, OSError, ValueError):
        return False


class IngestModel:
    """The embedder for building evaluation indexes, loaded on first use (only when a build is needed).

    It has every core and remembers vectors on disk per embedder, seeded from the main index, so
    configurations that differ in tokenizer or chunking embed each text once, ever.
    """

    def __init__(self, settings: Settings, cache_root: Path) -> None:
        self.settings, self.cache_root = settings, cache_root
        self._embedder: CachingEmbedder | None = None

    def __call__(self) -> CachingEmbedder:
        if self._embedder is None:
            settings = self.settings
            inner = create_embedder(settings.model_copy(update={"threads": os.cpu_count() or 1}))
            params = build_params(settings)["embedder"]
            store = VectorStore(store_dir(self.cache_root, {**inner.identity(), **params}))
            seed_from_index(store, settings.index_dir, params)
            self._embedder = CachingEmbedder(inner, store)
        return self._embedder

    def save(self) -> None:
        """Persist the vectors embedded so far (nothing when the model was never needed)."""
        if self._embedder is not None:
            self._embedder.store.save()
