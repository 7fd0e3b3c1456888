"""Check an LLM answer sentence by sentence against the passages each sentence cites.

The answer is split into sentences (assistant.text.split_sentences) and its [n] markers parsed
(also 【n】, ［n］, [1, 2]). Numbers outside 1..len(passages) are removed. A sentence is
supported when THE shared measure (assistant.answer.support.support) says a passage it cites supports
it; a sentence without a valid citation is unsupported. Markers a model writes after the full
stop ("…。[1]", "…. [2]") belong to the sentence before them. The answer text is rebuilt so
each sentence is followed by its markers, keeping the model's paragraphs and line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from assistant.answer.support import lexical_containment, support
from assistant.core.types import AnswerSentence, Hit
from assistant.store.build_store import LoadedIndex
from assistant.text import split_sentences

MARK = re.compile(r"\s*[\[【［]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】］]")
BRACKETS = str.maketrans({"]": ")", "】": ")", "］": ")"})
Embed = Callable[[list[str]], np.ndarray]


@dataclass
class Verification:
    """The rebuilt answer text, per-sentence verdicts, and what was removed or left uncited."""

    text: str
    sentences: list[AnswerSentence]
    cited: list[int]  # passage numbers actually cited, in order of first use
    removed: list[int] = field(default_factory=list)  # out-of-range numbers dropped

    @property
    def counts(self) -> dict[str, int]:
        uncited = sum(1 for s in self.sentences if not s.citations)
        supported = sum(1 for s in self.sentences if s.supported)
        return {
            "sentences": len(self.sentences), "supported": supported,
            "unsupported": len(self.sentences) - supported - uncited, "uncited": uncited,
            "removed_citations": len(self.removed),
        }


@dataclass
class _Piece:
    gap: str  # text between the previous sentence and this one (white space, list marks)
    text: str
    numbers: list[int]


def verify(text: str, hits: list[Hit], index: LoadedIndex, embed: Embed) -> Verification:
    """Verdicts for every sentence of `text`, whose [n] refer to hits[n-1]."""
    removed: list[int] = []
    pieces = _pieces(text, len(hits), removed)
    sentences = [_judge(p, hits, index, None) for p in pieces]
    # As in the evaluation, the (costlier) semantic signal is computed only where lexical fails.
    retry = [i for i, s in enumerate(sentences) if s.citations and not s.supported]
    if retry:
        vectors = embed([pieces[i].text for i in retry])
        for i, vector in zip(retry, vectors, strict=True):
            sentences[i] = _judge(pieces[i], hits, index, vector)
    order: list[int] = []
    for piece in pieces:
        order.extend(n for n in piece.numbers if n not in order)
    rebuilt = "".join(p.gap + p.text + "".join(f"[{n}]" for n in p.numbers) for p in pieces)
    return Verification(rebuilt.strip(), sentences, order, removed)


def _pieces(text: str, n_passages: int, removed: list[int]) -> list[_Piece]:
    pieces: list[_Piece] = []
    position = 0
    # "claim [1]. Next": a full stop after "]" ends an English sentence too; ")" has the same
    # length, so the spans found on the masked copy address the original text.
    for start, end in split_sentences(text.translate(BRACKETS)):
        raw, gap = text[start:end], text[position:start]
        lead = re.match(r"(?:" + MARK.pattern + r")+", raw)
        if lead and pieces:  # "…。[1] Next" — leading markers close the previous sentence
            pieces[-1].numbers += _numbers(lead.group(0), n_passages, removed, pieces[-1].numbers)
            raw = raw[lead.end():]
            gap += raw[: len(raw) - len(raw.lstrip())]
        numbers = _numbers(raw, n_passages, removed, [])
        clean = MARK.sub("", raw).strip()
        if clean:
            pieces.append(_Piece(gap, clean, numbers))
        elif pieces:
            pieces[-1].numbers += [n for n in numbers if n not in pieces[-1].numbers]
        position = end
    return pieces


def _numbers(raw: str, n_passages: int, removed: list[int], have: list[int]) -> list[int]:
    out: list[int] = []
    for match in MARK.finditer(raw):
        for part in re.split(r"[,，、]", match.group(1)):
            n = int(part)
            if not 1 <= n <= n_passages:
                removed.append(n)
            elif n not in out and n not in have:
                out.append(n)
    return out


def _judge(piece: _Piece, hits: list[Hit], index: LoadedIndex, vector: np.ndarray | None) -> AnswerSentence:
    if not piece.numbers:
        return AnswerSentence(piece.text, [], supported=False, support=0.0)
    cited = [hits[n - 1] for n in piece.numbers]
    ids = [sid for hit in cited for sid in hit.chunk.sentence_ids]
    source = np.asarray(index.sentence_vectors[ids]) if ids and vector is not None else None
    verdict = support(piece.text, [h.chunk.text for h in cited], vector, None if source is None else [source])
    sentence = AnswerSentence(
        piece.text, list(piece.numbers), supported=verdict.supported, support=round(verdict.score, 4)
    )
    if ids:
        # Point at the source sentence that matches best, so the UI can highlight it.
        best = index.sentences[ids[_best(piece.text, ids, index, vector, source)]]
        sentence.doc_id, sentence.start, sentence.end = best.doc_id, best.start, best.end
    return sentence


def _best(text: str, ids: list[int], index: LoadedIndex, vector: np.ndarray | None, source: np.ndarray | None) -> int:
    if vector is not None and source is not None:
        return int(np.argmax(source @ vector))
    spans = [index.sentences[i] for i in ids]
    texts = [index.documents[s.doc_id].text[s.start : s.end] for s in spans]
    return max(range(len(ids)), key=lambda k: lexical_containment(text, texts[k]))
