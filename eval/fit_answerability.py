"""Fit the answerability model on the dev split and write it where ingest picks it up.

    python -m eval.fit_answerability              # fit on dev, write assistant/answer/answerability.json
    python -m eval.fit_answerability --check test # score the current build's model on the test split
    python -m eval.fit_answerability --check probe # … on the held-out abstention probe, by kind

Logistic regression (class-balanced) over assistant.answer.answerability.FEATURES, standardised;
C is chosen by repeated stratified cross-validation on dev (mean log-loss over 5 shuffles), and
the abstention threshold from the pooled out-of-fold probabilities: the highest recall whose
false-abstention rate stays within --max-far.
Re-run `hindsight ingest` afterwards: the model travels inside the build.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.answer.answerability import (
    FEATURES,
    Answerability,
    content_terms,
    features,
    probability,
)
from assistant.core.settings import Settings
from assistant.retrieve.retriever import Filters
from assistant.service.pipeline import Pipeline, build_pipeline
from eval.questions import Question, load_probe, load_questions, split_of

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
REPEATS = 5
EVAL_DIR = Path(__file__).resolve().parent


def feature_rows(
    pipeline: Pipeline, questions: list[Question], offtopic: np.ndarray | None = None,
) -> tuple[np.ndarray, list[list[str]]]:
    """One feature vector per question (in FEATURES order) and its missing terms; `offtopic`: the
    reference vectors a model being fitted compares with (default: the current build's)."""
    index = pipeline.holder.get()
    retriever = pipeline.retriever(index)
    rows: list[list[float]] = []
    missing: list[list[str]] = []
    for q in questions:
        query = retriever.prepare(q.question, {})
        hits = retriever.search(query, pipeline.settings.answer_passages, Filters.from_json(q.filters))
        if not hits:
            rows.append([0.0] * len(FEATURES))
            missing.append([])
            continue
        values, lacking = features(content_terms(q.question, pipeline.glossary, pipeline.dictionary), query, hits, index, q.question,
                                   pipeline.glossary, offtopic)
        rows.append([values[name] for name in FEATURES])
        missing.append(lacking.all)
    return np.array(rows), missing


def _retrieved(pipeline: Pipeline, q: Question) -> tuple[Any, Any, Any]:
    """(query, hits, index) exactly as the pipeline sees them for a question."""
    index = pipeline.holder.get()
    retriever = pipeline.retriever(index)
    query = retriever.prepare(q.question, {})
    return query, retriever.search(query, pipeline.settings.answer_passages, Filters.from_json(q.filters)), index


def offtopic_references(path: Path) -> list[str]:
    """The off-topic reference questions: written apart from the question set (expenses, weather,
    IT help, coding …), never scored; the model's `offtopic_top` is a question's best cosine to them."""
    return [str(json.loads(line)["text"]) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def out_of_fold(x: np.ndarray, y: np.ndarray, c: float, seed: int = 0) -> np.ndarray:
    """Cross-validated P(abstain) for every row (each predicted by a model that never saw it)."""
    from sklearn.model_selection import StratifiedKFold  # lazy: scikit-learn is only for fitting

    folds = StratifiedKFold(n_splits=max(2, min(5, int(y.sum()), int((1 - y).sum()))), shuffle=True, random_state=seed)
    p = np.zeros(len(y))
    for train, held in folds.split(x, y):
        p[held] = _fit(x[train], y[train], c).predict_proba(x[held])[:, 1]
    return p


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression  # lazy: fitting only
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=1000)).fit(x, y)


def pick_threshold(p: np.ndarray, y: np.ndarray, max_far: float) -> tuple[float, float, float]:
    """(threshold, recall, false-abstention rate): best recall with FAR ≤ max_far, midpoint cut."""
    candidates = sorted(set(p.round(6)), reverse=True)
    best = (1.0, 0.0, 0.0)
    for t in candidates:
        recall, far = rates(p >= t, y)
        if far <= max_far and recall >= best[1]:
            lower = max((v for v in p if v < t), default=0.0)
            best = ((t + lower) / 2, recall, far)
    return best


def rates(abstained: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(abstention recall on out-of-scope, false-abstention rate on answerable)."""
    oos, ans = y == 1, y == 0
    return float(abstained[oos].mean()) if oos.any() else 0.0, float(abstained[ans].mean()) if ans.any() else 0.0


def fit(x: np.ndarray, y: np.ndarray, max_far: float) -> dict[str, Any]:
    """The model JSON: weights over standardised features, bias, threshold and how it was chosen."""
    from sklearn.metrics import log_loss  # lazy: fitting only

    # A feature without evidence for a question (NaN: asked_top when its document has no curated
    # questions) is read as the feature's mean, as Answerability reads it when serving.
    x = np.where(np.isnan(x), np.nanmean(x, axis=0), x)

    # Repeated CV (REPEATS shuffles): one 5-fold split of 23 out-of-scope questions moves C and the
    # threshold by chance; the choice is made on all repeats' out-of-fold probabilities together.
    oof = {c: [out_of_fold(x, y, c, seed) for seed in range(REPEATS)] for c in C_GRID}
    losses = {c: float(np.mean([log_loss(y, p, labels=[0, 1]) for p in ps])) for c, ps in oof.items()}
    c = min(losses, key=lambda k: losses[k])
    threshold, recall, far = pick_threshold(np.concatenate(oof[c]), np.tile(y, REPEATS), max_far)
    model = _fit(x, y, c)
    scaler, lr = model.named_steps["standardscaler"], model.named_steps["logisticregression"]
    return {
        "kind": "logistic-regression",
        "weights": {n: round(float(w), 6) for n, w in zip(FEATURES, lr.coef_[0], strict=True)},
        "bias": round(float(lr.intercept_[0]), 6),
        "mean": {n: round(float(m), 6) for n, m in zip(FEATURES, scaler.mean_, strict=True)},
        "scale": {n: round(float(s), 6) for n, s in zip(FEATURES, scaler.scale_, strict=True)},
        "threshold": round(float(threshold), 6),
        "fitted": {
            "split": "dev", "questions": len(y), "out_of_scope": int(y.sum()), "C": c,
            "cv_log_loss": {str(k): round(v, 4) for k, v in losses.items()},
            "cv_abstain_recall": round(recall, 4), "cv_false_abstain_rate": round(far, 4),
        },
    }


def check(pipeline: Pipeline, questions: list[Question]) -> None:
    """Abstention recall and false-abstention rate of the current build's model on questions."""
    x, missing = feature_rows(pipeline, questions)
    judge = Answerability(pipeline.holder.get().answerability, pipeline.glossary, pipeline.dictionary)
    y = np.array([0 if q.answerable else 1 for q in questions])
    assert judge.model is not None, "the current build has no answerability model; re-run ingest"

    p = np.array([probability(judge.model, dict(zip(FEATURES, row, strict=True))) for row in x])
    abstained = np.array([judge.decide(q.question, *_retrieved(pipeline, q)).abstain for q in questions])
    recall, far = rates(abstained, y)
    print(f"{len(y)} questions ({int(y.sum())} out of scope): abstain recall {recall:.3f}, false abstentions {far:.3f}")
    for kind in sorted({q.type for q in questions if not q.answerable}):
        of_kind = np.array([q.type == kind for q in questions])
        print(f"  {kind}: abstain recall {abstained[of_kind].mean():.3f} ({int(abstained[of_kind].sum())}/{int(of_kind.sum())})")
    for q, did, prob, lacking in zip(questions, abstained, p, missing, strict=True):
        if did == q.answerable:
            print(f"  {'false' if did else 'missed'} {q.id} p={prob:.3f} {q.question} missing={lacking[:3]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=EVAL_DIR / "questions.jsonl")
    parser.add_argument("--max-far", type=float, default=0.03, help="false-abstention budget on dev (CV)")
    parser.add_argument("--check", choices=("dev", "test", "probe"), help="score the current build's model instead")
    parser.add_argument("--probe", type=Path, default=EVAL_DIR / "abstention_probe.jsonl")
    parser.add_argument("--out", type=Path, default=None, help="default: Settings().answerability_file")
    parser.add_argument("--offtopic", type=Path, default=EVAL_DIR / "offtopic_refs.jsonl",
                        help="off-topic reference questions the model carries (JSONL, a 'text' per line)")
    args = parser.parse_args(argv)
    settings = Settings()
    pipeline = build_pipeline(settings, answerer="extractive")
    questions = load_questions(args.questions)
    if args.check == "probe":
        check(pipeline, load_probe(args.probe))
        return
    if args.check:
        check(pipeline, [q for q in questions if split_of(q.id) == args.check])
        return
    dev = [q for q in questions if split_of(q.id) == "dev"]
    references = offtopic_references(args.offtopic)
    vectors = np.asarray(pipeline.embedder.embed_batch(references, "query"))
    x, _ = feature_rows(pipeline, dev, vectors)
    model = fit(x, np.array([0 if q.answerable else 1 for q in dev]), args.max_far)
    model["offtopic"] = references  # ingest embeds them into the build beside the model
    out = args.out or settings.answerability_file
    out.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(model["fitted"], indent=1))
    print(f"wrote {out}; run `hindsight ingest` to put it into the build")


if __name__ == "__main__":
    main()
