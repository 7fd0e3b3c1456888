"""Answerability: does the corpus answer this question? One calibrated decision, with a reason.

A logistic model over generic features of the question and its retrieved passages: which of
the question's content terms the corpus has never seen (and whether one is a name or number
such as "GPT-4o", or a noun rather than a verb of the phrasing), how many of them the top
passages contain, how well the best passages match lexically and densely, whether the dense and
lexical rankers agree, and how many documents the top passages come from. English names and
phrases count as known when the glossary translates them into a term the corpus has (Baidu →
百度). Its weights are fitted
on the dev split (`python -m eval.fit_answerability`) and travel inside each index build.
An abstention names the missing term in the question's language.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.answer.base import abstain_message, in_question_script
from assistant.core.types import Hit
from assistant.index.indexes import Query
from assistant.retrieve.glossary import Glossary
from assistant.store.build_store import LoadedIndex
from assistant.text import CJK, EN_STOP, ZH_STOP, char_ngrams, jieba_words, normalize, word_tag

FEATURES = (
    "unknown_share", "unknown_count", "unknown_entity", "top_coverage", "best_overlap",
    "dense_top", "dense_margin", "sentence_top", "rank_agreement", "latin_question",
    "unknown_noun", "doc_spread",
)
# Passages the features look at. 3 since the 600/120 chunks: a bigger passage covers more of an
# out-of-scope question's words, so five of them hid the gap (dev CV recall at ≤3 % false
# abstentions: top 5 → 0.678, top 3 → 0.757, top 2 → 0.722; docs/retrieval.md).
TOP = 3
BACKGROUND_ROWS = 2000
LATIN = re.compile(r"[A-Za-z0-9]+(?:[.\-+][A-Za-z0-9]+)*")
@dataclass
class Decision:
    """Answer or abstain, how likely abstaining is right, and why (a sentence for the user)."""

    abstain: bool
    probability: float
    reason: str = ""
    features: dict[str, float] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)

    def trace(self) -> dict[str, Any]:
        """What goes into Answer.trace["answerability"]."""
        return {
            "abstain": self.abstain, "p_abstain": round(self.probability, 4),
            "features": {k: round(v, 4) for k, v in self.features.items()}, "missing": self.missing,
        }


@dataclass(frozen=True)
class Term:
    """A content term of the question: its matching form and how the user wrote it."""

    folded: str
    shown: str
    entity: bool  # a Latin name or a number: GPT-4o, H100, 2024
    forms: tuple[str, ...] = ()  # the glossary's Chinese for an English name or phrase (Baidu → 百度)

    @property
    def matches(self) -> tuple[str, ...]:
        """Every form the sources could write it in."""
        return (self.folded, *self.forms)


def content_terms(question: str, glossary: Glossary | None = None) -> list[Term]:
    """The question's subject words: jieba words and Latin tokens, minus question scaffolding.

    An English question keeps its names and numbers and the phrases the glossary translates
    (matched in their Chinese forms); its other English words cannot be expected in a Chinese corpus.
    """
    normalized = normalize(question)
    aligned = len(normalized) == len(question)
    chinese = bool(CJK.search(question))
    phrases = glossary.translations(question) if glossary else []
    terms: list[Term] = []
    for match in LATIN.finditer(question):
        token = match.group()
        entity = _entity_like(token, match.start(), question)
        if any(s <= match.start() and match.end() <= e for s, e, _ in phrases):
            continue  # part of a glossary phrase: a term of its own below
        if len(token) > 1 and token.lower() not in EN_STOP and (chinese or entity):
            terms.append(Term(normalize(token), token, entity))
    for start, end, chinese_terms in phrases:
        shown = question[start:end]
        names = [m.group() for m in LATIN.finditer(shown)]
        entity = any(_entity_like(n, start + shown.find(n), question) for n in names)
        terms.append(Term(normalize(shown), shown, entity, tuple(normalize(t) for t in chinese_terms)))
    pos = 0
    for word in _compounds(jieba_words(normalized)):
        start = normalized.find(word, pos)
        pos = start + len(word) if start >= 0 else pos
        if len(word) < 2 or not CJK.search(word) or word in ZH_STOP:
            continue
        shown = question[start : start + len(word)] if aligned and start >= 0 else word
        terms.append(Term(word, shown, False))
    return list({t.folded: t for t in terms}.values())


# Single characters that can be part of a noun the dictionary lacks: nouns, numerals,
# measure words, time words, abbreviations (jieba tags n…, m, q, t, j, g). Verbs, adverbs,
# particles and locatives (有, 却, 的, 上) join no subject.
NOUN_PART_TAGS = tuple("nmqtjg")


def _compounds(words: list[str]) -> list[str]:
    """jieba's words with runs of single content characters joined: a word its dictionary lacks
    ("年假" comes out as 年 / 假) is one subject, not two characters too short to look up."""
    out: list[str] = []
    run = ""
    for word in [*words, ""]:
        if len(word) == 1 and CJK.match(word) and word_tag(word).startswith(NOUN_PART_TAGS):
            run += word
            continue
        if len(run) > 1:
            out.append(run)
        run = ""
        if word:
            out.append(word)
    return out


def _entity_like(token: str, start: int, question: str) -> bool:
    """Names and numbers: a digit, inner capitals (LangChain, GPT) or a capital mid-sentence."""
    if any(ch.isdigit() for ch in token) or any(ch.isupper() for ch in token[1:]):
        return True
    sentence_start = not question[:start].strip() or question[:start].rstrip()[-1:] in ".?!。？！"
    return token[0].isupper() and not sentence_start


class Answerability:
    """Applies one build's fitted model; without one, only a question with no hits or no subject abstains."""

    def __init__(self, model: dict[str, Any] | None, glossary: Glossary | None = None) -> None:
        if model is not None and sorted(model.get("weights", {})) != sorted(FEATURES):
            raise ValueError(f"answerability model features {sorted(model.get('weights', {}))} != {sorted(FEATURES)}; "
                             "refit with `python -m eval.fit_answerability` and re-ingest")
        self.model = model
        self.glossary = glossary or Glossary()

    def decide(self, question: str, query: Query, hits: list[Hit], index: LoadedIndex) -> Decision:
        """The decision for a question given its ranked hits."""
        if not hits:
            return Decision(True, 1.0, abstain_reason(question, []))
        terms = content_terms(question, self.glossary)
        if not terms and CJK.search(question):
            # Only scaffolding ("那后来呢？"): no subject to look up, whatever the cosines say.
            return Decision(True, 1.0, abstain_reason(question, []))
        values, missing = features(terms, query, hits, index, question, self.glossary)
        if terms and values["unknown_share"] == 1.0:
            # Not one subject word occurs anywhere in the sources: nothing there can answer it.
            return Decision(True, 1.0, abstain_reason(question, missing), values, missing)
        if self.model is None:
            return Decision(False, 0.0, "", values, missing)
        p = probability(self.model, values)
        abstain = p >= float(self.model["threshold"])
        return Decision(abstain, p, abstain_reason(question, missing) if abstain else "", values, missing)


def features(
    terms: Sequence[Term], query: Query, hits: list[Hit], index: LoadedIndex, question: str,
    glossary: Glossary | None = None,
) -> tuple[dict[str, float], list[str]]:
    """The model's inputs and the terms the corpus or the top passages lack (best guess first).

    An unknown *noun or name* ("豆包", "智谱", "GPT-4o") is a missing subject; an unknown verb or
    adverb ("沦为", "一路") is usually the user's paraphrase of something the sources say in other
    words. Top passages scattered over many documents mean no source is about the question.
    """
    top = hits[:TOP]
    glossary = glossary or Glossary()
    unknown = [t for t in terms if not _known(t, index, glossary)]
    passages = "".join(normalize(h.chunk.text) + normalize(h.chunk.title) for h in top)
    uncovered = [t for t in terms if t not in unknown and not any(m in passages for m in t.matches)]
    dense_top = max((h.dense_score or 0.0) for h in top)
    values = {
        "unknown_share": len(unknown) / len(terms) if terms else 0.0,
        "unknown_count": min(len(unknown), 3) / 3,
        "unknown_entity": float(any(t.entity for t in unknown)),
        "top_coverage": 1 - (len(unknown) + len(uncovered)) / len(terms) if terms else 0.0,
        "best_overlap": _best_overlap(query.text, top),
        "dense_top": dense_top,
        "dense_margin": dense_top - _background(query, index),
        "sentence_top": _best_sentence(query, top, index),
        "rank_agreement": sum(_agree(h) for h in top) / len(top),
        "latin_question": 0.0 if CJK.search(question) else 1.0,
        "unknown_noun": min(sum(_noun_like(t) for t in unknown), 3) / 3,
        "doc_spread": len({h.chunk.doc_id for h in top}) / len(top),
    }
    ordered = sorted(unknown, key=lambda t: not t.entity) + uncovered
    return values, [t.shown for t in ordered]


def _known(term: Term, index: LoadedIndex, glossary: Glossary) -> bool:
    """In the corpus vocabulary, or translated by the glossary into a term that is (Baidu → 百度)."""
    if any(_in_corpus(form, index) for form in term.matches):
        return True
    expanded = glossary.expand(term.shown)
    return expanded != term.shown and any(_in_corpus(normalize(t), index) for t in expanded[len(term.shown):].split())


def _in_corpus(folded: str, index: LoadedIndex) -> bool:
    """The word or bigram index has it, or (jieba sometimes splits across words: "端大") every bigram of it."""
    if index.words.known(folded) or index.lexical.known(folded):
        return True
    bigrams = [folded[i : i + 2] for i in range(len(folded) - 1)]
    return bool(CJK.search(folded)) and bool(bigrams) and all(index.lexical.known(b) for b in bigrams)


def _noun_like(term: Term) -> bool:
    """A name or number, a noun in jieba's dictionary, or a word the dictionary lacks (智谱, 日活)."""
    if term.entity or term.forms or not CJK.search(term.folded):
        return True
    tag = word_tag(term.folded)
    return not tag or tag[0] in "nj"


def _best_overlap(question: str, top: list[Hit]) -> float:
    """Largest share of the question's character bigrams found in one top passage."""
    grams = char_ngrams(normalize(question), 2)
    if not grams:
        return 0.0
    return max(len(grams & char_ngrams(normalize(h.chunk.text), 2)) / len(grams) for h in top)


def _background(query: Query, index: LoadedIndex) -> float:
    """Mean cosine of the question to (a fixed sample of) the corpus: e5's floor for it."""
    if query.vector is None or not len(index.vectors):
        return 0.0
    return float(np.mean(np.asarray(index.vectors[:BACKGROUND_ROWS]) @ query.vector))


def _best_sentence(query: Query, top: list[Hit], index: LoadedIndex) -> float:
    """Best cosine of the question to one sentence of the top passages (sharper than a passage)."""
    ids = [i for h in top for i in h.chunk.sentence_ids]
    if query.vector is None or not ids:
        return 0.0
    return float(np.max(np.asarray(index.sentence_vectors[ids]) @ query.vector))


def _agree(hit: Hit) -> float:
    return float(hit.dense_rank is not None and hit.bm25_rank is not None and max(hit.dense_rank, hit.bm25_rank) <= 10)


def probability(model: dict[str, Any], values: dict[str, float]) -> float:
    """P(abstain) from the standardised features: sigmoid(bias + Σ w·(x − mean)/scale)."""
    z = float(model["bias"])
    for name, weight in model["weights"].items():
        mean, scale = model["mean"][name], model["scale"][name] or 1.0
        z += float(weight) * (values[name] - mean) / scale
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def abstain_reason(question: str, missing: Sequence[str]) -> str:
    """"资料中没有提到 GPT-4o。" / "The sources do not mention GPT-4o." or the generic message."""
    chinese = bool(CJK.search(question))
    if not missing:
        return abstain_message(question)
    term = missing[0]
    if not chinese:
        return f"The sources do not mention {term}."
    lead = in_question_script("资料中没有提到", question)
    return f"{lead} {term}。" if LATIN.fullmatch(term) else f"{lead}{term}。"
