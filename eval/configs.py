"""Named evaluation configurations: Settings overrides plus the answerer to use."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class EvalConfig:
    """One configuration to evaluate: overrides applied to the base Settings, and an answerer."""

    name: str
    description: str
    overrides: dict[str, Any] = field(default_factory=dict)
    answerer: str = "extractive"


DEFAULT_CONFIG = "hybrid"

CONFIGS: dict[str, EvalConfig] = {c.name: c for c in [
    EvalConfig("hybrid", "default settings: chunk + sentence cosine, bigram + word BM25, term proximity, linear fusion"),
    EvalConfig("dense", "dense (FAISS) only", {"retrieval_mode": "dense"}),
    EvalConfig("bm25", "BM25 only (bigrams + jieba words)", {"retrieval_mode": "bm25"}),
    EvalConfig("hybrid-chunk200", "hybrid, 200-character chunks (overlap 50)",
               {"chunk_size": 200, "chunk_overlap": 50}),
    EvalConfig("hybrid-chunk350", "hybrid, 350-character chunks (overlap 80; the default before round 3)",
               {"chunk_size": 350, "chunk_overlap": 80}),
    EvalConfig("llm", "hybrid retrieval, LLM answerer (needs HINDSIGHT_LLM_BASE_URL)", answerer="llm"),
]}

# What `hindsight eval` runs without --config.
STANDARD = ["hybrid", "dense", "bm25", "hybrid-chunk200", "hybrid-chunk350", "llm"]


def unavailable_reason(config: EvalConfig, settings: Any = None) -> str | None:
    """Why a configuration cannot run here (None when it can)."""
    if config.answerer == "extractive":
        return None
    # lazy: `hindsight eval --list` needs no pipeline
    from assistant.service.pipeline import (
        ANSWERERS,  # lazy: `hindsight eval --list` needs no pipeline
    )

    if config.answerer not in ANSWERERS:
        return f"answerer {config.answerer!r} is not registered"
    configured = getattr(settings, "llm_base_url", "") or os.environ.get("HINDSIGHT_LLM_BASE_URL")
    if config.answerer == "llm" and not configured:
        return "HINDSIGHT_LLM_BASE_URL is not set"
    return None


def resolve(names: list[str] | None) -> list[EvalConfig]:
    """Configurations by name (comma lists allowed); 'all' is every one; None the standard set."""
    wanted: list[str] = []
    for name in names or STANDARD:
        wanted += [n.strip() for n in name.split(",") if n.strip()]
    if "all" in wanted:
        wanted = list(CONFIGS)
    unknown = [n for n in wanted if n not in CONFIGS]
    if unknown:
        raise ValueError(f"unknown configuration(s) {unknown}; known: {sorted(CONFIGS)}")
    return [CONFIGS[n] for n in dict.fromkeys(wanted)]
