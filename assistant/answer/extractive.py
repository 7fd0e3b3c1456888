"""The offline default: quote the sentences that best answer the question, each cited [n].

Sentences come verbatim from the top passages. Each candidate is scored by cosine similarity
to the question (sentence vectors are precomputed at ingest) plus a small lexical bonus, then
picked by maximal marginal relevance so the answer covers different points instead of
repeating one. The picked sentences are ordered by source and position so they read in order.
Whether to answer at all is decided before, once, by the pipeline (assistant.answer.answerability).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.answer.base import Answerer, Context, abstain_message, render_pieces
from assistant.core.settings import Settings
from assistant.core.types import Answer, AnswerSentence, Citation, Hit
from assistant.text import CLOSERS, SENTENCE_END, char_ngrams, normalize

MIN_SENTENCE_CHARS = 8
LEXICAL_BONUS = 0.1
# A sentence this far below the best one is not worth quoting.
RELEVANCE_MARGIN = 0.08
# Sentences from lower-ranked passages need a slightly better match: retrieval already weighed
# the whole passage (measured on eval/questions.jsonl: key facts 0.663 → 0.677).
RANK_PRIOR = 0.01
HEADING_MAX_CHARS = 24


@dataclass
class Candidate:
    sentence_id: int
    hit_rank: int
    text: str
    start: int
    end: int
    relevance: float


class ExtractiveAnswerer(Answerer):
    """Verbatim, cited sentences chosen by relevance and diversity (MMR)."""

    name = "extractive"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def answer(self, ctx: Context) -> Answer:
        hits = ctx.hits[: self.settings.answer_passages]
        if not hits:
            return abstention(ctx.question, self.name, ctx.trace)
        candidates = self._candidates(ctx, hits)
        chosen = self._select(ctx, candidates)
        return self._compose(chosen, hits, ctx)

    def _candidates(self, ctx: Context, hits: list[Hit]) -> list[Candidate]:
        seen: set[int] = set()
        out: list[Candidate] = []
        qgrams = char_ngrams(normalize(ctx.question), 2)
        assert ctx.query.vector is not None
        for rank, hit in enumerate(hits):
            ids = [i for i in hit.chunk.sentence_ids if i not in seen]
            seen.update(ids)
            if not ids:
                continue
            cosines = np.asarray(ctx.index.sentence_vectors[ids]) @ ctx.query.vector
            for sid, cosine in zip(ids, cosines, strict=True):
                cand = self._candidate(ctx, sid, rank, float(cosine), qgrams)
                if cand:
                    out.append(cand)
        return out

    def _candidate(
        self, ctx: Context, sid: int, rank: int, cosine: float, qgrams: set[str]
    ) -> Candidate | None:
        sentence = ctx.index.sentences[sid]
        text = ctx.index.documents[sentence.doc_id].text[sentence.start : sentence.end]
        content = "".join(ch for ch in text if ch.isalnum())
        if len(content) < MIN_SENTENCE_CHARS or _looks_like_heading(text):
            return None
        grams = char_ngrams(normalize(text), 2)
        overlap = len(qgrams & grams) / len(qgrams) if qgrams else 0.0
        relevance = cosine + LEXICAL_BONUS * overlap - RANK_PRIOR * rank
        return Candidate(sid, rank, text, sentence.start, sentence.end, relevance)

    def _select(self, ctx: Context, candidates: list[Candidate]) -> list[Candidate]:
        if not candidates:
            return []
        vectors = np.asarray(ctx.index.sentence_vectors[[c.sentence_id for c in candidates]])
        best = max(c.relevance for c in candidates)
        lam = self.settings.mmr_lambda
        chosen: list[int] = []
        pool = [i for i, c in enumerate(candidates) if c.relevance >= best - RELEVANCE_MARGIN]
        while pool and len(chosen) < self.settings.answer_sentences:
            def mmr(i: int) -> float:
                redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
                return lam * candidates[i].relevance - (1 - lam) * redundancy

            pick = max(pool, key=mmr)
            chosen.append(pick)
            pool.remove(pick)
        return [candidates[i] for i in chosen]

    def _compose(self, chosen: list[Candidate], hits: list[Hit], ctx: Context) -> Answer:
        chosen.sort(key=lambda c: (c.hit_rank, c.start))
        numbers: dict[int, int] = {}
        for cand in chosen:
            numbers.setdefault(cand.hit_rank, len(numbers) + 1)
        sentences = [
            AnswerSentence(
                text=c.text, citations=[numbers[c.hit_rank]], supported=True, support=1.0,
                doc_id=hits[c.hit_rank].chunk.doc_id, start=c.start, end=c.end,
            )
            for c in chosen
        ]
        citations = [Citation(n, hits[rank]) for rank, n in numbers.items()]
        text = "".join(render_pieces(sentences))
        return Answer(text, citations, sentences, abstained=False, answerer=self.name, trace=ctx.trace)


def _looks_like_heading(text: str) -> bool:
    """Headings, short unpunctuated sub-titles and questions (反思四：…谁会成为主力军？) answer nothing."""
    stripped = text.strip()
    last = stripped.rstrip("".join(CLOSERS))[-1:]
    if stripped.startswith("#") or last in "？?":
        return True
    return last not in SENTENCE_END and len(stripped) < HEADING_MAX_CHARS


def abstention(question: str, answerer: str, trace: dict) -> Answer:
    """The answer that says the sources do not cover the question."""
    return Answer(abstain_message(question), [], [], abstained=True, answerer=answerer, trace=trace)
