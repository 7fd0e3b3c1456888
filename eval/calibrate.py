"""Calibration numbers behind the abstention and support thresholds (eval/README.md).

    python -m eval.calibrate [--questions FILE]

1. Abstention: answer every question with abstention off, record the extractive answerer's
   evidence score, and show how well each threshold separates answerable from out-of-scope
   questions, separately for CJK and Latin-script questions (their cosines differ). Thresholds
   are fitted on the **dev** split only; the test split is shown for the chosen candidates.
2. Support: lexical containment and semantic similarity of corpus sentences against their own
   passage (first 70% of the sentence), another passage of the same document, and a passage of
   another document — the share of each above LEXICAL_THRESHOLD / SEMANTIC_THRESHOLD (semantic: the prefix
   embedded afresh against the passage's stored sentence vectors).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.support import LEXICAL_THRESHOLD, SEMANTIC_THRESHOLD, lexical_containment
from assistant.core.settings import Settings
from assistant.retrieve.retriever import Filters
from assistant.service.pipeline import build_pipeline
from assistant.text import CJK
from eval.backends import IngestModel, index_for
from eval.cli import EVAL_DIR
from eval.questions import load_questions

Row = tuple[bool, bool, float, str, str]  # (is CJK, answerable, evidence, id, split)


def evidence_by_question(pipeline: Any, questions: list) -> list[Row]:
    """(is CJK, answerable, evidence, id, split) per question, with abstention switched off."""
    out = []
    for q in questions:
        answer = pipeline.answer(q.question, filters=Filters.from_json(q.filters))
        out.append((bool(CJK.search(q.question)), q.answerable, float(answer.trace["evidence"]), q.id, q.split))
    return out


def sweep(points: list[tuple[bool, float]]) -> list[tuple[float, int, int, float]]:
    """(threshold, out-of-scope abstained, answerable abstained, Youden J) at each midpoint."""
    values = sorted({v for _, v in points})
    oos = sum(1 for a, _ in points if not a) or 1
    ans = sum(1 for a, _ in points if a) or 1
    rows = []
    for lo, hi in zip(values, values[1:], strict=False):
        t = round((lo + hi) / 2, 4)
        tp = sum(1 for a, v in points if not a and v < t)
        fp = sum(1 for a, v in points if a and v < t)
        rows.append((t, tp, fp, tp / oos - fp / ans))
    return rows


def report_abstention(rows: list[Row]) -> None:
    """Fit on dev (the evidence values and the sweep), then show the candidates' outcome on test."""
    for label, cjk in (("CJK", True), ("Latin", False)):
        dev = [r for r in rows if r[0] == cjk and r[4] == "dev"]
        test = [r for r in rows if r[0] == cjk and r[4] == "test"]
        oos = sorted((round(v, 3), i) for _, a, v, i, _ in dev if not a)
        ans = sorted((round(v, 3), i) for _, a, v, i, _ in dev if a)
        print(f"\n{label} (dev): {len(ans)} answerable, {len(oos)} out of scope")
        print("  out-of-scope evidence:", oos)
        print("  answerable evidence, lowest 8:", ans[:8])
        best = sorted(sweep([(a, v) for _, a, v, _, _ in dev]), key=lambda r: (-r[3], r[0]))[:5]
        test_oos = sum(1 for r in test if not r[1])
        test_ans = len(test) - test_oos
        for t, tp, fp, j in best:
            held_tp = sum(1 for r in test if not r[1] and r[2] < t)
            held_fp = sum(1 for r in test if r[1] and r[2] < t)
            print(f"  threshold {t:.4f}: dev abstains on {tp}/{len(oos)} out-of-scope, {fp}/{len(ans)} answerable "
                  f"(J={j:.3f}) | test {held_tp}/{test_oos}, {held_fp}/{test_ans}")


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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=EVAL_DIR / "questions.jsonl")
    args = parser.parse_args()
    base = Settings()
    settings = index_for(base.model_copy(update={"abstain_threshold": 0.0, "abstain_threshold_latin": 0.0}),
                         base, EVAL_DIR / "results" / ".cache", IngestModel(base, EVAL_DIR / "results" / ".cache"), True)
    pipeline = build_pipeline(settings)
    report_abstention(evidence_by_question(pipeline, load_questions(args.questions)))
    report_support(pipeline.holder.get(), pipeline.embedder)


if __name__ == "__main__":
    main()
