"""Follow-up questions → standalone queries before retrieval.

"那后来呢？" or "what about the second project?" retrieve nothing useful on their own. With an
LLM configured, the LLM rewrites the follow-up using the conversation (prompts/condense.txt);
without one (or when the LLM call fails) a heuristic applies:

    A question is a follow-up when it is short (≤ 8 CJK characters or ≤ 4 words), opens with a
    continuation word (那/那么/然后/后来/还有/另外/其中/第二…, and/what about/how about/then/also),
    ends in 呢, or leans on a pronoun or an ordinal (它/他们/这个/那个/上面/刚才…, it/they/them/
    those/these/the second/the other/the latter…). A follow-up is rewritten by ellipsis resolution
    — substitution into the previous question, made standalone first when it was a follow-up too:

    1. Only a new topic ("那银行项目呢？", "X的情况呢？", "换成X呢？", "What about X?", "And X?"): the
       topic replaces the noun phrase of the previous question with the same head word (its last
       jieba word: 零售项目 → 银行项目), else the previous question's subject (the words before its
       question word, up to the last noun), keeping the predicate: "零售项目怎么避免延期？" →
       "银行项目怎么避免延期？". English: the same head word, else the object of the last
       preposition ("… for a hospital?" → "… for a school?"), else "Why X?".
    2. A pronoun for the subject (它/这个项目/该公司…, it/this project): replaced by the previous
       subject ("它最后交付了吗？" → "门店补货助手项目最后交付了吗？").
    3. Only a predicate, with a question of its own ("为什么会延期？", "具体怎么补救的？"): the
       previous subject is put in front ("零售项目为什么会延期？"); a question word and one verb
       ("怎么避免？") follow the previous question stated ("客户不续约怎么避免？"); a bare "Why?" /
       "How?" re-asks an English question ("Why should the contract …?").
    4. Anything else ("那后来呢？", "为什么？", "他们为什么不签约？", ordinals): prefixed with the
       previous question, as before.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import resources

from assistant.llm.client import LLMClient, LLMError, Message
from assistant.text import CJK, EN_STOP, chinese_question, fold_chars

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
CHAIN_TURNS = 3  # user turns a follow-up chain is resolved over


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
    if chinese_question(q):
        content = [ch for ch in q if ch.isalnum()]
        return len(content) <= SHORT_CJK or q.startswith(CJK_OPENERS) or bool(CJK_REFERENCES.search(q))
    words = re.findall(r"[\w'-]+", q)
    return len(words) <= SHORT_WORDS or bool(LATIN_OPENERS.match(q) or LATIN_REFERENCES.search(q))


def _user_turns(history: list[dict[str, str]]) -> list[str]:
    return [t["content"].strip() for t in history if t.get("role") == "user" and t.get("content", "").strip()]


# A follow-up that names a new topic and asks nothing of its own ("那排他条款呢？", "What about the
# pricing?") asks the previous question of that topic, by substitution: the new topic replaces the
# previous question's subject (or the noun phrase with the same head word) and the predicate stays:
# "零售项目怎么避免延期？" + "银行项目的情况呢？" → "银行项目怎么避免延期？". Prefixing the previous
# question instead let its words outvote the new topic and retrieved the old answer.
CJK_TOPIC = re.compile(r"^(?:那么|那|还有|還有|另外|此外|换成|換成|改成|如果是|要是)?\s*(?P<topic>.+?)\s*"
                       r"(?:的情况|的情況)?\s*呢[?？]?$")
LATIN_TOPIC = re.compile(r"^(?:and|what about|how about)\s+(?:(?P<prep>for|in|with|at|during)\s+)?"
                         r"(?P<topic>[^?]+?)\s*\??$", re.I)
CJK_ASKS = re.compile(r"为什么|為什麼|为何|為何|怎么办|怎麼辦|怎么|怎麼|如何|哪些|多少|多久|是否|什么|什麼")
# Anything that makes the text before 呢 a question or a clause rather than a bare noun phrase.
CJK_NOT_NOUN_PHRASE = re.compile(r"哪|谁|誰|吗|嗎|有没有|有沒有|是不是|能不能|会不会|會不會|要不要|如果|假如|要是"
                                 r"|不|没|沒|也|都|还|還")
LATIN_ASKS = re.compile(r"\b(why|how|which|what|when|who)\b", re.I)
NOT_A_TOPIC = re.compile(r"第[一二三四五六七八九十\d]|后来|後來|然后|然後|之后|之後|以后|以後|其他|其它|別的|别的"
                         r"|\b(then|next|after\w*|later|else|more|now|so)\b", re.I)
# Pronouns that stand for the previous question's subject (not 他们/她们: people, rarely the subject).
CJK_PRONOUN = re.compile(r"(?:这|那|该|這|該)(?:个|個|家|位)?(?:项目|項目|公司|客户|客戶|企业|企業|产品|產品|案例|方案)"
                         r"|它们|它們|(?<!其)它")
LATIN_PRONOUN = re.compile(r"\b(?:it|this project|that project|this one|that one|the project)\b", re.I)
LATIN_AUX = re.compile(r"^(?:should|do|does|did|is|are|was|were|can|could|will|would|has|have|had|must)\b", re.I)
LATIN_WH_START = re.compile(r"^(?:why|how|when|what|which|who)\b", re.I)
# The previous question's topic in English: the object of its last preposition ("… in the retail project?").
LATIN_LAST_PP = re.compile(r"^.*\b(?P<prep>in|for|with|at|of|during|about|on|from)\s+(?P<np>[^?,;]+?)\s*\??$", re.I)
OPENERS_TO_DROP = re.compile(r"^(?:那么|那|然后|然後|所以)\s*")
NOUNISH = ("n", "vn", "eng", "nz", "ns", "nt", "nr", "ng", "nrt", "j")
FUNCTION_POS = ("r", "y", "uj", "ul", "uz", "ug", "x", "e", "o")


@dataclass(frozen=True)
class _Word:
    text: str
    pos: str
    start: int
    end: int


def _words(text: str) -> list[_Word]:
    """jieba words with part of speech and offsets into text (segmented in simplified script)."""
    import jieba.posseg  # lazy: loads jieba's dictionary only for a follow-up

    words, at = [], 0
    for pair in jieba.posseg.cut(fold_chars(text)):  # same length: offsets hold in text
        words.append(_Word(text[at:at + len(pair.word)], pair.flag, at, at + len(pair.word)))
        at += len(pair.word)
    return words


def _nounish(word: _Word) -> bool:
    return word.pos.startswith(NOUNISH) or word.text.isascii() and word.text.isalnum()


def cjk_subject(question: str) -> str:
    """The span a Chinese question is about: the words before its first question word, up to its
    last noun ("私有化部署的成本一般怎么估算？" → "私有化部署的成本"); with no question word, the
    leading noun phrase. "" when the question opens with its question word or verb."""
    q = question.strip()
    ask = CJK_ASKS.search(q)
    words = _words(q[: ask.start()] if ask else q)
    if not ask:  # the leading run of nouns (and the 的 between them)
        run: list[_Word] = []
        for word in words:
            if not (_nounish(word) or word.text == "的" and run):
                break
            run.append(word)
        words = run
    while words and not _nounish(words[-1]):
        words = words[:-1]
    return "".join(w.text for w in words).strip()


def _replace_head(previous: str, topic: str, subject: str) -> str | None:
    """Replace the noun phrase of previous that ends in the topic's head word (its last word):
    "医疗行业的大模型项目怎么控制交付风险？" + "教育行业" → "教育行业的大模型项目怎么控制交付风险？"."""
    head = _words(topic)[-1].text if topic else ""
    if not head:
        return None
    words = _words(previous)
    for i, word in enumerate(words):
        if fold_chars(word.text) != fold_chars(head):
            continue
        start = i
        if word.end <= len(subject) and previous.startswith(subject):  # inside the subject: back to 的 or its start
            while start > 0 and words[start - 1].text not in ("的", "，", ",", "、", " "):
                start -= 1
        else:  # elsewhere: back over the compound before it, but not over the verb that takes it
            while start > 0 and (_nounish(words[start - 1]) or words[start - 1].pos.startswith("v")):
                boundary = start < 2 or words[start - 2].pos.startswith(("r", "p", "d", "c", "uj", "x"))
                if boundary and not _nounish(words[start - 1]):
                    break
                start -= 1
        return previous[: words[start].start] + topic + previous[word.end:]
    return None


def topic_switch(question: str, previous: str) -> str | None:
    """"银行项目的情况呢？" after "零售项目怎么避免延期？" → "银行项目怎么避免延期？"; None when the
    follow-up asks something of its own, points back (它/这个/第二个/后来…), or is no new topic."""
    q = question.strip()
    cjk = chinese_question(q)
    match = (CJK_TOPIC if cjk else LATIN_TOPIC).match(q)
    if not match:
        return None
    topic = match.group("topic").strip()
    asks, references = (CJK_ASKS, CJK_REFERENCES) if cjk else (LATIN_ASKS, LATIN_REFERENCES)
    if asks.search(topic) or references.search(topic) or NOT_A_TOPIC.search(topic) or topic in previous:
        return None
    if cjk:
        if len(CJK.findall(topic)) < 2 or CJK_NOT_NOUN_PHRASE.search(topic):
            return None
        return _cjk_substitute(topic, _first_question(previous))
    return _latin_substitute(topic, _first_question(previous))


def _first_question(text: str) -> str:
    """The first sentence of a (possibly prefixed) standalone question."""
    end = re.search(r"[?？]", text)
    return text[: end.end()] if end else text


def _cjk_substitute(topic: str, previous: str) -> str | None:
    subject = cjk_subject(previous)
    replaced = _replace_head(previous, topic, subject)
    if replaced:
        return replaced
    if subject and previous.startswith(subject):
        rest = previous[len(subject):]
        if CJK.search(topic[-1:]) and CJK.search(rest.lstrip()[:1]):
            rest = rest.lstrip()  # "门店补货 POC 为什么…" + 知识产权: "知识产权为什么…", not "知识产权 为什么…"
        return topic + rest
    if CJK_ASKS.match(previous):  # "如何写验收标准？" + "试点合同呢？" → "试点合同如何写验收标准？"
        return topic + previous
    ask = CJK_ASKS.search(previous)
    return f"{topic}{ask.group(0)}？" if ask else None


def _latin_substitute(topic: str, previous: str) -> str | None:
    head = topic.split()[-1].lower()
    words = re.findall(r"[\w'-]+", previous)
    lowered = [w.lower() for w in words]
    if head in lowered and head not in EN_STOP:  # "bank customers" → "retail customers"
        i = lowered.index(head)
        start = i
        while start > 0 and lowered[start - 1] not in EN_STOP and not LATIN_AUX.match(lowered[start - 1]):
            start -= 1
        phrase = re.compile(r"\b" + r"\W+".join(re.escape(w) for w in words[start:i + 1]) + r"\b")
        return phrase.sub(topic, previous, count=1)
    pp = LATIN_LAST_PP.search(previous)
    if pp:  # "… price a pilot for a hospital?" + "a school" → "… for a school?"
        return previous[: pp.start("np")] + topic + "?"
    ask = LATIN_ASKS.search(previous)
    return f"{ask.group(0).capitalize()} {topic}?" if ask else None


def resolve_pronoun(question: str, previous: str) -> str | None:
    """"它最后交付了吗？" after "门店补货助手项目遇到了什么问题？" → "门店补货助手项目最后交付了吗？";
    "How long was it delayed?" after "… in the retail project?" → "How long was the retail project delayed?"."""
    q, previous = question.strip(), _first_question(previous)
    if chinese_question(q):
        pronoun, subject = CJK_PRONOUN.search(q), cjk_subject(previous)
    else:
        pp = LATIN_LAST_PP.search(previous)
        pronoun, subject = LATIN_PRONOUN.search(q), pp.group("np") if pp else ""
    if not pronoun or not subject:
        return None
    return OPENERS_TO_DROP.sub("", q[: pronoun.start()] + subject + q[pronoun.end():])


def fill_subject(question: str, previous: str) -> str | None:
    """A follow-up that is only a predicate takes the previous subject: "为什么会延期？" after
    "零售项目怎么避免延期？" → "零售项目为什么会延期？"; "Why?" after "Should the contract fix the
    scope?" → "Why should the contract fix the scope?"; a question word and a verb ask about the
    previous question, stated: "怎么避免？" after "客户为什么不续约？" → "客户不续约怎么避免？". None for
    a bare "为什么？"/"后来呢？" (no predicate of its own: the previous question is prefixed instead)."""
    q, previous = OPENERS_TO_DROP.sub("", question.strip()), _first_question(previous)
    if not chinese_question(q):
        wh = re.fullmatch(r"(why|how|when)\s*\??", q, re.I)
        if not wh or chinese_question(previous):
            return None
        if LATIN_AUX.match(previous):  # "Should …?" → "Why should …?"
            return f"{wh.group(1).capitalize()} {previous[0].lower()}{previous[1:]}"
        if LATIN_WH_START.match(previous):  # "How did … fail?" → "Why did … fail?"
            return LATIN_WH_START.sub(wh.group(1).capitalize(), previous, count=1)
        return None
    words = [w for w in _words(q) if w.text.strip()]
    content = [w for w in words if not w.pos.startswith(FUNCTION_POS) and not CJK_ASKS.fullmatch(w.text)]
    if not words or _nounish(words[0]) or not (CJK_ASKS.search(q) or re.search(r"[吗嗎][?？]?$", q)):
        return None  # a subject of its own, or no question of its own ("那如果客户不配合呢？")
    ask = CJK_ASKS.search(previous)
    if ask and len(content) == 1 and content[0].pos.startswith("v") and CJK_ASKS.fullmatch(words[0].text):
        # "怎么避免？" after "客户为什么不续约？": the previous question, stated, is what it asks about.
        stated = (previous[: ask.start()] + previous[ask.end():]).rstrip("？?。 ")
        return stated + q
    if len(content) < 2:
        return None
    if any(w.pos == "r" and not CJK_ASKS.fullmatch(w.text) for w in words):  # 他们/这样…: a subject of its own
        return None
    subject = cjk_subject(previous)
    return subject + q if subject else None


def attach_topic(question: str, previous: str) -> str | None:
    """A short follow-up with a subject and a question of its own, about a part of the previous
    question's topic: "团队有几个人？" after "设备维修知识助手项目的试用合同金额是多少？" →
    "设备维修知识助手项目的团队有几个人？". The topic is the previous subject up to its first 的
    (the thing the previous question was about, not the attribute it asked for). Prefixed instead,
    the previous question's words (合同金额, 多少) outvoted the new ask and the answer led with the
    previous answer. None when the follow-up has no subject of its own, or names the topic."""
    q = OPENERS_TO_DROP.sub("", question.strip())
    if not chinese_question(q) or not (CJK_ASKS.search(q) or re.search(r"几|谁|誰|哪|[吗嗎][?？]?$", q)):
        return None
    own = cjk_subject(q)
    if not own or not q.startswith(own) or CJK_PRONOUN.search(q) or re.search(r"他们|她们|他們|她們", q):
        return None
    subject = cjk_subject(_first_question(previous))
    topic = re.split(r"的", subject, maxsplit=1)[0].strip()
    if len(CJK.findall(topic)) < 2 or fold_chars(own) in fold_chars(previous) or fold_chars(topic) in fold_chars(q):
        return None
    return f"{topic}的{q}"


class HeuristicCondenser(Condenser):
    """Rewrite a follow-up into a standalone question (module docstring); leave standalone
    questions alone. Earlier follow-ups are made standalone first, so a chain keeps its subject."""

    def condense(self, question: str, history: list[dict[str, str]]) -> Condensed:
        previous = _user_turns(history)[-CHAIN_TURNS:]
        if not previous or not is_follow_up(question):
            return Condensed(question, "none")
        return Condensed(self._standalone(question, previous), "heuristic")

    def _standalone(self, question: str, previous: list[str]) -> str:
        earlier = previous[-1]
        if len(previous) > 1 and is_follow_up(earlier):
            earlier = self._standalone(earlier, previous[:-1])
        if chinese_question(question) == chinese_question(earlier):  # same language: rewrite in place
            for rewrite in (topic_switch, resolve_pronoun, attach_topic, fill_subject):
                rewritten = rewrite(question, earlier)
                if rewritten:
                    return rewritten
        return f"{earlier} {question.strip()}"


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
