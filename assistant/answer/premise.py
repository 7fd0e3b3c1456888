"""A question that joins what the sources keep apart: two cases' pseudonyms no document names together.

"Why did 鲜达超市 switch to 天穹云?" joins the retail postmortem's customer with the rival of another
postmortem: 天穹云 won 华东集团's deal, and 鲜达超市 switched to no one. The answer quoted 华东集团's
story under 鲜达超市's question (round 22, a blind trial: the worst defect it named). The sources
cannot say whether the premise is false, but they can say that they never put the two together, and
where each one is: the answer opens with that note. A question that compares cases or asks across
the sources joins them on purpose and gets no note.
"""

from __future__ import annotations

from itertools import combinations

from assistant.answer.analysis import QuestionAnalysis, to_script
from assistant.core.types import AnswerSentence
from assistant.store.build_store import LoadedIndex
from assistant.text import normalize

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
    return AnswerSentence(text=text, citations=[], supported=True, support=1.0, kind="frame")


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
