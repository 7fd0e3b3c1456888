"""The offline default: a lead and distinct cited points quoted from the retrieved passages.

A pipeline of named stages (docs/answers.md): question analysis (analysis.py) → evidence units
(units.py) → selection (select.py) → composition (compose.py). Every sentence is a verbatim
source span (converted into the question's script), so each carries its citation and offsets.
When the best evidence is weak the answerer abstains instead of quoting noise.
"""

from __future__ import annotations

from assistant.answer.analysis import analyse
from assistant.answer.base import Answerer, Context, abstain_message, render_pieces
from assistant.answer.compose import compose
from assistant.answer.select import score_units, select
from assistant.answer.units import evidence_units
from assistant.core.settings import Settings
from assistant.core.types import Answer, Hit
from assistant.retrieve.glossary import Glossary
from assistant.text import CJK

COVERAGE_WEIGHT = 0.1


class ExtractiveAnswerer(Answerer):
    """A lead and distinct points, verbatim and cited, shaped by the question's type and language."""

    name = "extractive"

    def __init__(self, settings: Settings, glossary: Glossary | None = None) -> None:
        self.settings = settings
        self.glossary = glossary if glossary is not None else Glossary.load(settings.glossary_path)

    def answer(self, ctx: Context) -> Answer:
        hits = ctx.hits[: self.settings.answer_passages]
        evidence = evidence_score(ctx, hits)
        threshold = abstain_threshold(ctx.question, self.settings)
        ctx.trace.update(evidence=round(evidence, 4), abstain_threshold=threshold)
        if not hits or evidence < threshold:
            return abstention(ctx.question, self.name, ctx.trace)
        return self._compose(ctx, hits)

    def _compose(self, ctx: Context, hits: list[Hit]) -> Answer:
        analysis = analyse(ctx.question)
        units = evidence_units(ctx.index, hits)
        scored = score_units(units, analysis, ctx.query, ctx.index)
        chosen = select(scored, analysis, self.settings.answer_sentences, self.settings.mmr_lambda)
        ctx.trace["analysis"] = {"type": analysis.qtype, "language": analysis.language, "script": analysis.script}
        ctx.trace["selected"] = [s.to_trace() for s in chosen]
        if not chosen:
            return abstention(ctx.question, self.name, ctx.trace)
        condensed = ctx.trace.get("condensed", {}).get("question")
        made = compose(analysis, chosen, hits, self.settings.answer_max_chars, self.glossary, condensed)
        text = "".join(render_pieces(made.sentences))
        return Answer(text, made.citations, made.sentences, abstained=False, answerer=self.name, trace=ctx.trace)


def evidence_score(ctx: Context, hits: list[Hit]) -> float:
    """How strongly the corpus answers: best passage cosine + a bonus for known question words.

    multilingual-e5 cosines sit in a narrow band (~0.7-0.92), so the raw cosine alone mixes
    off-topic and on-topic questions; question words the corpus has never seen (红烧肉, 比分)
    are the complementary signal. Calibrated on eval/questions.jsonl (see eval/README.md).
    """
    if not hits:
        return 0.0
    top = max(hit.dense_score or 0.0 for hit in hits)
    return top + COVERAGE_WEIGHT * ctx.index.lexical.coverage(ctx.query.tokens)


def abstain_threshold(question: str, settings: Settings) -> float:
    """Chinese questions match Chinese passages closely; cross-lingual cosines run lower."""
    return settings.abstain_threshold if CJK.search(question) else settings.abstain_threshold_latin


def abstention(question: str, answerer: str, trace: dict) -> Answer:
    """The answer that says the sources do not cover the question."""
    return Answer(abstain_message(question), [], [], abstained=True, answerer=answerer, trace=trace)
