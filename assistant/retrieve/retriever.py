"""Hybrid retrieval: five rankers (chunk cosine, best-sentence cosine, bigram and word BM25,
term proximity), and two more over the questions each chunk answers (corpus/questions/: the
closest one's cosine, BM25 over them), each min-max scaled over its candidates and summed with
weights (linear fusion).

Linear fusion beat weighted reciprocal rank fusion on the dev split (docs/retrieval.md): it keeps
how far ahead a passage is, not just its place. Term proximity (round 5, Chinese questions) tells
apart neighbouring chunks of one document, which the other four score alike: the one where the
question's words stand close together wins.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.core.settings import Settings
from assistant.core.types import POSTMORTEM_SECTIONS, Chunk, Hit
from assistant.embed.embedder import Embedder
from assistant.index.indexes import Query, Ranked
from assistant.retrieve.dictionary import Dictionary
from assistant.retrieve.glossary import Glossary
from assistant.store.build_store import LoadedIndex
from assistant.text import (
    CJK,
    EN_STOP,
    ZH_STOP,
    char_ngrams,
    chinese_question,
    jieba_words,
    normalize,
    regional_edits,
    simplified,
    tokenize,
)

# Characters over which the proximity factor of term_proximity falls from its top to half-way
# (dev: 50, 100, 200 and 400 ranked alike; docs/retrieval.md round 5).
PROXIMITY_SCALE = 100.0
# How sharply the question ranker's soft maximum (log-sum-exp) favours a chunk's closest question.
QUESTION_SHARPNESS = 20.0
# A request's opening words ask for a form, not about a subject: "列一下 To B 大模型早期适合落地的场景"
# put an article's Gartner-curve passage first, where the same words asked as "……有哪些？" found the
# early scenarios (round-22 trial). Retrieval reads what follows them.
REQUEST = re.compile(r"^\s*(?:请|麻烦|帮我|帮忙|给我|請|幫我|幫忙|給我)?\s*(?:列一下|列下|列举一下|列舉一下|列举|列舉|罗列一下|羅列一下|罗列|羅列"
                     r"|盘点一下|盤點一下|说说|說說|讲讲|講講|介绍一下|介紹一下|整理一下|梳理一下)\s*[:：,，]?\s*")
FILTER_FIELDS = ("doc_type", "doc_id", "industry", "phase", "outcome", "language", "customer_segment")


@dataclass
class Filters:
    """Metadata filters: each field is a set of accepted values; tags match if any is present."""

    values: dict[str, set[str]] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Filters:
        data = data or {}
        unknown = set(data) - set(FILTER_FIELDS) - {"tags"}
        if unknown:
            raise ValueError(f"unknown filter fields: {sorted(unknown)}; known: {[*FILTER_FIELDS, 'tags']}")
        values = {k: _as_set(data[k]) for k in FILTER_FIELDS if data.get(k)}
        return cls(values, _as_set(data.get("tags") or []))

    def __bool__(self) -> bool:
        return bool(self.values or self.tags)

    def accepts(self, chunk: Chunk) -> bool:
        for name, accepted in self.values.items():
            value = chunk.doc_id if name == "doc_id" else chunk.metadata.get(name)
            if str(value) not in accepted:
                return False
        return not self.tags or bool(self.tags & set(map(str, chunk.metadata.get("tags") or [])))

    def allowed_rows(self, chunks: list[Chunk]) -> np.ndarray:
        return np.array([i for i, c in enumerate(chunks) if self.accepts(c)], dtype=np.int64)


def _as_set(value: Any) -> set[str]:
    return {str(v) for v in value} if isinstance(value, list | tuple | set) else {str(value)}


class HybridRetriever:
    """Turns a question into ranked, de-duplicated hits from one loaded index."""

    def __init__(
        self, index: LoadedIndex, embedder: Embedder, settings: Settings, glossary: Glossary | None = None,
        dictionary: Dictionary | None = None,
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.glossary = glossary or Glossary()
        self.dictionary = dictionary

    def prepare(self, question: str, trace: dict[str, Any]) -> Query:
        """Tokenise and embed the question once; both indexes use the same Query."""
        t0 = time.perf_counter()
        asked = question
        question = REQUEST.sub("", question) or question
        expanded = self.expand(question)
        tokens, words = tokenize(expanded, "bigram"), tokenize(expanded, "jieba")
        # Proximity reads a Chinese question's own words; an English question's only corpus words
        # are the glossary terms appended to it, whose closeness in a passage says little (dev
        # English key facts 0.841 → 0.742 with it on, docs/retrieval.md round 5).
        content = content_words(expanded) if reads_proximity(question) else []
        t1 = time.perf_counter()
        # Dictionary terms are word-by-word guesses: BM25 weighs each on its own, but in the query
        # embedding they pull the whole question towards their topic (an HR question's
        # "employees" → 员工 made it look answerable); so e5 reads the glossary's phrases only
        # (dev, docs/retrieval.md round 6).
        # e5 reads the question in simplified script: seven of the eight documents and four in five
        # curated questions are simplified, and a traditional question sat further from them than
        # its simplified twin (dev traditional hit@5 0.889 → 0.944, answerability CV log loss
        # 0.1624 → 0.1468; docs/retrieval.md round 10). Passages keep their own script.
        # A Taiwan word the sources never use (專案, 軟體) is read as its mainland word there too,
        # as BM25 reads it: e5 placed "專案" questions away from their 项目 passages.
        vector = self.embedder.embed_query(self.mainland(simplified(self.glossary.expand(question)), question))
        t2 = time.perf_counter()
        _stage(trace, "normalize_ms", t0, t1)
        _stage(trace, "embed_ms", t1, t2)
        if expanded != question:
            trace["expanded_query"] = expanded
        return Query(asked, tokens, vector, words, content)

    def expand(self, question: str) -> str:
        """The question plus Chinese terms for its English words, as BM25 reads it: the glossary's
        for its phrases, then the dictionary's for the words the glossary lacks; and the mainland
        word for a Taiwan word the sources never use."""
        extra = self.dictionary_terms(question) + self.regional_terms(question)
        phrased = self.glossary.expand(question)
        return f"{phrased} {' '.join(extra)}" if extra else phrased

    def mainland(self, text: str, question: str) -> str:
        """text with each of the question's regional words (regional_swaps) in its mainland form."""
        for word, _, edited in self.regional_swaps(question):
            text = text.replace(word, edited)
        return text

    def regional_terms(self, question: str) -> list[str]:
        return [mainland for _, mainland, _ in self.regional_swaps(question)]

    def regional_swaps(self, question: str) -> list[tuple[str, str, str]]:
        """The mainland word (项目) for each Taiwan word (專案) the corpus lacks and the mainland one it
        has (round-13 trial: "比較一下我們的銀行專案和零售 POC" found no 项目). Question scaffolding stays
        alone: "哪些資料……" asks which sources, and OpenCC's 数据 (data) would pull towards another topic.
        A word is known when the corpus has each of its jieba words (智能审核 is 智能 + 审核 there)."""
        return [(word, mainland, edited) for word, mainland, edited in regional_edits(question)
                if word not in ZH_STOP and not self.known(word) and self.known(mainland)]

    def known(self, word: str) -> bool:
        return self.index.words.known(word) or all(map(self.index.words.known, jieba_words(word)))

    def dictionary_terms(self, question: str) -> list[str]:
        """CC-CEDICT's terms (those the corpus uses) for the English words no glossary phrase covers."""
        if self.dictionary is None or not self.settings.dictionary_terms:
            return []
        words = self.glossary.uncovered_words(question)
        return self.dictionary.translate(words, self.index.words.document_frequency, self.settings.dictionary_terms)

    def search(
        self, query: Query, k: int, filters: Filters | None = None, mode: str | None = None,
        trace: dict[str, Any] | None = None, advice: bool = False,
    ) -> list[Hit]:
        """Top-k hits for a prepared query, fused, filtered and near-duplicates collapsed; `advice`:
        the question asks what to do (_prefer_advice)."""
        trace = {} if trace is None else trace
        mode = mode or self.settings.retrieval_mode
        allowed = filters.allowed_rows(self.index.chunks) if filters else None
        if allowed is not None and not len(allowed):
            return []
        n, ix = self.settings.candidates, self.index
        t0 = time.perf_counter()
        dense = ix.dense.search(query, n, allowed) if mode != "bm25" else []
        t1 = time.perf_counter()
        lexical = ix.lexical.search(query, n, allowed) if mode != "dense" else []
        words = ix.words.search(query, n, allowed) if mode != "dense" else []
        asked = self._questions(query, n, allowed, mode)
        t2 = time.perf_counter()
        hits = self._fuse(query, dense, lexical, words, mode, asked)
        hits = self._prefer_kind(query.text, hits)
        hits = self._prefer_named(query.text, hits)
        hits = self._prefer_advice(hits) if advice else hits
        hits = collapse_near_duplicates(hits, self.settings.dedupe_threshold, limit=k)
        _stage(trace, "faiss_ms", t0, t1)
        _stage(trace, "bm25_ms", t1, t2)
        _stage(trace, "fusion_ms", t2, time.perf_counter())
        trace.update(mode=mode, dense_candidates=len(dense), bm25_candidates=len(lexical) + len(words))
        return hits

    def _fuse(
        self, query: Query, dense: Ranked, lexical: Ranked, words: Ranked, mode: str,
        asked: tuple[Ranked, Ranked] = ([], []),
    ) -> list[Hit]:
        s = self.settings
        by_question, by_question_words = asked
        hits = {row: Hit(self.index.chunks[row], 0.0)
                for row, _ in [*dense, *lexical, *words, *by_question, *by_question_words]}
        rows = list(hits)
        sentence = self._best_sentences(query, rows)[: s.candidates] if mode != "bm25" and rows else []
        near = self._proximity(query, rows)[: s.candidates] if mode != "dense" and s.proximity_weight else []
        # An English question's lexical tokens are translation guesses; its curated twins are not.
        english = not chinese_question(query.text)
        lexical_scale, question_scale = (s.english_lexical_scale, s.english_question_scale) if english else (1.0, 1.0)
        for weight, ranked in ((s.dense_weight, dense), (s.sentence_weight, sentence),
                               (s.bigram_weight * lexical_scale, lexical), (s.words_weight * lexical_scale, words),
                               (s.proximity_weight, near), (s.question_weight * question_scale, by_question),
                               (s.question_bm25_weight * question_scale, by_question_words)):
            for row, scaled in _min_max(ranked):
                hits[row].score += weight * scaled
        for attr, ranked in (("dense_rank", dense), ("bm25_rank", lexical)):
            for rank, (row, _score) in enumerate(ranked, start=1):
                setattr(hits[row], attr, rank)
        if rows and query.vector is not None:
            # Cosine of every candidate, lexical-only ones too: answerability reads it.
            cosines = np.asarray(self.index.vectors[rows]) @ query.vector
            for row, cosine in zip(rows, cosines, strict=True):
                hits[row].dense_score = float(cosine)
        return sorted(hits.values(), key=lambda h: -h.score)

    def _prefer_kind(self, question: str, hits: list[Hit]) -> list[Hit]:
        """Hits with the kind of source the question names lifted by source_kind_boost, best first.

        No source says what kind it is in words ("复盘" is in no postmortem), so "我们的复盘里……" ranked the
        articles' A/B/C projects above our postmortems (round-13 trial: "List every project in our
        postmortems that failed …" quoted an article's projects as ours). A soft lift, not a filter:
        a question naming postmortems may still be answered by an article.
        """
        kind = asked_kind(question)
        if not kind:
            return hits
        return _lifted(hits, lambda c: (c.metadata or {}).get("doc_type") == kind, self.settings.source_kind_boost)

    def _prefer_named(self, question: str, hits: list[Hit]) -> list[Hit]:
        """Hits of the documents whose author or source the question names lifted by NAMED_LIFT.

        A user names an article by where it ran ("光子星球讲试用期的那篇文章", round-15 trial), which only
        its front matter holds: that article was not retrieved at all. A lift, as for the kind of source.
        """
        named = named_documents(question, self.index.byline_names)
        return _lifted(hits, lambda c: c.doc_id in named, NAMED_LIFT) if named else hits

    def _prefer_advice(self, hits: list[Hit]) -> list[Hit]:
        """Our postmortems' lessons and action items lifted by advice_section_boost, best first: a
        question asking what to do is answered by what the team learned to do, and those sections
        ranked under the same postmortem's account and root cause, which share the situation's words
        ("客户在试用期里一直往里塞新需求，我该怎么接话？" ranked the lessons third)."""
        return _lifted(hits, lambda c: (c.metadata or {}).get("doc_type") == "postmortem" and c.section in ADVICE_SECTIONS,
                       self.settings.advice_section_boost)

    def _questions(self, query: Query, n: int, allowed: np.ndarray | None, mode: str) -> tuple[Ranked, Ranked]:
        """Chunks by the questions they answer (corpus/questions/): the closest question's cosine,
        and BM25 over their questions joined; nothing for a build without questions."""
        ix, s = self.index, self.settings
        if not ix.questions:
            return [], []
        by_question: Ranked = []
        if mode != "bm25" and s.question_weight and query.vector is not None and ix.question_vectors is not None:
            # A soft maximum over a chunk's questions: the closest one, plus a little for each other
            # close one (dev MRR 0.858 with the plain maximum, 0.872 with this; round 9).
            mass = np.zeros(len(ix.chunks), dtype=np.float64)
            np.add.at(mass, ix.question_rows, np.exp(QUESTION_SHARPNESS * (ix.question_vectors @ query.vector - 1.0)))
            with np.errstate(divide="ignore"):
                by_question = _top(1.0 + np.log(mass) / QUESTION_SHARPNESS, n, allowed)
        words = (ix.question_index.search(query, n, allowed)
                 if mode != "dense" and s.question_bm25_weight and ix.question_index is not None else [])
        return by_question, words

    def _best_sentences(self, query: Query, rows: list[int]) -> Ranked:
        """Candidates by their best sentence cosine, best first: a passage is as good as its best sentence."""
        assert query.vector is not None
        ids = [list(self.index.chunks[row].sentence_ids) for row in rows]
        flat = [i for group in ids for i in group]
        if not flat:
            return []
        cosines = dict(zip(flat, np.asarray(self.index.sentence_vectors[flat]) @ query.vector, strict=True))
        best = [(row, float(max(cosines[i] for i in group))) for row, group in zip(rows, ids, strict=True) if group]
        return sorted(best, key=lambda pair: -pair[1])

    def _proximity(self, query: Query, rows: list[int]) -> Ranked:
        """Candidates by term_proximity of the question's content words, IDF from the word index."""
        if not rows or not query.content:
            return []
        weights = content_weights(query, self.index)
        scored = [(row, term_proximity(self.index.search_text(row), weights)) for row in rows]
        return sorted(scored, key=lambda pair: -pair[1])


# A document a question names by its author or source is lifted this much (times 1 + this): naming a
# source says which one to read. The round-15 trial's compare question ranked the named article 6th
# at the kind lift (0.3) and its answer quoted the other source only; 0.5 is the least of 0.5 / 0.7 /
# 1.0 that quotes both (1.0 led with the article's weakest passages). No eval or probe question
# names a source, so nothing there measures it (docs/retrieval.md round 15).
NAMED_LIFT = 0.5
# A postmortem's sections that say what to do (core.types.POSTMORTEM_SECTIONS): its lessons and action items.
ADVICE_SECTIONS = frozenset(dict(POSTMORTEM_SECTIONS)[key] for key in ("lessons", "actions"))
# How users name the two kinds of source (ingest's doc_type): our postmortems, and the articles.
# "我们自己做过的项目" as well as "我们的项目" (round-18 trial: it was answered from an article's anecdote).
POSTMORTEM_CUE = re.compile(r"复盘|復盤|檢討|检讨|\bpost-?mortems?\b|\bretrospectives?\b|我们过去"
                            r"|我[们們](?:自己)?(?:做过|做過|经手过?|經手過?|交付过|交付過)?的(?:项目|項目|專案)"
                            r"|\bour (?:own )?projects?\b", re.I)
ARTICLE_CUE = re.compile(r"文章|外部|公开|公開|\barticles?\b|\bpublic\b|\bexternal\b|\bpress\b", re.I)


def _lifted(hits: list[Hit], chosen: Callable[[Chunk], bool], boost: float) -> list[Hit]:
    """The hits with the chosen chunks' scores times 1 + boost, best first (a lift: nothing is dropped)."""
    if not boost:
        return hits
    for hit in hits:
        if chosen(hit.chunk):
            hit.score *= 1 + boost
    return sorted(hits, key=lambda h: -h.score)


def asked_kind(question: str) -> str:
    """The one kind of source a question names ("postmortem" or "article"), or "" for none or both."""
    postmortem, article = bool(POSTMORTEM_CUE.search(question)), bool(ARTICLE_CUE.search(question))
    return "postmortem" if postmortem and not article else "article" if article and not postmortem else ""


def named_documents(question: str, bylines: dict[str, tuple[str, ...]]) -> frozenset[str]:
    """The documents one of whose byline names (author, source; folded) the question holds."""
    return frozenset(doc_id for doc_id, _ in held_names(question, bylines))


def held_names(question: str, bylines: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(doc id, name) for each byline name the question holds; a Latin name only as a whole word
    ("alter" is no name inside "alternative")."""
    folded = normalize(question)
    return [(doc_id, name) for doc_id, names in bylines.items() for name in names if _holds_name(folded, name)]


def _holds_name(folded: str, name: str) -> bool:
    if CJK.search(name):
        return name in folded
    return re.search(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", folded) is not None


def reads_proximity(question: str) -> bool:
    """Whether the proximity ranker scores this question: only questions with Chinese in them."""
    return chinese_question(question)


def content_weights(query: Query, index: LoadedIndex) -> dict[str, float]:
    """The question's content words, each weighted by its BM25 IDF in the word index."""
    if not query.content:
        return {}
    n = len(index.words)
    return {word: bm25_idf(index.words.document_frequency(word), n) for word in query.content}


def bm25_idf(df: int, n: int) -> float:
    """BM25's inverse document frequency of a term found in df of n passages."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def content_words(question: str) -> list[str]:
    """The question's jieba words (precise mode) minus question scaffolding, each once.

    Single characters stay (签, 卖, 提): dropping them lost the proximity ranker's dev gain.
    """
    return list(dict.fromkeys(w for w in jieba_words(normalize(question)) if w not in ZH_STOP and w not in EN_STOP))


def term_proximity(text: str, weights: dict[str, float]) -> float:
    """How much of the question a text holds, and how close together.

    The IDF-weighted share of the question's words (`weights`) that occur in `text` (normalised),
    times log(2 + exp(-span / PROXIMITY_SCALE)), where span is the length of the shortest stretch of
    text holding every one of them that occurs (Tao & Zhai's MinCover span). 0 when none occurs.
    """
    events = sorted((pos, word) for word in weights for pos in word_positions(text, word))
    if not events:
        return 0.0
    found = {word for _, word in events}
    span, inside, start = math.inf, Counter[str](), 0
    for pos, word in events:
        inside[word] += 1
        while len(inside) == len(found):
            first, first_word = events[start]
            span = min(span, pos + len(word) - first)
            inside[first_word] -= 1
            if not inside[first_word]:
                del inside[first_word]
            start += 1
    share = sum(weights[w] for w in found) / sum(weights.values())
    return share * math.log(2 + math.exp(-span / PROXIMITY_SCALE))


def word_positions(text: str, word: str) -> list[int]:
    """Every start offset of word in text (overlapping matches included)."""
    found, pos = [], text.find(word)
    while pos >= 0:
        found.append(pos)
        pos = text.find(word, pos + 1)
    return found


def _top(scores: np.ndarray, n: int, allowed: np.ndarray | None) -> Ranked:
    """The n best rows with a score (not -inf), among the allowed ones."""
    if allowed is not None:
        masked = np.full_like(scores, -np.inf)
        masked[allowed] = scores[allowed]
        scores = masked
    k = min(n, len(scores))
    if not k:
        return []
    order = np.argpartition(-scores, k - 1)[:k]  # O(chunks), not a full sort per query
    order = order[np.argsort(-scores[order], kind="stable")]
    return [(int(r), float(scores[r])) for r in order if np.isfinite(scores[r])]


def _min_max(ranked: Ranked) -> list[tuple[int, float]]:
    """Scores scaled to [0, 1] over the ranker's own candidates (all 1 when they tie)."""
    if not ranked:
        return []
    scores = np.array([score for _, score in ranked], dtype=np.float64)
    lo, spread = scores.min(), scores.max() - scores.min()
    return [(row, float((score - lo) / spread) if spread else 1.0) for (row, _), score in zip(ranked, scores, strict=True)]


def collapse_near_duplicates(hits: list[Hit], threshold: float, limit: int | None = None) -> list[Hit]:
    """Drop a hit that mostly repeats a better one (overlapping span or near-identical text)."""
    kept: list[tuple[Hit, set[str]]] = []
    for hit in hits:
        if limit is not None and len(kept) >= limit:
            break  # later hits only compete with kept ones: stopping early changes nothing
        grams = char_ngrams(normalize(hit.chunk.text), 3)
        if not any(_same_passage(hit, other, grams, other_grams, threshold) for other, other_grams in kept):
            kept.append((hit, grams))
    return [hit for hit, _ in kept]


def _same_passage(a: Hit, b: Hit, ga: set[str], gb: set[str], threshold: float) -> bool:
    ca, cb = a.chunk, b.chunk
    if ca.doc_id == cb.doc_id:
        overlap = min(ca.end, cb.end) - max(ca.start, cb.start)
        if overlap > threshold * min(ca.end - ca.start, cb.end - cb.start):
            return True
    union = len(ga | gb)
    return bool(union) and len(ga & gb) / union >= threshold


def _stage(trace: dict[str, Any], name: str, start: float, end: float) -> None:
    trace[name] = round((end - start) * 1000, 3)
