"""Round 11 (docs/answers.md): a how-question gets the lessons and action items of every postmortem
it quotes, even when they rank below the floor or outside the passages; not when it asks what an
article says or how something turned out."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import pytest

from assistant.answer.analysis import analyse
from assistant.answer.extractive import ExtractiveAnswerer, _advice_below, _advice_wanted
from assistant.core.settings import Settings
from assistant.core.types import Chunk, Hit
from assistant.retrieve.glossary import Glossary
from assistant.store.build_store import LoadedIndex


def _chunk(doc_id: str, section: str, doc_type: str = "postmortem") -> Chunk:
    return Chunk(f"{doc_id}#{section}", doc_id, "……", 0, 2, section, "复盘", None, {"doc_type": doc_type})


@pytest.mark.parametrize(("question", "wanted"), [
    ("如何控制大模型项目的需求范围蔓延？", True),
    ("客户一直加需求，我该怎么办？", True),
    ("与其继续在产品上堆功能，文章建议把精力放在哪里？", False),  # the writer's advice, not ours
    ("What does the article suggest we do instead?", False),
    ("华东集团后来用天穹云的方案效果怎么样？", False),  # how it turned out
    ("试点的准确率如何？", False),
    ("客户为什么一直加需求？", False),  # not a how-question
])
def test_advice_is_wanted_by_questions_asking_what_to_do(question: str, wanted: bool) -> None:
    assert _advice_wanted(analyse(question)) is wanted


def test_a_how_question_gets_the_advice_sections_of_the_postmortems_it_quotes() -> None:
    chunks = [_chunk("a", "一", "article"), _chunk("pm", "根因"), _chunk("pm", "教训"), _chunk("pm", "行动项"),
              _chunk("pm", "经过"), _chunk("pm2", "教训"), _chunk("pm3", "根因"), _chunk("pm3", "教训")]
    index = cast(LoadedIndex, SimpleNamespace(chunks=chunks))
    passages = [Hit(chunks[0], 1.0), Hit(chunks[1], 0.9), Hit(chunks[3], 0.69), Hit(chunks[6], 0.5)]
    how = analyse("如何控制需求范围蔓延？")
    added = _advice_below(index, passages, how, floor=0.7)
    # pm's lessons (not retrieved) join, scored as the last passage; pm2 was not quoted and pm3 is
    # under the floor, so theirs do not; pm's action items are already among the passages.
    assert [(h.chunk.doc_id, h.chunk.section, h.score) for h in added] == [("pm", "教训", 0.5)]
    assert _advice_below(index, passages, analyse("客户为什么一直加需求？"), floor=0.7) == []

    answerer = ExtractiveAnswerer(Settings(), glossary=Glossary())
    kept = answerer._quotable([*passages, *added], how)
    # the action items at 0.69× are kept beside the quoted root cause's postmortem, pm3's are not
    assert [(h.chunk.doc_id, h.chunk.section) for h in kept] == [("a", "一"), ("pm", "根因"), ("pm", "行动项"),
                                                                  ("pm", "教训")]
    # a why-question keeps only the top passage's postmortem's answering section (unchanged)
    assert [(h.chunk.doc_id, h.chunk.section) for h in answerer._quotable(passages, analyse("为什么丢单？"))] == [
        ("a", "一"), ("pm", "根因")]


@pytest.mark.parametrize(("question", "qtype", "sides"), [
    ("客户的法务和采购应该什么时候介入项目比较好？", "how", ()),  # 比较好 = "best", no comparison
    ("售前团队和交付团队的人数配比多少比较合理", "number", ()),
    ("B端和C端比较一下，哪个更难做？", "compare", ("B端", "C端")),
    ("试用合同和正式合同有什么区别？", "compare", ("试用合同", "正式合同")),  # 合同's 同 joins nothing
])
def test_fairly_is_no_comparison_and_a_word_s_tong_joins_no_sides(question: str, qtype: str,
                                                                   sides: tuple[str, ...]) -> None:
    analysis = analyse(question)
    assert (analysis.qtype, analysis.sides) == (qtype, sides)


class _SideRetriever:
    """Hits per asked text: the whole question finds only side B's passage."""

    def __init__(self, found: dict[str, list[Hit]]) -> None:
        self.found, self.asked = found, []

    def prepare(self, question: str, trace: dict[str, object]) -> str:
        self.asked.append(question)
        return question

    def search(self, query: str, k: int, filters: object = None, mode: object = None) -> list[Hit]:
        return self.found.get(query, [])[:k]


def test_a_compare_question_retrieves_each_side_alone_too() -> None:
    from assistant.retrieve.retriever import HybridRetriever
    from assistant.service.pipeline import _with_sides

    a, b, noise = _chunk("pa", "根因"), _chunk("pb", "根因"), _chunk("art", "一", "article")
    question = "对比一下甲项目和乙项目失败原因的异同"
    whole = [Hit(b, 3.0), Hit(noise, 2.0), Hit(_chunk("pb", "经过"), 1.5)]
    retriever = _SideRetriever({"对比一下甲项目和 的异同": [Hit(a, 2.5), Hit(noise, 1.0)],
                                "对比一下 和乙项目失败原因的异同": [Hit(b, 2.8)]})
    merged = _with_sides(cast(HybridRetriever, retriever), analyse(question), whole, 3, None, None)
    assert [h.chunk.chunk_id for h in merged] == ["pb#根因", "pa#根因", "art#一"]
    assert retriever.asked == ["对比一下甲项目和 的异同", "对比一下 和乙项目失败原因的异同"]
    # not a compare question, or an English one: the hits as they were, nothing asked
    for other in ("甲项目为什么失败？", "Compare project A and project B"):
        assert _with_sides(cast(HybridRetriever, retriever), analyse(other), whole, 3, None, None) == whole
    assert len(retriever.asked) == 2
