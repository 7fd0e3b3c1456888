"""A question whose premise the sources do not bear out: two cases' pseudonyms no document names
together, or a figure no source gives.

"Why did 鲜达超市 switch to 天穹云?" joins the retail postmortem's customer with the rival of another
postmortem: 天穹云 won 华东集团's deal, and 鲜达超市 switched to no one. The answer quoted 华东集团's
story under 鲜达超市's question (round 22, a blind trial: the worst defect it named). The sources
cannot say whether the premise is false, but they can say that they never put the two together, and
where each one is: the answer opens with that note. A question that compares cases or asks across
the sources joins them on purpose and gets no note.

"为什么蜀川银行项目的要素抽取准确率只有62%？" takes as given a figure no source states: the postmortem
says 94%, and the answer quoted it without a word that the question's 62% is nowhere (same trial).
When the answer's own quotes state a figure in the question's unit for what the question says it
of, and no cited document states the question's figure, the answer opens with a note naming both.
A question asking for a figure that no quote states says so too (unstated_frame).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

from assistant.answer.analysis import QuestionAnalysis, to_script
from assistant.answer.answerability import asked_type, holds_value
from assistant.core.types import AnswerSentence
from assistant.store.build_store import LoadedIndex
from assistant.text import jieba_tokens, normalize

JOINING = ("compare", "agree", "list")  # question types that put several cases side by side


def premise_frame(analysis: QuestionAnalysis, index: LoadedIndex) -> AnswerSentence | None:
    """The note for a question naming two pseudonyms no document names together; None otherwise."""
    pair = _apart(analysis, index)
    if pair is None:
        return None
    (a, doc_a), (b, doc_b) = pair
    title_a, title_b = (index.documents[d].metadata.get("title", d) for d in (doc_a, doc_b))
    if analysis.english:
        text = f"Note: no source mentions {a} and {b} together: {a} is in «{title_a}», {b} in «{title_b}»."
    else:
        text = to_script(f"注意：资料里没有同时提到“{a}”和“{b}”：“{a}”见《{title_a}》，“{b}”见《{title_b}》。",
                         analysis.script)
    return _note(text)


def _apart(analysis: QuestionAnalysis, index: LoadedIndex) -> tuple[tuple[str, str], tuple[str, str]] | None:
    if analysis.across or analysis.qtype in JOINING or len(analysis.sides) == 2:
        return None
    folded = normalize(analysis.question)
    named = sorted((folded.find(a), a) for a in index.aliases if a in folded)
    for (_, a), (_, b) in combinations(named, 2):
        docs_a, docs_b = index.aliases[a], index.aliases[b]
        if docs_a and docs_b and not docs_a & docs_b:
            return (a, min(docs_a)), (b, min(docs_b))
    return None


# A figure a question states: a number and its unit. Not a year ("2024年"), which dates, not measures.
STATED = re.compile(r"(?<![\d.])(\d{1,5}(?:\.\d+)?)\s*(%|万|亿|元|周|个月|天|小时|分钟|人|家|份|道)(?!\d)")
# A question that supposes the figure ("如果准确率只有62%……") states no premise.
SUPPOSING = re.compile(r"如果|假如|假设|假若|要是|万一|\b(if|suppose|supposing|assuming|imagine)\b")
# Words around a figure that say how it compares, not what it measures ("只有", "达到了").
HEDGES = re.compile(r"只有|仅有|只|仅|才|就|高达|达到了?|到了|做到了?|不到|超过|约|大约|将近|接近|足足|共|是|为|有|了|的")


def figure_frame(analysis: QuestionAnalysis, quoted: Sequence[str], sources: Sequence[str],
                 english_terms: Sequence[str] = ()) -> AnswerSentence | None:
    """The note for a question stating a figure that none of the quoted documents (`sources`, their
    texts) gives, when a quote of the answer (`quoted`, the lead and points as shown) states another
    figure in that unit for the same measure; None otherwise. An English question's measure is read
    through its glossary terms (`english_terms`): its own words are not in the quotes."""
    if SUPPOSING.search(normalize(analysis.question)):
        return None
    for value, unit, measure in _stated(analysis.question, english_terms if analysis.english else None):
        if _given(value, unit, sources):
            continue
        found = next((c for q in quoted for c in _clauses(q) if _measures(c, unit, measure)), None)
        if found is None:
            continue
        given = f"{value}{unit}"
        if analysis.english:
            text = f"Note: the sources quoted never give {given}; they say “{found}”."
        else:
            text = to_script(f"注意：引用的资料里没有“{given}”这个数字，说的是“{found}”。", analysis.script)
        return _note(text)
    return None


def _stated(question: str, english_terms: Sequence[str] | None) -> list[tuple[str, str, list[str]]]:
    """Each figure the question states, its unit and the words of what it measures: the words just
    before it, hedges aside ("要素抽取准确率只有62%" → 要素, 抽取, 准确率), or an English question's
    glossary terms."""
    folded = normalize(question)
    out = []
    for m in STATED.finditer(folded):
        before = HEDGES.sub(" ", re.split(r"[，,。？?！!；;：:]", folded[: m.start()])[-1])[-10:]
        words = [w for w in (english_terms if english_terms is not None else jieba_tokens(before)) if len(w) >= 2]
        if words:
            out.append((m.group(1), m.group(2), words))
    return out


def _given(value: str, unit: str, sources: Sequence[str]) -> bool:
    """One of the (folded) source texts states this figure in this unit ("5 人", "5 个人")."""
    pattern = re.compile(rf"(?<![\d.]){re.escape(value)}\s*个?\s*{re.escape(unit)}")
    return any(pattern.search(text) for text in sources)


def _clauses(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"[，,。；;！!？?]", text) if c.strip()]


def _measures(clause: str, unit: str, measure: Sequence[str]) -> bool:
    """The clause states a figure in `unit` and names what the question's figure measures."""
    folded = normalize(clause)
    return any(m.group(2) == unit for m in STATED.finditer(folded)) and any(w in folded for w in measure)


# A question asking for a day, a month or a year of the calendar, not any "when".
CALENDAR = re.compile(r"哪年|哪一年|何年|几月|哪个月|哪一?天|几号|\b(what|which) (year|month|date|day)\b")
# The question types whose ask is the figure itself.
FIGURE_ASKS = ("number", "when", "what", "who")
# What each kind of asked value is called in a note (answerability.asked_type's kinds with a figure).
VALUE_NAMES = {"amount": ("金额", "amount"), "share": ("比例或百分比", "percentage"),
               "date": ("时间", "date"), "duration": ("时长", "duration")}


def unstated_frame(analysis: QuestionAnalysis, quoted: Sequence[str]) -> AnswerSentence | None:
    """The note for a question asking for a figure (an amount, a share, a date, a duration) that no
    quote of the answer states: "鲜达超市二期的合同金额是多少？" was answered with the customer's 420
    stores and nothing said the amount is nowhere (round-22 trial). None when a quote states one."""
    if analysis.qtype not in FIGURE_ASKS:
        return None  # "为什么报价从几百万跌到几万？" asks why; its figures are what it takes as given
    kind = asked_type(analysis.question)
    if kind == "date" and not CALENDAR.search(normalize(analysis.question)):
        return None  # "……什么时候介入比较好？" is answered by a stage ("在立项阶段"), not a date (abstention probe, dev)
    if kind not in VALUE_NAMES or any(holds_value(kind, normalize(q)) for q in quoted):
        return None
    zh, en = VALUE_NAMES[kind]
    if analysis.english:
        return _note(f"Note: the passages quoted state no {en}; the closest they come is below.")
    return _note(to_script(f"注意：引用的资料里没有给出所问的{zh}，下面是最接近的内容。", analysis.script))


def _note(text: str) -> AnswerSentence:
    return AnswerSentence(text=text, citations=[], supported=True, support=1.0, kind="frame")
