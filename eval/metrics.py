"""Metric arithmetic, pure functions over plain data (definitions: eval/README.md).

Retrieval and citations are judged by whether passages contain the gold spans (after normalize(),
white space dropped); sentence support with the shared support measure; answers by key facts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.text import fold_compact

KS = (1, 3, 5, 10)
NDCG_K = 10
MRR_K = 10
STAGES = ("normalize_ms", "embed_ms", "faiss_ms", "bm25_ms", "fusion_ms", "answer_ms", "total_ms")

# judge(sentence, cited passage texts) -> supported?
Judge = Callable[[str, list[str]], bool]


@dataclass(frozen=True)
class Passage:
    """A retrieved passage: a verbatim slice [start, end) of doc_id."""

    doc_id: str
    text: str
    start: int = 0
    end: int = 0


def fold(text: str) -> str:
    """Matching form: normalize() (t2s, NFKC, lower) with all white space removed."""
    return fold_compact(text)


def _merged(a: Passage, b: Passage) -> str | None:
    """Text of two overlapping or touching passages of one document, or None."""
    if a.doc_id != b.doc_id or a.end - a.start != len(a.text) or b.end - b.start != len(b.text):
        return None
    first, second = sorted((a, b), key=lambda p: p.start)
    if second.start > first.end:
        return None
    return first.text + second.text[max(0, first.end - second.start):]


def span_ranks(gold: dict[str, list[str]], passages: Sequence[Passage]) -> dict[tuple[str, str], int | None]:
    """1-based rank at which each gold (doc_id, span) is first found, None when not found.

    A span is found in a passage of its own document, or across two adjacent passages of that
    document (counted at the rank of the lower-ranked of the two).
    """
    folded = [fold(p.text) for p in passages]
    pairs: list[tuple[int, str, str]] = []  # (rank, doc_id, folded merged text)
    for j in range(len(passages)):
        for i in range(j):
            merged = _merged(passages[i], passages[j])
            if merged is not None:
                pairs.append((j + 1, passages[j].doc_id, fold(merged)))
    ranks: dict[tuple[str, str], int | None] = {}
    for doc_id, spans in gold.items():
        for span in spans:
            target = fold(span)
            single = [r for r, (p, f) in enumerate(zip(passages, folded, strict=True), start=1)
                      if p.doc_id == doc_id and target in f]
            split = [r for r, d, f in pairs if d == doc_id and target in f]
            found = single + split
            ranks[(doc_id, span)] = min(found) if found else None
    return ranks


def retrieval_metrics(gold: dict[str, list[str]], passages: Sequence[Passage]) -> dict[str, float]:
    """hit@k, recall@k for KS, MRR@10 and nDCG@10 for one answerable question."""
    ranks = span_ranks(gold, passages)
    found = [r for r in ranks.values() if r is not None]
    out: dict[str, float] = {}
    for k in KS:
        out[f"hit@{k}"] = float(any(r <= k for r in found))
        out[f"recall@{k}"] = sum(1 for r in found if r <= k) / len(ranks) if ranks else 0.0
    first = min(found, default=None)
    out["mrr@10"] = 1.0 / first if first is not None and first <= MRR_K else 0.0
    out["ndcg@10"] = ndcg(gold, ranks)
    return out


def ndcg(gold: dict[str, list[str]], ranks: dict[tuple[str, str], int | None]) -> float:
    """Binary, document-novelty nDCG@10: gain 1 at the first rank where each gold document is hit."""
    firsts = []
    for doc_id in gold:
        doc_ranks = [r for (d, _), r in ranks.items() if d == doc_id and r is not None]
        if doc_ranks and min(doc_ranks) <= NDCG_K:
            firsts.append(min(doc_ranks))
    dcg = sum(1.0 / math.log2(r + 1) for r in firsts)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(gold), NDCG_K) + 1))
    return dcg / ideal if ideal else 0.0


def support_metrics(
    sentences: Sequence[tuple[str, list[int]]], passages: dict[int, str], judge: Judge
) -> dict[str, float] | None:
    """Whether the answer's sentences are backed by what they cite; None when it has no sentences.

    support recall: share of sentences whose cited passages (together) support them;
    support precision: share of citation marks whose passage alone supports its sentence.
    """
    if not sentences:
        return None
    supported = 0
    marks = precise = 0
    for text, cited in sentences:
        texts = [passages[n] for n in cited if n in passages]
        if texts and judge(text, texts):
            supported += 1
        for n in cited:
            marks += 1
            if n in passages and judge(text, [passages[n]]):
                precise += 1
    return {
        "support_recall": supported / len(sentences),
        "support_precision": precise / marks if marks else 0.0,
    }


def gold_citation_metrics(gold: dict[str, list[str]], cited: Sequence[Passage]) -> dict[str, float]:
    """ALCE-style citation precision/recall against gold evidence (matching after fold()).

    precision: share of cited passages that contain a gold span (alone, or joined with an adjacent
    cited passage of the same document for a span split across both);
    recall: share of the question's gold spans contained in some cited passage (or adjacent pair).
    An answer without citations scores 0 on both.
    """
    spans = {fold(s) for group in gold.values() for s in group}
    if not cited or not spans:
        return {"citation_precision": 0.0, "citation_recall": 0.0}
    views = [[fold(p.text)] for p in cited]
    for i, a in enumerate(cited):
        for j, b in enumerate(cited):
            merged = _merged(a, b) if i != j else None
            if merged is not None:
                views[i].append(fold(merged))
    relevant = sum(1 for texts in views if any(s in t for s in spans for t in texts))
    covered = sum(1 for s in spans if any(s in t for texts in views for t in texts))
    return {"citation_precision": relevant / len(cited), "citation_recall": covered / len(spans)}


def gold_documents(gold: dict[str, list[str]], cited: Sequence[Passage], related: Sequence[Passage]) -> dict[str, float]:
    """For a question with several gold documents: the share of them whose gold evidence a cited
    passage holds (gold_docs_cited), and the share a cited or listed-as-related passage holds
    (gold_docs_shown; related passages are shown but not quoted, answer.related)."""
    def holding(shown: Sequence[Passage]) -> float:
        return sum(1 for doc, spans in gold.items()
                   if gold_citation_metrics({doc: spans}, shown)["citation_recall"] > 0) / len(gold)
    return {"gold_docs_cited": holding(cited), "gold_docs_shown": holding([*cited, *related])}


LEAD_SHARED = 10  # folded characters a lead must share with a gold span (about one clause)


def lead_evidence(lead: str, gold: dict[str, list[str]]) -> float:
    """1 if the answer's lead quotes gold evidence: it contains a gold span, lies inside one, or
    shares LEAD_SHARED consecutive folded characters with one (a clause of a longer span)."""
    text = fold(lead)
    if not text:
        return 0.0
    for span in (fold(s) for group in gold.values() for s in group):
        need = min(LEAD_SHARED, len(span), len(text))
        if need and any(text[i : i + need] in span for i in range(len(text) - need + 1)):
            return 1.0
    return 0.0


def key_fact_coverage(answer_text: str, key_facts: Sequence[str]) -> float:
    """Share of key facts (any `|` alternative) found in the folded answer text."""
    if not key_facts:
        return 0.0
    folded = fold(answer_text)
    hits = sum(1 for fact in key_facts if any(fold(alt) in folded for alt in fact.split("|")))
    return hits / len(key_facts)


def abstention_metrics(outcomes: Sequence[tuple[bool, bool]]) -> dict[str, float | None]:
    """Precision/recall of abstaining, from (answerable, abstained) pairs; positive = abstain."""
    abstained = [answerable for answerable, did in outcomes if did]
    out_of_scope = sum(1 for answerable, _ in outcomes if not answerable)
    correct = sum(1 for answerable in abstained if not answerable)
    answerable_total = sum(1 for answerable, _ in outcomes if answerable)
    return {
        "abstain_precision": correct / len(abstained) if abstained else None,
        "abstain_recall": correct / out_of_scope if out_of_scope else None,
        "false_abstain_rate": (len(abstained) - correct) / answerable_total if answerable_total else None,
    }


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """p50 and p95 (linear interpolation), None for no values."""
    if not values:
        return {"p50": None, "p95": None}
    arr = np.asarray(values, dtype=float)
    return {"p50": round(float(np.percentile(arr, 50)), 3), "p95": round(float(np.percentile(arr, 95)), 3)}


def mean(values: Sequence[float | None]) -> float | None:
    """Mean of the defined values, None when there are none."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None
