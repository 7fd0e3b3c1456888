"""Composition: turn the selected units into the answer shape (lead, points, labels, frames).

- every answer: a lead (the best unit, cited), then distinct points, numbered;
- list questions: the best item leads, the other items follow in source order;
- a quoted list item or action item without closing punctuation gets a full stop, so every
  lead and point reads as a sentence;
- compare / agree questions: the points grouped per source under a label naming it;
- Chinese questions: quotes converted (OpenCC) into the question's script; citations keep the
  original span and text;
- English questions: an English frame ("2 sources (in Chinese) give these reasons:"), English
  labels, and a closing line glossing the glossary terms the quotes use; quotes stay Chinese;
- follow-ups: a frame showing how the question was read;
- the points stop at `max_chars` characters; the lead is always kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.analysis import QuestionAnalysis, to_script
from assistant.answer.select import Scored
from assistant.core.types import AnswerSentence, Citation, Hit
from assistant.retrieve.glossary import Glossary
from assistant.text import CJK

# English frame verbs per question type: (one source, several sources).
EN_FRAMES = {
    "why": ("gives this reason", "give these reasons"), "how": ("suggests this", "suggest this"),
    "list": ("lists these", "list these"), "compare": ("compares them as follows", "compare them as follows"),
    "agree": ("says this", "say the following"), "number": ("gives these figures", "give these figures"),
}
DEFAULT_FRAME = ("says this", "say this")
SNIPPET_CHARS = 48
TERMINAL = "。！？；.!?;…"
CLOSING = "”’」』）)]》\"' "
OPEN_ENDS = "，,、：:"


@dataclass
class Composition:
    """The answer sentences (in display order) and the citations they use."""

    sentences: list[AnswerSentence]
    citations: list[Citation]


def compose(
    analysis: QuestionAnalysis, chosen: list[Scored], hits: list[Hit], max_chars: int,
    glossary: Glossary | None = None, read_as: str | None = None,
) -> Composition:
    """The answer's sentences and citations for the chosen units (lead first)."""
    numbers: dict[int, int] = {}
    snippets: dict[int, str] = {}
    # A Chinese question gets no English-prose quote while a Chinese one is left (the language rule).
    chosen = [s for s in chosen if analysis.speaks(s.unit.text)] or chosen
    lead, *points = _list_order(chosen) if analysis.qtype == "list" else chosen
    points = _within(points, max_chars - len(lead.unit.text))
    body = [_quote(lead, "lead", analysis, numbers, snippets)]
    if analysis.qtype in ("compare", "agree") and len({p.unit.doc_id for p in chosen}) > 1:
        body += _per_source(lead, points, hits, analysis, numbers, snippets)
    else:
        if points and analysis.english:
            body.append(_label("Further points:"))
        body += [_quote(p, "point", analysis, numbers, snippets) for p in points]
    sources = len({hits[rank].chunk.doc_id for rank in numbers})
    frames = _frames(analysis, sources, read_as)
    closing = _glosses(analysis, [lead, *points], glossary)
    citations = [Citation(n, hits[rank], snippet=snippets[rank]) for rank, n in numbers.items()]
    return Composition(frames + body + closing, citations)


def _list_order(chosen: list[Scored]) -> list[Scored]:
    """List answers: the best item leads, the other items follow in source order."""
    lead, *items = chosen
    return [lead, *sorted(items, key=lambda s: (s.unit.hit_rank, s.unit.start))]


def _within(points: list[Scored], budget: int) -> list[Scored]:
    kept = []
    for point in points:
        budget -= len(point.unit.text)
        if budget < 0:
            break
        kept.append(point)
    return kept


def _quote(s: Scored, kind: str, analysis: QuestionAnalysis, numbers: dict[int, int], snippets: dict[int, str]) -> AnswerSentence:
    u = s.unit
    n = numbers.setdefault(u.hit_rank, len(numbers) + 1)
    snippets.setdefault(u.hit_rank, _shorten(u.text))
    return AnswerSentence(
        text=_closed(to_script(u.text, analysis.script)), citations=[n], supported=True, support=1.0,
        doc_id=u.doc_id, start=u.start, end=u.end, kind=kind,
    )


def _per_source(
    lead: Scored, points: list[Scored], hits: list[Hit], analysis: QuestionAnalysis,
    numbers: dict[int, int], snippets: dict[int, str],
) -> list[AnswerSentence]:
    """Points grouped under a label per source, sources in order of their best unit."""
    out: list[AnswerSentence] = []
    order = list(dict.fromkeys(p.unit.doc_id for p in [lead, *points]))
    for doc_id in order:
        group = [p for p in points if p.unit.doc_id == doc_id]
        if not group:
            continue
        title = next(h.chunk.title for h in hits if h.chunk.doc_id == doc_id)
        out.append(_label(f"Source: {title}" if analysis.english else f"《{to_script(title, analysis.script)}》："))
        out += [_quote(p, "point", analysis, numbers, snippets) for p in group]
    return out


def _frames(analysis: QuestionAnalysis, sources: int, read_as: str | None) -> list[AnswerSentence]:
    frames = []
    if read_as:
        frames.append(_frame(f"(Read as: {read_as})" if analysis.english else f"（按“{read_as}”理解）"))
    if analysis.english:
        verb = EN_FRAMES.get(analysis.qtype, DEFAULT_FRAME)[sources > 1]
        frames.append(_frame(f"{sources} source{'s' if sources > 1 else ''} (in Chinese) {verb}:"))
    return frames


def _glosses(analysis: QuestionAnalysis, chosen: list[Scored], glossary: Glossary | None) -> list[AnswerSentence]:
    """English questions: the glossary terms of the question that the quotes use, glossed."""
    if not analysis.english or glossary is None:
        return []
    quoted = "".join(s.unit.text for s in chosen)
    pairs: list[tuple[int, str]] = []
    taken: set[int] = set()  # question characters already glossed: "trial period" before "trial"
    for pattern, terms in glossary.entries:  # longest phrases first
        match = pattern.search(analysis.question)
        used = [t for t in terms if CJK.search(t) and (t in quoted or to_script(t, "hant") in quoted)]
        if match and used and not taken & set(range(*match.span())):
            taken |= set(range(*match.span()))
            pairs.append((match.start(), f"{used[0]} = {match.group(0).lower()}"))
    glosses = dict.fromkeys(text for _, text in sorted(pairs))  # in the question's order
    return [_frame("Key terms: " + "; ".join(glosses))] if glosses else []


def _closed(text: str) -> str:
    """A unit that ends without a sentence end (a list or action item) gets a full stop; a clause
    cut after a comma or colon has that mark replaced ("…等，" → "…等。", not "…等，。")."""
    core = text.rstrip(CLOSING)
    if core and core[-1] in TERMINAL:
        return text
    stop = "。" if CJK.search(text) else "."
    if text and text[-1] in OPEN_ENDS:
        return text[:-1].rstrip() + stop
    return text + stop


def _label(text: str) -> AnswerSentence:
    return AnswerSentence(text=text, citations=[], supported=True, support=1.0, kind="label")


def _frame(text: str) -> AnswerSentence:
    return AnswerSentence(text=text, citations=[], supported=True, support=1.0, kind="frame")


def _shorten(text: str) -> str:
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"
