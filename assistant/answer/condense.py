"""Follow-up questions → standalone queries before retrieval.

"那后来呢？" or "what about the second project?" retrieve nothing useful on their own. With an
LLM configured, the LLM rewrites the follow-up using the conversation (prompts/condense.txt);
without one (or when the LLM call fails) a heuristic applies:

    A question is a follow-up when it is short (≤ 8 CJK characters or ≤ 4 words), opens with a
    continuation word (那/那么/然后/后来/还有/另外/其中/第二…, and/what about/how about/then/also),
    ends in 呢, or leans on a pronoun or an ordinal (它/他们/这个/那个/上面/刚才…, it/they/them/
    those/these/the second/the other/the latter…). A follow-up is prefixed with the previous
    user question — the two previous ones when that one was itself a follow-up.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import resources

from assistant.llm.client import LLMClient, LLMError, Message
from assistant.text import CJK

CJK_OPENERS = ("那", "然后", "后来", "還有", "还有", "另外", "此外", "其中", "具体", "第一", "第二",
               "第三", "最后", "它", "他们", "她们", "这个", "這個", "那个", "這", "这")
CJK_REFERENCES = re.compile(r"它们|他们|她们|这个|那个|這個|那個|这些|那些|上面|刚才|前面|上述|该项目|这家|那家|呢[?？]?$")
LATIN_OPENERS = re.compile(r"^(and|what about|how about|then|also|so|but|or)\b", re.I)
LATIN_REFERENCES = re.compile(
    r"\b(it|its|they|them|their|those|these|he|she|him|her|the (first|second|third|last|other|"
    r"same|former|latter|previous)|that (one|project|case)|this (one|project|case))\b", re.I,
)
SHORT_CJK = 8
SHORT_WORDS = 4
HISTORY_TURNS = 6
TURN_CHARS = 400


@dataclass(frozen=True)
class Condensed:
    """The standalone question and how it was made: none | heuristic | llm | heuristic (llm failed…)."""

    question: str
    method: str


class Condenser(ABC):
    """Seam: rewrite a question given the conversation so far (list of {role, content})."""

    @abstractmethod
    def condense(self, question: str, history: list[dict[str, str]]) -> Condensed:
        """The standalone question."""


def is_follow_up(question: str) -> bool:
    """Does the question lean on the conversation (see the module docstring)?"""
    q = question.strip()
    if CJK.search(q):
        content = [ch for ch in q if ch.isalnum()]
        return len(content) <= SHORT_CJK or q.startswith(CJK_OPENERS) or bool(CJK_REFERENCES.search(q))
    words = re.findall(r"[\w'-]+", q)
    return len(words) <= SHORT_WORDS or bool(LATIN_OPENERS.match(q) or LATIN_REFERENCES.search(q))


def _user_turns(history: list[dict[str, str]]) -> list[str]:
    return [t["content"].strip() for t in history if t.get("role") == "user" and t.get("content", "").strip()]


class HeuristicCondenser(Condenser):
    """Prefix a follow-up with the previous user question(s); leave standalone questions alone."""

    def condense(self, question: str, history: list[dict[str, str]]) -> Condensed:
        previous = _user_turns(history)
        if not previous or not is_follow_up(question):
            return Condensed(question, "none")
        context = previous[-2:] if len(previous) > 1 and is_follow_up(previous[-1]) else previous[-1:]
        return Condensed(" ".join([*context, question.strip()]), "heuristic")


class LLMCondenser(Condenser):
    """Ask the LLM for a standalone rewrite; the heuristic covers failures and odd replies."""

    def __init__(self, client: LLMClient, fallback: Condenser | None = None) -> None:
        self.client = client
        self.fallback = fallback or HeuristicCondenser()
        self.instructions = resources.files("assistant").joinpath("prompts/condense.txt").read_text("utf-8")

    def condense(self, question: str, history: list[dict[str, str]]) -> Condensed:
        if not _user_turns(history):
            return Condensed(question, "none")
        try:
            reply = self.client.chat([Message("system", self.instructions), Message("user", self._prompt(question, history))])
        except LLMError as exc:
            return self._fallback(question, history, str(exc))
        rewritten = _clean(reply)
        if not rewritten or len(rewritten) > 4 * len(question) + 300:
            return self._fallback(question, history, "unusable rewrite")
        return Condensed(rewritten, "llm")

    def _fallback(self, question: str, history: list[dict[str, str]], reason: str) -> Condensed:
        result = self.fallback.condense(question, history)
        return Condensed(result.question, f"{result.method} (llm failed: {reason})")

    @staticmethod
    def _prompt(question: str, history: list[dict[str, str]]) -> str:
        lines = [f"{t.get('role', 'user')}: {t.get('content', '')[:TURN_CHARS]}" for t in history[-HISTORY_TURNS:]]
        return "<conversation>\n" + "\n".join(lines) + f"\n</conversation>\n<follow_up>{question}</follow_up>"


def _clean(reply: str) -> str:
    line = next((ln.strip() for ln in reply.strip().splitlines() if ln.strip()), "")
    line = re.sub(r"^(standalone question|question|问题|独立问题)\s*[:：]\s*", "", line, flags=re.I)
    return line.strip("\"'“”「」 ")


def create_condenser(client: LLMClient | None, use_llm: bool = True) -> Condenser:
    """The LLM condenser when a client is configured (and allowed), else the heuristic."""
    return LLMCondenser(client) if client is not None and use_llm else HeuristicCondenser()
