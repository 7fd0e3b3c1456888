"""Calibration numbers behind the support thresholds (eval/README.md).

    python -m eval.calibrate

Abstention is a fitted model now: `python -m eval.fit_answerability` (docs/retrieval.md).
Support: lexical containment and semantic similarity of corpus sentences against their own
   passage (first 70% of the sentence), another passage of the same document, and a passage of
   another document — the share of each above LEXICAL_THRESHOLD / SEMANTIC_THRESHOLD (semantic: the prefix
   embedded afresh against the passage's stored sentence vectors).
"""

from __future__ import annotations

import argparse
import random
from typing import Any

import numpy as np

from assistant.answer.support import LEXICAL_THRESHOLD, SEMANTIC_THRESHOLD, lexical_containment
from assistant.core.settings import Settings
from assistant.service.pipeline import build_pipeline
from eval.backends import IngestModel, index_for
from eval.cli import EVAL_DIR


def report_support(index: Any, embedder: Any, samples: int = 300, seed: int = 7) -> None:
    rng = random.Random(seed)
    by_doc: dict[str, list[int]] = {}
    for row, chunk in enumerate(index.chunks):
        by_doc.setdefault(chunk.doc_id, []).append(row)
    rows = [r for r in range(len(index.chunks)) if index.chunks[r].sentence_ids]
    stats: dict[str, list[tuple[float, float]]] = {"own (70% prefix)": [], "same doc, other passage": [],
                                                   "other document": []}
    for _ in range(samples):
        row = rng.choice(rows)
        chunk = index.chunks[row]
        sid = rng.choice(chunk.sentence_ids)
        s = index.sentences[sid]
        text = index.documents[s.doc_id].text[s.start:s.end]
        prefix = text[: max(4, int(len(text) * 0.7))]
        # A partial restatement of the sentence: its first 70%, embedded afresh.
        vec = embedder.embed_batch([prefix], "passage")[0]
        same = [r for r in by_doc[chunk.doc_id] if index.chunks[r].end <= chunk.start or index.chunks[r].start >= chunk.end]
        other = [r for r in rows if index.chunks[r].doc_id != chunk.doc_id]
        for label, target in (("own (70% prefix)", row), ("same doc, other passage", rng.choice(same) if same else None),
                              ("other document", rng.choice(other))):
            if target is None:
                continue
            c = index.chunks[target]
            passage_vecs = np.asarray(index.sentence_vectors[list(c.sentence_ids)]) if c.sentence_ids else None
            sem = float(np.max(passage_vecs @ vec)) if passage_vecs is not None and len(passage_vecs) else 0.0
            lex = lexical_containment(prefix if label.startswith("own") else text, c.text)
            stats[label].append((lex, sem))
    print(f"\nsupport thresholds: lexical {LEXICAL_THRESHOLD}, semantic {SEMANTIC_THRESHOLD}")
    for label, values in stats.items():
        lexs = np.array([v[0] for v in values])
        sems = np.array([v[1] for v in values])
        print(f"  {label:26} n={len(values)} lexical p10/p50/p90 {np.percentile(lexs, [10, 50, 90]).round(3)} "
              f">=thr {np.mean(lexs >= LEXICAL_THRESHOLD):.3f} | semantic p5/p50/p95/p99 "
              f"{np.percentile(sems, [5, 50, 95, 99]).round(3)} >=thr {np.mean(sems >= SEMANTIC_THRESHOLD):.3f}")


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    base = Settings()
    cache = EVAL_DIR / "results" / ".cache"
    settings = index_for(base, base, cache, IngestModel(base, cache), True)
    pipeline = build_pipeline(settings)
    report_support(pipeline.holder.get(), pipeline.embedder)


if __name__ == "__main__":
    main()
