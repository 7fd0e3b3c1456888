"""Answerers turn a question and its retrieved hits into a cited Answer."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.core.types import Answer, AnswerSentence, Hit
from assistant.index.indexes import Query
from assistant.store.build_store import LoadedIndex
from assistant.text import CJK

LIST_ITEM = re.compile(r"^\s*(?:[-*+]\s|\d{1,2}[.)）、]|[a-z][.)）]\s|[（(]\d{1,2}[）)])")
ABSTAIN_ZH = "资料中没有找到相关内容。"
ABSTAIN_EN = "No relevant content was found in the sources."


def abstain_message(question: str) -> str:
    """The abstention message in the question's language."""
    return ABSTAIN_ZH if CJK.search(question) else ABSTAIN_EN


@dataclass
class Context:
    """What an answerer works from: the question, its prepared query, hits and their index."""

    question: str
    query: Query
    hits: list[Hit]
    index: LoadedIndex
    history: list[dict[str, str]] = field(default_factory=list)
    trace: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delta:
    """A piece of answer text as it is produced (streaming)."""

    text: str


def render_pieces(sentences: list[AnswerSentence]) -> list[str]:
    """Answer text in pieces, one per sentence with its [n] marks; a new source starts a paragraph."""
    pieces: list[str] = []
    previous: list[int] | None = None
    for sentence in sentences:
        marks = "".join(f"[{n}]" for n in sentence.citations)
        gap = "" if previous is None else ("" if sentence.citations[:1] == previous[:1] else "\n\n")
        joiner = ""
        if gap == "" and pieces:
            # List items stay one per line; a Latin-script sentence needs a space before it.
            joiner = "\n" if LIST_ITEM.match(sentence.text) else ("" if CJK.search(sentence.text[:1]) else " ")
        pieces.append(gap + joiner + sentence.text + marks)
        previous = sentence.citations
    return pieces


class Answerer(ABC):
    """Seam: compose an Answer from a Context; answer_stream yields Deltas then the Answer."""

    name: str = "answerer"

    @abstractmethod
    def answer(self, ctx: Context) -> Answer:
        """A complete answer."""

    def answer_stream(self, ctx: Context) -> Iterator[Delta | Answer]:
        """Default streaming: the finished answer piece by piece, then the Answer itself."""
        answer = self.answer(ctx)
        for piece in render_pieces(answer.sentences) if not answer.abstained else [answer.text]:
            yield Delta(piece)
        yield answer
