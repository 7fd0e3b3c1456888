"""The committed baseline (eval/baseline.json) and the regression gate CI runs against it.

The gate compares the default configuration's **test**-split metrics with the baseline's. Every
metric family is gated; each metric has a direction (higher or lower is better) and an absolute
tolerance (documented in eval/README.md, "Baseline gate").
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

GATE_SPLIT = "test"
# family -> {metric: tolerance}; the tolerance is the absolute change allowed in the bad direction.
FAMILIES: dict[str, dict[str, float]] = {
    "retrieval": {"hit@1": 0.02, "hit@3": 0.02, "hit@5": 0.02, "hit@10": 0.02, "recall@5": 0.02,
                  "recall@10": 0.02, "mrr@10": 0.02, "ndcg@10": 0.02},
    "citations": {"citation_recall": 0.03, "citation_precision": 0.03},
    "key facts": {"key_facts": 0.03},
    "abstention": {"abstain_recall": 0.10, "false_abstain_rate": 0.03},
    "noise": {"noise_rate": 0.03},
    "language": {"language_match": 0.03},
}
LOWER_IS_BETTER = {"false_abstain_rate", "noise_rate"}
TOLERANCES = {metric: tol for family in FAMILIES.values() for metric, tol in family.items()}


def family_of(metric: str) -> str:
    """The family a gated metric belongs to."""
    if metric == "questions":
        return "question set"
    return next((f for f, metrics in FAMILIES.items() if metric in metrics), "other")


def load_baseline(path: Path) -> dict[str, Any]:
    """The baseline file; ValueError with the reason when it is missing or malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read baseline {path}: {exc}; create it with --update-baseline") from exc
    if not isinstance(data.get("metrics"), dict) or not isinstance(data.get("tolerances"), dict):
        raise ValueError(f"baseline {path} needs 'metrics' and 'tolerances' objects; "
                         "rewrite it with --update-baseline")
    return data


def compare(metrics: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Regressions: each gated metric worse than its baseline value by more than its tolerance.

    The baseline file may change a tolerance but cannot drop a gated metric.
    """
    problems = []
    before_n, now_n = baseline["metrics"].get("questions"), metrics.get("questions")
    if before_n is not None and now_n != before_n:
        problems.append(f"questions: {now_n} != baseline {before_n} (the question set changed; "
                        "rewrite the baseline on purpose with --update-baseline)")
    tolerances = {**TOLERANCES, **baseline["tolerances"]}
    for name, tolerance in tolerances.items():
        before, now = baseline["metrics"].get(name), metrics.get(name)
        if before is None:
            continue
        lower = name in LOWER_IS_BETTER
        if now is None:
            problems.append(f"{name}: missing (baseline {before})")
        elif (now > before + tolerance) if lower else (now < before - tolerance):
            sign = "+" if lower else "-"
            problems.append(f"{name}: {now} {'>' if lower else '<'} baseline {before} {sign} {tolerance}")
    return problems


def write_baseline(path: Path, config: str, questions: str, summary: dict[str, Any]) -> dict[str, Any]:
    """Rewrite the baseline from a configuration summary (a deliberate act: `--update-baseline`)."""
    data = {
        "about": f"Default-configuration metrics on the {GATE_SPLIT} split that `hindsight eval --gate` "
                 "(make test) must not get worse than by more than the metric's tolerance (absolute; "
                 "higher is better except for false_abstain_rate and noise_rate). "
                 "Rewrite only on purpose: `hindsight eval --update-baseline`.",
        "config": config,
        "questions": questions,
        "split": GATE_SPLIT,
        "updated": dt.date.today().isoformat(),
        "tolerances": TOLERANCES,
        "metrics": summary["splits"][GATE_SPLIT],
        "dev_metrics": summary["splits"]["dev"],
    }
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return data
