"""Follow-up questions → standalone queries before retrieval.

"那后来呢？" or "what about the second project?" retrieve nothing useful on their own. With an
LLM configured, the LLM rewrites the follow-up using the conversation (prompts/condense.txt);
without one (or when the LLM call fails) a heuristic applies:

    A question is a follow-up when it is short (≤ 8 CJK characters or ≤ 4 words), opens with a
    continuation word (那/那么/然后/后来/还有/另外/其中/第二…, and/what about/how about/then/also),
    ends in 呢, or leans on a pronoun or an ordinal (它/他们/这个/那个/上面/刚才…, it/they/them/
    those/these/the second/the other/the latter…). A follow-up is prefixed with the previous
    user question — the two previous ones when that one was itself a follow-up — except one that
    only names a new topic ("那排他条款呢？", "What about the pricing?"): it asks the previous
    question's question (为什么/怎么/哪些…, why/how/which…) of that topic ("排他条款为什么？").
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


# A follow-up that names a new topic and asks nothing of its own ("那排他条款呢？", "What about the
# pricing?") asks the previous question's question of that topic: "排他条款为什么？". Prefixing the
# previous question instead let its words outvote the new topic and retrieved the old answer.
CJK_TOPIC = re.compile(r"^(?:那么|那|还有|還有|另外|此外)\s*(?P<topic>.+?)\s*(?:的情况|的情況)?呢[?？]?$")
LATIN_TOPIC = re.compile(r"^(?:and|what about|how about)\s+(?P<topic>[^?]+?)\s*\??$", re.I)
CJK_ASKS = re.compile(r"为什么|為什麼|为何|為何|怎么办|怎麼辦|怎么|怎麼|如何|哪些|多少|多久|是否|什么|什麼")
LATIN_ASKS = re.compile(r"\b(why|how|which|what|when|who)\b", re.I)
NOT_A_TOPIC = re.compile(r"第[一二三四五六七八九十\d]|后来|後來|然后|然後|之后|之後|以后|以後|其他|其它|別的|别的"
                         r"|\b(then|next|after\w*|later|else|more|now|so)\b", re.I)


def topic_switch(question: str, previous: str) -> str | None:
    """"那排他条款呢？" after "设备维修知识助手为什么被竞品拿走了？" → "排他条款为什么？"; None when the
    follow-up asks something of its own, points back (它/这个/第二个/后来…), or the previous question
    asks nothing the topic could take."""
    q = question.strip()
    cjk = bool(CJK.search(q))
    match = (CJK_TOPIC if cjk else LATIN_TOPIC).match(q)
    if not match:
        return None
    topic = match.group("topic").strip()
    asks, references = (CJK_ASKS, CJK_REFERENCES) if cjk else (LATIN_ASKS, LATIN_REFERENCES)
    if asks.search(topic) or references.search(topic) or NOT_A_TOPIC.search(topic) or topic in previous:
        return None
    if cjk and len(CJK.findall(topic)) < 2:
        return None
    ask = asks.search(previous)
    if not ask:
        return None
    return f"{topic}{ask.group(0)}？" if cjk else f"{ask.group(0).capitalize()} {topic}?"


class HeuristicCondenser(Condenser):
    """Prefix a follow-up with the previous user question(s) (or, when it only names a new topic,
    ask the previous question's question of it); leave standalone questions alone."""

    def condense(self, question: str, history: list[dict[str, str]]) -> Condensed:
        previous = _user_turns(history)
        if not previous or not is_follow_up(question):
            return Condensed(question, "none")
        switched = topic_switch(question, previous[-1])
        if switched:
            return Condensed(switched, "heuristic")
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
