"""Answerers turn a question and its retrieved hits into a cited Answer."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.analysis import detect_script, to_script
from assistant.core.types import Answer, AnswerSentence, Hit
from assistant.index.indexes import Query
from assistant.store.build_store import LoadedIndex
from assistant.text import CJK, chinese_question

ABSTAIN_ZH = "资料中没有找到相关内容。"
ABSTAIN_EN = "No relevant content was found in the sources."


def abstain_message(question: str) -> str:
    """The abstention message in the question's language and script."""
    return in_question_script(ABSTAIN_ZH, question) if chinese_question(question) else ABSTAIN_EN


def in_question_script(text: str, question: str) -> str:
    """Chinese text in the question's script: a traditional question gets a traditional reply."""
    return to_script(text, detect_script(question))


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
    """The plain-text answer in pieces, one per sentence; "".join(pieces) is Answer.text.

    The lead paragraph, a blank line, then points as "1. …[n]" lines, numbered from 1 again
    under each label or frame; labels and frames on their own lines. A label heads the lines
    below it (a stance label over a source label, a source label over its lead and points: the
    agree shape). No Markdown syntax.
    """
    pieces: list[str] = []
    previous: AnswerSentence | None = None
    grouped = False  # the lead sits under a label
    number = 0
    for sentence in sentences:
        if sentence.kind == "lead" and previous is not None and previous.kind == "label":
            grouped = True
        if sentence.kind in ("label", "frame"):
            number = 0  # each labelled group is its own list, as the web renders it (one <ol> each)
        marks = "".join(f"[{n}]" for n in sentence.citations)
        if sentence.kind == "point":
            number += 1
            body = f"{number}. {sentence.text}{marks}"
        else:
            body = sentence.text + marks
        pieces.append(_separator(previous, sentence, grouped) + body)
        previous = sentence
    return pieces


def _separator(previous: AnswerSentence | None, sentence: AnswerSentence, grouped: bool = False) -> str:
    if previous is None:
        return ""
    if previous.kind == "lead" and sentence.kind == "lead":
        return "" if CJK.search(sentence.text[:1]) else " "
    if previous.kind == "frame" and sentence.kind in ("frame", "lead", "label"):
        return "\n"
    if previous.kind == "label" and sentence.kind in ("label", "lead", "point"):
        return "\n"
    if sentence.kind == "point" and (previous.kind == "point" or (previous.kind == "lead" and grouped)):
        return "\n"
    return "\n\n"


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
