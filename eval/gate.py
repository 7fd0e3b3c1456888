"""The committed baseline (eval/baseline.json) and the regression gate CI runs against it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

TOLERANCE = 0.02
GATED = [
    "hit@1", "hit@3", "hit@5", "hit@10", "recall@5", "recall@10", "mrr@10", "ndcg@10",
    "citation_recall", "citation_precision",
]


def load_baseline(path: Path) -> dict[str, Any]:
    """The baseline file; ValueError with the reason when it is missing or malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read baseline {path}: {exc}; create it with --update-baseline") from exc
    if not isinstance(data.get("metrics"), dict):
        raise ValueError(f"baseline {path} has no 'metrics' object")
    return data


def compare(metrics: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Regressions: each gated metric more than the tolerance below its baseline value."""
    tolerance = float(baseline.get("tolerance", TOLERANCE))
    problems = []
    for name in baseline.get("gated", GATED):
        before, now = baseline["metrics"].get(name), metrics.get(name)
        if before is None:
            continue
        if now is None or now < before - tolerance:
            problems.append(f"{name}: {now} < baseline {before} - {tolerance}")
    return problems


def write_baseline(path: Path, config: str, questions: str, metrics: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the baseline with these metrics (a deliberate act: `hindsight eval --update-baseline`)."""
    data = {
        "about": "Default-configuration metrics that `hindsight eval --gate` (make test) must not fall "
                 "below by more than `tolerance` (absolute) on any `gated` metric. "
                 "Rewrite only on purpose: `hindsight eval --update-baseline`.",
        "config": config,
        "questions": questions,
        "updated": dt.date.today().isoformat(),
        "tolerance": TOLERANCE,
        "gated": GATED,
        "metrics": metrics,
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return data
