"""Run configurations side by side on the same questions and collect their results."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.core.settings import Settings
from assistant.embed.embedder import create_embedder
from assistant.service.pipeline import build_pipeline
from assistant.store.build_store import IndexUnavailable
from eval.backends import (
    Backend,
    EvalError,
    HttpBackend,
    IngestModel,
    InProcessBackend,
    config_settings,
    index_for,
)
from eval.configs import EvalConfig, unavailable_reason
from eval.harness import Record, SupportJudge, run_config, summarize
from eval.questions import Question


@dataclass
class ConfigResult:
    """One configuration's records, summary and what it was run with."""

    name: str
    description: str
    params: dict[str, Any]
    records: list[Record]
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunResult:
    """All configurations of one run, plus those skipped and why."""

    configs: list[ConfigResult]
    skipped: dict[str, str]


def _bar(total: int, quiet: bool) -> Any:
    return tqdm(total=total, unit="q", disable=quiet, file=sys.stderr, dynamic_ncols=True)


def evaluate(
    configs: list[EvalConfig], questions: list[Question], base: Settings, cache_root: Path,
    url: str | None = None, api_key: str | None = None, quiet: bool = False,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr), embedder: Any = None,
) -> RunResult:
    """Evaluate each runnable configuration in-process, or the server at url."""
    embedder = embedder or create_embedder(base)
    judge = SupportJudge(embedder)
    if url:
        with _bar(len(questions), quiet) as bar:
            bar.set_description("server")
            records = run_config(questions, HttpBackend(url, api_key), judge, bar.update)
        return RunResult([_result("server", f"server at {url}", {"url": url}, records)], {})
    skipped = {c.name: r for c in configs if (r := unavailable_reason(c, base))}
    for name, reason in skipped.items():
        log(f"skipping configuration {name}: {reason}")
    runnable = [c for c in configs if c.name not in skipped]
    results = []
    factory = IngestModel(base, cache_root)
    for config in runnable:
        settings = index_for(config_settings(base, config), base, cache_root, factory, not quiet)
        backend = _pipeline_backend(settings, embedder, config.answerer)
        with _bar(len(questions), quiet) as bar:
            bar.set_description(config.name)
            records = run_config(questions, backend, judge, bar.update)
        params = {**config.overrides, "answerer": config.answerer, "index_dir": str(settings.index_dir)}
        results.append(_result(config.name, config.description, params, records))
    return RunResult(results, skipped)


def _pipeline_backend(settings: Settings, embedder: Any, answerer: str) -> Backend:
    # Each configuration starts with a cold query cache, so embed_ms is measured, not cached.
    getattr(embedder, "_query_cache", {}).clear()
    pipeline = build_pipeline(settings, embedder=embedder, answerer=answerer)
    try:
        pipeline.holder.get()
    except IndexUnavailable as exc:
        raise EvalError(str(exc)) from exc
    return InProcessBackend(pipeline)


def _result(name: str, description: str, params: dict[str, Any], records: list[Record]) -> ConfigResult:
    return ConfigResult(name, description, params, records, summarize(records))
