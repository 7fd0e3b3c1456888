"""Score one configuration on the question set: per-question records, then a summary."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.answer.support import support
from assistant.text import split_sentences
from eval import answer_rules as rules
from eval import metrics as m
from eval.backends import Backend, EvalError
from eval.questions import SPLITS, Question

DRILL_K = 5
RETRIEVAL_KEYS = [*(f"hit@{k}" for k in m.KS), *(f"recall@{k}" for k in m.KS), "mrr@10", "ndcg@10"]
# Averaged over answerable questions that were answered (not abstained).
CITATION_KEYS = ["citation_recall", "citation_precision", "lead_evidence"]
# Averaged over every answered question.
ANSWERED_KEYS = ["support_recall", "support_precision", "noise_rate", "answer_chars"]


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
    noise: list[str] = field(default_factory=list)
    latency: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def abstained(self) -> bool:
        return bool(self.answer.get("abstained"))


def passages(hits: list[dict[str, Any]]) -> list[m.Passage]:
    """Hit or citation JSON (as the API returns it) to Passages."""
    return [m.Passage(h["doc_id"], h["text"], h.get("start", 0), h.get("end", 0)) for h in hits]


def lead_text(answer: dict[str, Any]) -> str:
    """The answer's lead sentence ("" when the answerer marked none)."""
    return next((s["text"] for s in answer.get("sentences") or [] if s.get("kind") == "lead"), "")


def answer_sentences(answer: dict[str, Any]) -> list[tuple[str, str]]:
    """(text, kind) of each answer sentence; the split answer text when the answerer gave none."""
    given = answer.get("sentences") or []
    if given:
        return [(s["text"], s.get("kind") or "point") for s in given]
    text = answer.get("answer", "")
    return [(text[s:e], "point") for s, e in split_sentences(text)]


def score(question: Question, hits: list[dict[str, Any]], answer: dict[str, Any], judge: m.Judge) -> Record:
    """Compute every per-question metric from the hits and answer JSON."""
    record = Record(question, hits, answer)
    abstained = bool(answer.get("abstained"))
    text = answer.get("answer", "")
    record.metrics["abstained"] = float(abstained)
    if text:
        record.metrics["language_match"] = float(rules.language_match(question.lang, question.question, text))
    if question.answerable:
        ranks = m.span_ranks(question.gold, passages(hits))
        record.span_ranks = [{"doc_id": d, "span": s, "rank": r} for (d, s), r in ranks.items()]
        record.metrics.update(m.retrieval_metrics(question.gold, passages(hits)))
        if question.key_facts:  # the probe has none: no key-fact score rather than a false 0
            record.metrics["key_facts"] = 0.0 if abstained else m.key_fact_coverage(text, question.key_facts)
        if not abstained:
            record.metrics.update(m.gold_citation_metrics(question.gold, passages(answer.get("citations", []))))
            record.metrics["lead_evidence"] = m.lead_evidence(lead_text(answer), question.gold)
            if len(question.gold) > 1:  # several gold documents: how many the answer cites, and shows at all
                record.metrics.update(m.gold_documents(question.gold, passages(answer.get("citations", [])),
                                                       passages(answer.get("related", []))))
        else:  # a false abstention: do the passages it lists as possibly related hold gold evidence?
            related = passages(answer.get("related", []))
            record.metrics["related_gold"] = float(m.gold_citation_metrics(question.gold, related)["citation_recall"] > 0)
    if abstained:
        record.metrics["related_listed"] = float(bool(answer.get("related")))
    if not abstained:
        record.metrics.update(_support(record, judge))
        record.noise = [s for s, kind in answer_sentences(answer) if rules.noise_reason(s, kind)]
        record.metrics["noise_rate"] = rules.noise_rate(answer_sentences(answer))
        record.metrics["answer_chars"] = float(len(text))
    record.latency = {k: float(v) for k, v in answer.get("trace", {}).items() if k in m.STAGES}
    record.failures = failures(record)
    return record


def cited_gold(record: Record) -> list[dict[str, Any]]:
    """Each gold span and whether some cited passage holds it (the report's "gold spans hit")."""
    cited = passages(record.answer.get("citations", []))
    return [{"doc_id": d, "span": s, "cited": m.gold_citation_metrics({d: [s]}, cited)["citation_recall"] == 1.0}
            for d, spans in record.question.gold.items() for s in spans]


def _support(record: Record, judge: m.Judge) -> dict[str, float]:
    texts = {c["n"]: c["text"] for c in record.answer.get("citations", [])}
    sentences = [(s["text"], list(s.get("citations") or [])) for s in record.answer.get("sentences", [])
                 if (s.get("kind") or "point") not in rules.STRUCTURE_KINDS]
    result = m.support_metrics(sentences, texts, judge)
    for text, cited in sentences:
        cited_texts = [texts[n] for n in cited if n in texts]
        if not cited_texts or not judge(text, cited_texts):
            record.unsupported.append(text)
    return result or {}


def failures(record: Record) -> list[str]:
    """Plain-language reasons this question is not fully right."""
    q, out = record.question, []
    if record.metrics.get("language_match") == 0.0:
        out.append("answer not in the question's language/script")
    if not q.answerable:
        return out if record.abstained else ["answered an out-of-scope question", *out]
    if record.metrics.get("hit@5") == 0.0:
        out.append("no gold span in the top 5")
    elif (record.metrics.get("recall@5") or 0) < 1.0:
        out.append("some gold spans missing from the top 5")
    if record.abstained:
        out.append("abstained on an answerable question")
        return out
    if (record.metrics.get("key_facts") or 0) < 1.0:
        folded = m.fold(record.answer.get("answer", ""))
        missing = [f for f in q.key_facts if not any(m.fold(a) in folded for a in f.split("|"))]
        out.append("missing key facts: " + ", ".join(missing))
    if (record.metrics.get("citation_recall") or 0) < 1.0:
        out.append(f"citations hold {record.metrics.get('citation_recall', 0):.0%} of the gold spans")
    if record.unsupported:
        out.append(f"{len(record.unsupported)} answer sentence(s) not supported by their citations")
    if record.noise:
        out.append(f"{len(record.noise)} noise sentence(s)")
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
    """Aggregates over all questions, per split (dev/test), per type and per language; latency."""
    return {
        "metrics": aggregate(records),
        "splits": {split: aggregate([r for r in records if r.question.split == split]) for split in SPLITS},
        "by_type": _grouped(records, lambda r: r.question.type),
        "by_lang": _grouped(records, lambda r: r.question.lang or "?"),
        "latency": {stage: m.percentiles([r.latency[stage] for r in records if stage in r.latency])
                    for stage in m.STAGES},
    }


def _grouped(records: list[Record], key: Callable[[Record], str]) -> dict[str, Any]:
    groups = dict.fromkeys(key(r) for r in records)
    return {g: aggregate([r for r in records if key(r) == g]) for g in groups}


def aggregate(records: list[Record]) -> dict[str, Any]:
    """Every metric's mean over the questions it is defined on (README: "Metrics")."""
    ok = [r for r in records if r.error is None]
    answerable = [r for r in ok if r.question.answerable]
    answered = [r for r in ok if not r.abstained]
    out: dict[str, Any] = {k: _round(m.mean([r.metrics.get(k) for r in answerable])) for k in RETRIEVAL_KEYS}
    out["key_facts"] = _round(m.mean([r.metrics.get("key_facts") for r in answerable]))
    out.update({k: _round(m.mean([r.metrics.get(k) for r in answerable if not r.abstained]))
                for k in CITATION_KEYS})
    out.update({k: _round(m.mean([r.metrics.get(k) for r in answered])) for k in ANSWERED_KEYS})
    for k in ("gold_docs_cited", "gold_docs_shown"):
        out[k] = _round(m.mean([r.metrics.get(k) for r in answered]))
    out["language_match"] = _round(m.mean([r.metrics.get("language_match") for r in ok]))
    out["abstain_rate"] = _round(m.mean([r.metrics.get("abstained") for r in ok]))
    abst = m.abstention_metrics([(r.question.answerable, r.abstained) for r in ok])
    out.update({k: _round(v) for k, v in abst.items()})
    # Abstentions that list possibly related passages (answer.related): how often a false one's
    # hold gold evidence, and how often an out-of-scope one lists any.
    out["false_abstain_related_gold"] = _round(m.mean([r.metrics.get("related_gold") for r in answerable]))
    out["out_of_scope_related"] = _round(m.mean([r.metrics.get("related_listed") for r in ok
                                                 if not r.question.answerable and r.abstained]))
    out["total_ms_p50"] = m.percentiles([r.latency["total_ms"] for r in ok if "total_ms" in r.latency])["p50"]
    out.update(questions=len(records), answerable=len(answerable), errors=len(records) - len(ok))
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
