"""Score one configuration on the question set: per-question records, then a summary."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.answer.support import support
from assistant.text import split_sentences
from eval import metrics as m
from eval.backends import Backend, EvalError
from eval.questions import Question

DRILL_K = 5
RETRIEVAL_KEYS = [*(f"hit@{k}" for k in m.KS), *(f"recall@{k}" for k in m.KS), "mrr@10", "ndcg@10"]
CITATION_KEYS = ["citation_recall", "citation_precision"]


class SupportJudge:
    """assistant.answer.support.support with vectors from the embedder, computed only when lexical fails."""

    def __init__(self, embedder: Any | None) -> None:
        self.embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def _vectors(self, texts: list[str]) -> np.ndarray:
        assert self.embedder is not None
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for text, vector in zip(missing, self.embedder.embed_batch(missing, "passage"), strict=True):
                self._cache[text] = vector
        return np.vstack([self._cache[t] for t in texts])

    def __call__(self, sentence: str, passages: list[str]) -> bool:
        verdict = support(sentence, passages)
        if verdict.supported or self.embedder is None:
            return verdict.supported
        sentence_vector = self._vectors([sentence])[0]
        passage_vectors = [
            self._vectors([p[s:e] for s, e in split_sentences(p)] or [p]) for p in passages
        ]
        return support(sentence, passages, sentence_vector, passage_vectors).supported


@dataclass
class Record:
    """Everything measured for one question under one configuration."""

    question: Question
    hits: list[dict[str, Any]] = field(default_factory=list)
    answer: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)
    span_ranks: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    latency: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def abstained(self) -> bool:
        return bool(self.answer.get("abstained"))


def passages(hits: list[dict[str, Any]]) -> list[m.Passage]:
    """Hit JSON (as /api/search returns it) to Passages."""
    return [m.Passage(h["doc_id"], h["text"], h.get("start", 0), h.get("end", 0)) for h in hits]


def score(question: Question, hits: list[dict[str, Any]], answer: dict[str, Any], judge: m.Judge) -> Record:
    """Compute every per-question metric from the hits and answer JSON."""
    record = Record(question, hits, answer)
    abstained = bool(answer.get("abstained"))
    record.metrics["abstained"] = float(abstained)
    if question.answerable:
        ranks = m.span_ranks(question.gold, passages(hits))
        record.span_ranks = [{"doc_id": d, "span": s, "rank": r} for (d, s), r in ranks.items()]
        record.metrics.update(m.retrieval_metrics(question.gold, passages(hits)))
        record.metrics["key_facts"] = 0.0 if abstained else m.key_fact_coverage(answer.get("answer", ""), question.key_facts)
    if not abstained:
        record.metrics.update(_citations(record, judge))
    record.latency = {k: float(v) for k, v in answer.get("trace", {}).items() if k in m.STAGES}
    record.failures = failures(record)
    return record


def _citations(record: Record, judge: m.Judge) -> dict[str, float]:
    texts = {c["n"]: c["text"] for c in record.answer.get("citations", [])}
    sentences = [(s["text"], list(s.get("citations") or [])) for s in record.answer.get("sentences", [])]
    result = m.citation_metrics(sentences, texts, judge)
    for text, cited in sentences:
        cited_texts = [texts[n] for n in cited if n in texts]
        if not cited_texts or not judge(text, cited_texts):
            record.unsupported.append(text)
    return result or {}


def failures(record: Record) -> list[str]:
    """Plain-language reasons this question is not fully right."""
    q, out = record.question, []
    if not q.answerable:
        return [] if record.abstained else ["answered an out-of-scope question"]
    if record.metrics.get("hit@5") == 0.0:
        out.append("no gold span in the top 5")
    elif (record.metrics.get("recall@5") or 0) < 1.0:
        out.append("some gold spans missing from the top 5")
    if record.abstained:
        out.append("abstained on an answerable question")
    elif (record.metrics.get("key_facts") or 0) < 1.0:
        folded = m.fold(record.answer.get("answer", ""))
        missing = [f for f in q.key_facts if not any(m.fold(a) in folded for a in f.split("|"))]
        out.append("missing key facts: " + ", ".join(missing))
    if record.unsupported:
        out.append(f"{len(record.unsupported)} answer sentence(s) not supported by their citations")
    return out


def run_config(
    questions: Iterable[Question], backend: Backend, judge: m.Judge, tick: Callable[[], None] = lambda: None
) -> list[Record]:
    """Ask every question; an error on one question is recorded, not fatal."""
    records = []
    for question in questions:
        try:
            outcome = backend.ask(question)
        except EvalError:
            raise
        except Exception as exc:  # one bad question must not lose the run
            records.append(Record(question, error=f"{type(exc).__name__}: {exc}", failures=["error"]))
        else:
            record = score(question, outcome.hits, outcome.answer, judge)
            record.latency["total_ms"] = round(outcome.total_ms, 3)
            records.append(record)
        tick()
    return records


def summarize(records: list[Record]) -> dict[str, Any]:
    """Aggregate metrics (README definitions), per-type breakdown and latency percentiles."""
    return {
        "metrics": aggregate(records),
        "by_type": {t: aggregate([r for r in records if r.question.type == t], brief=True)
                    for t in dict.fromkeys(r.question.type for r in records)},
        "latency": {stage: m.percentiles([r.latency[stage] for r in records if stage in r.latency])
                    for stage in m.STAGES},
    }


def aggregate(records: list[Record], brief: bool = False) -> dict[str, Any]:
    """Means over answerable questions (retrieval, key facts) and answered ones (citations)."""
    ok = [r for r in records if r.error is None]
    answerable = [r for r in ok if r.question.answerable]
    answered = [r for r in ok if not r.abstained]
    keys = ["hit@1", "hit@5", "recall@5", "mrr@10"] if brief else RETRIEVAL_KEYS
    out: dict[str, Any] = {k: _round(m.mean([r.metrics.get(k) for r in answerable])) for k in keys}
    out.update({k: _round(m.mean([r.metrics.get(k) for r in answered])) for k in CITATION_KEYS})
    out["key_facts"] = _round(m.mean([r.metrics.get("key_facts") for r in answerable]))
    out["abstain_rate"] = _round(m.mean([r.metrics.get("abstained") for r in ok]))
    if not brief:
        abst = m.abstention_metrics([(r.question.answerable, r.abstained) for r in ok])
        out.update({k: _round(v) for k, v in abst.items()})
        out.update(questions=len(records), answerable=len(answerable), errors=len(records) - len(ok))
    else:
        out["questions"] = len(records)
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
