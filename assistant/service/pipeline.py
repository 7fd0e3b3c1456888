"""Build the retrieval + answering pipeline once; the API, web page, Slack and CLI share it."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.analysis import QuestionAnalysis, analyse
from assistant.answer.answerability import Answerability
from assistant.answer.base import Answerer, Context, Delta, in_question_script
from assistant.answer.condense import Condenser, HeuristicCondenser, create_condenser
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.llm_answerer import create_llm_answerer
from assistant.answer.related import other_sources, related_sources
from assistant.core.settings import Settings
from assistant.core.types import Answer, Hit
from assistant.embed.embedder import Embedder, create_query_embedder
from assistant.index.factory import dense_opener
from assistant.index.pgvector import VectorStoreError
from assistant.llm.client import create_llm_client
from assistant.retrieve.dictionary import Dictionary
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import Filters, HybridRetriever
from assistant.retrieve.spelling import Speller
from assistant.store.build_store import IndexUnavailable, LoadedIndex, current_target, load_index
from assistant.text import chinese_question

log = logging.getLogger(__name__)


class IndexHolder:
    """The index being served; picks up a newly published build between requests.

    Each request takes one snapshot with get(), so it is answered wholly from the old or
    wholly from the new build, never a mix.
    """

    def __init__(self, settings: Settings, check_interval: float = 1.0) -> None:
        self.settings = settings
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._index: LoadedIndex | None = None
        self._target: str | None = None
        self._checked = 0.0
        self._failed: str | None = None  # the link target that last failed to load
        self.error: str | None = None
        self._open_dense = dense_opener(settings)

    def get(self) -> LoadedIndex:
        """The current index snapshot; raises IndexUnavailable when none can be loaded."""
        now = time.monotonic()
        if self._index is None or now - self._checked >= self.check_interval:
            self._refresh(now)
        if self._index is None:
            raise IndexUnavailable(self.error or "index not loaded")
        return self._index

    def reload(self) -> None:
        """Pick up a build just published in this process now, not at the next check interval."""
        self._refresh(time.monotonic())

    def _refresh(self, now: float) -> None:
        with self._lock:
            self._checked = now
            target = current_target(self.settings.index_dir)
            if self._index is not None and target == self._target:
                self.error = None  # the build we serve is current again: no stale reason
                return
            if target is not None and target == self._failed:
                return  # builds are immutable: a target that failed to load fails again
            try:
                loaded = load_index(self.settings.index_dir, self._open_dense)
            except IndexUnavailable as exc:
                # Keep serving the build we have; report why the new one is unusable.
                self.error, self._failed = str(exc), target
                return
            self._index, self._target, self.error, self._failed = loaded, target, None, None


@dataclass
class Pipeline:
    """retrieve() then answer() / answer_stream(), over whatever index is current."""

    settings: Settings
    embedder: Embedder
    answerer: Answerer
    holder: IndexHolder

    glossary: Glossary = field(default_factory=Glossary)
    condenser: Condenser = field(default_factory=HeuristicCondenser)
    dictionary: Dictionary = field(default_factory=Dictionary.packaged)
    _judges: dict[str, Answerability] = field(default_factory=dict, repr=False)

    def serving_index(self) -> LoadedIndex:
        """The current build; IndexUnavailable when there is none or another embedder built it."""
        index = self.holder.get()
        check_embedder(index, self.embedder)
        return index

    def retriever(self, index: LoadedIndex) -> HybridRetriever:
        return HybridRetriever(index, self.embedder, self.settings, self.glossary, self.dictionary)

    def search(
        self, question: str, k: int | None = None, filters: Filters | None = None,
        mode: str | None = None, trace: dict[str, Any] | None = None,
    ) -> list[Hit]:
        """Ranked passages for a question."""
        ctx = self._context(question, k=k, filters=filters, mode=mode, trace=trace)
        return ctx.hits

    def answer(
        self, question: str, filters: Filters | None = None,
        history: list[dict[str, str]] | None = None, mode: str | None = None,
    ) -> Answer:
        """A cited answer (or an abstention) for a question."""
        ctx = self._context(question, filters=filters, mode=mode, history=history)
        started = time.perf_counter()  # the answer stage: deciding whether to answer, then composing
        answer = self._titled(ctx, self._abstention(ctx) or self._with_others(ctx, self.answerer.answer(ctx)))
        answer.trace["answer_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return answer

    def answer_stream(
        self, question: str, filters: Filters | None = None,
        history: list[dict[str, str]] | None = None,
    ) -> Iterator[Delta | Answer]:
        """Deltas of answer text as produced, then the final Answer."""
        ctx = self._context(question, filters=filters, history=history)
        abstained = self._abstention(ctx)
        if abstained is not None:
            yield Delta(abstained.text)
            yield self._titled(ctx, abstained)
            return
        for part in self.answerer.answer_stream(ctx):
            yield self._titled(ctx, self._with_others(ctx, part)) if isinstance(part, Answer) else part

    def _abstention(self, ctx: Context) -> Answer | None:
        """The one abstention decision, made before any answerer runs; None means answer."""
        started = time.perf_counter()
        hits = ctx.hits[: self.settings.answer_passages]
        decision = self._judge(ctx.index).decide(ctx.question, ctx.query, hits, ctx.index)
        ctx.trace["answerability"] = {**decision.trace(), "ms": round((time.perf_counter() - started) * 1000, 3)}
        if not decision.abstain:
            return None
        ctx.trace["abstain_reason"] = decision.reason
        related = related_sources(ctx.query, hits, ctx.index, self.settings.related_sources) if decision.on_topic else []
        return Answer(decision.reason, [], [], abstained=True, answerer=self.answerer.name, trace=ctx.trace,
                      related=related)

    def _with_others(self, ctx: Context, answer: Answer) -> Answer:
        """An answer to a question asked across the sources, with the other documents among its
        passages listed as possibly related (related.other_sources); any other answer as it is."""
        analysis = analyse(ctx.question)
        # Only where the question asks for several sources in words: listing other documents under
        # list or compare answers (analysis.synthesis) showed 26 on dev, 4 of them gold documents.
        if answer.abstained or not (analysis.across or analysis.names_source or analysis.qtype == "agree"):
            return answer
        hits = ctx.hits[: self.settings.answer_passages]
        cited = {c.hit.chunk.doc_id for c in answer.citations}
        answer.related = other_sources(ctx.query, hits, cited, ctx.index, self.settings.related_sources,
                                       first=len(answer.citations) + 1)
        return answer

    @staticmethod
    def _titled(ctx: Context, answer: Answer) -> Answer:
        """The answer with each source's title as its labels write it: a traditional question's
        answer says 《大模型沒過“試用期”》 in its text, and its source list said the simplified
        title of the same document (round-17 trial: "makes matching and searching awkward").
        The section path above a passage is a label too ("… › 教训" under a traditional answer,
        round 19). The passages, the snippets, the passage's own `section` and the source view keep
        the published script."""
        if chinese_question(ctx.question):
            for citation in [*answer.citations, *answer.related]:
                citation.display_title = in_question_script(citation.hit.chunk.title, ctx.question)
                citation.section_path = [in_question_script(h, ctx.question) for h in citation.section_path]
        return answer

    def _context(
        self, question: str, *, k: int | None = None, filters: Filters | None = None, mode: str | None = None,
        trace: dict[str, Any] | None = None, history: list[dict[str, str]] | None = None,
    ) -> Context:
        index = self.serving_index()
        trace = {} if trace is None else trace
        question = self._spelled(self._standalone(question, history or [], trace), trace)
        retriever = self.retriever(index)
        query = retriever.prepare(question, trace)
        k = k or max(self.settings.top_k, self.settings.answer_passages)
        analysis = analyse(question)
        try:  # a question asking what to do ranks our lessons higher (retriever._prefer_advice)
            hits = retriever.search(query, k, filters, mode, trace, advice=analysis.wants("how"))
            hits = _with_sides(retriever, analysis, hits, k, filters, mode)
        except VectorStoreError as exc:  # the shared pgvector database is down: 503, not 500
            raise IndexUnavailable(str(exc)) from exc
        trace["build_id"] = index.build_id
        return Context(question, query, hits, index, history or [], trace)

    def _judge(self, index: LoadedIndex) -> Answerability:
        """The build's answerability model; a model this code cannot read is logged, not fatal."""
        judge = self._judges.get(index.build_id)
        if judge is None:
            try:
                judge = Answerability(index.answerability, self.glossary, self.dictionary)
            except ValueError as exc:
                log.warning("build %s: %s; answerability falls back to its rules (no model)", index.build_id, exc)
                judge = Answerability(None, self.glossary, self.dictionary)
            self._judges = {index.build_id: judge}  # one build is served at a time
        return judge

    def _standalone(self, question: str, history: list[dict[str, str]], trace: dict[str, Any]) -> str:
        """Follow-ups become standalone questions before retrieval (assistant/answer/condense.py)."""
        if not history:
            return question
        started = time.perf_counter()
        condensed = self.condenser.condense(question, history)
        if condensed.method != "none":
            trace["condensed"] = {"question": condensed.question, "method": condensed.method,
                                  "ms": round((time.perf_counter() - started) * 1000, 3)}
        return condensed.question

    def _spelled(self, question: str, trace: dict[str, Any]) -> str:
        """An English question's misspelled domain words corrected (assistant/retrieve/spelling.py); the
        answer says how it was read, as for a condensed follow-up."""
        corrected = self.speller.correct(question)
        if corrected != question:
            trace["condensed"] = {**trace.get("condensed", {"method": "spelling"}), "question": corrected}
        return corrected

    @functools.cached_property
    def speller(self) -> Speller:
        return Speller(self.glossary, self.dictionary)


def _with_sides(retriever: HybridRetriever, analysis: QuestionAnalysis, hits: list[Hit], k: int,
                filters: Filters | None, mode: str | None) -> list[Hit]:
    """A Chinese compare question's hits merged with those of each side asked alone (the question
    without the other side), best fused score first: each ranking's best passage scores alike, so
    both sides reach the top k. Round-10 trial: "对比一下设备维保知识助手项目和零售补货POC失败原因的
    异同" retrieved only the retail postmortem, the maintenance one (维修, not 维保) not at all.
    English sides are cut too loosely ("team size" / "effort behind") to be asked alone."""
    question = analysis.question
    if len(analysis.sides) != 2 or analysis.english:
        return hits
    best = {h.chunk.chunk_id: h for h in hits}
    for other in reversed(analysis.sides):
        for hit in retriever.search(retriever.prepare(question.replace(other, " ", 1), {}), k, filters, mode):
            if hit.chunk.chunk_id not in best or best[hit.chunk.chunk_id].score < hit.score:
                best[hit.chunk.chunk_id] = hit
    return sorted(best.values(), key=lambda h: -h.score)[:k]


def check_embedder(index: LoadedIndex, embedder: Embedder) -> None:
    """Refuse a build embedded by another model (or model version) than the one embedding the
    questions: its cosines would be meaningless, and the answers silently wrong."""
    built, live = index.manifest.get("embedder"), embedder.identity()
    if built is not None and built != live:
        raise IndexUnavailable(
            f"build {index.build_id} was embedded by {_described(built)}, but questions are embedded by "
            f"{_described(live)}: run `hindsight ingest` with these embedder settings"
        )


def _described(identity: dict[str, Any]) -> str:
    return " ".join(str(identity.get(key)) for key in ("name", "version") if identity.get(key)) or str(identity)


AnswererFactory = Callable[[Settings, Embedder], Answerer]

# Answerers by name; the LLM answerer registers itself here when configured.
ANSWERERS: dict[str, AnswererFactory] = {
    "extractive": lambda s, e: ExtractiveAnswerer(s),
    "llm": create_llm_answerer,  # docs/llm.md; AnswererUnavailable when no LLM is configured
}


def build_pipeline(settings: Settings, embedder: Embedder | None = None, answerer: str | None = None) -> Pipeline:
    """Construct the shared pipeline; the index is loaded lazily and reloaded on swap.

    The answerer defaults to "llm" when an LLM base URL is configured, else "extractive".
    """
    embedder = embedder or create_query_embedder(settings)
    answerer = answerer or ("llm" if settings.llm_base_url else "extractive")
    condenser = create_condenser(create_llm_client(settings), settings.llm_condense)
    return Pipeline(
        settings, embedder, ANSWERERS[answerer](settings, embedder), IndexHolder(settings),
        Glossary.load(settings.glossary_path), condenser,
    )
