"""Round 8 (docs/answers.md): how product managers type — colloquial cue words, context before the
ask, requests for an artefact, keyword queries, and requests for what one source says."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.analysis import analyse, asking_sentence, presumed, question_type
from assistant.answer.compose import compose
from assistant.answer.extractive import (
    ExtractiveAnswerer,
    _accounts_in_how,
    _unnamed_sections,
    role_sections,
)
from assistant.answer.select import Scored
from assistant.answer.units import EvidenceUnit
from assistant.core.settings import Settings
from assistant.core.types import Chunk, Hit
from assistant.retrieve.glossary import Glossary


@pytest.mark.parametrize(("question", "qtype"), [
    ("客户老是加需求 咋整", "how"),  # 咋 = 怎么
    ("这个咋弄？", "how"),
    ("试用期 客户跑了 为啥", "why"),  # 为啥 = 为什么
    ("咋会这样？", "why"),
    ("试用项目的人手是怎么被拖垮的？", "why"),  # 怎么被: how it came to happen, not advice (round 10)
    ("下周见客户，要注意什么？", "how"),
    ("给我一个试点验收的 checklist", "how"),  # an artefact to act on
    ("列个立项前要问客户的问题清单", "how"),
    ("Give me a checklist for the pilot", "how"),
    ("客户数据不行 POC 还做不做", "how"),  # A-not-A of doing, ending the question
    ("签不签？", "how"),
    ("硅谷的投资人现在决定投不投一个项目之前会看什么？", "what"),  # inside a clause: not the ask
    ("定制化项目能不能赚钱？", "yesno"),  # 能不能 stays what is possible (round 7)
    ("这件事是不是真的？", "yesno"),
])
def test_colloquial_and_artefact_cues(question: str, qtype: str) -> None:
    assert question_type(question) == qtype


def test_a_message_giving_context_first_is_typed_by_its_asking_sentence() -> None:
    message = "我是新来的PM，合同12周，现在第5周，客户好几个部门都在提新需求。我现在该怎么办？"
    assert asking_sentence(message) == "我现在该怎么办？"
    assert question_type(message) == "how"  # was "number" (几个 of 好几个, the context's 12周)
    assert question_type("对方想先免费做三个月。这种情况要注意什么？") == "how"
    # the asking sentence without a cue: the whole message is typed as before
    assert question_type("我们的项目延期了。为什么？") == "why"
    assert question_type("项目延期了。") == "what"
    assert asking_sentence("为什么延期？延期了多久？") == "为什么延期？延期了多久？"  # a compound ask


@pytest.mark.parametrize(("question", "qtype"), [
    ("客户好几个部门都在提需求", "what"),
    ("这几个项目为什么失败？", "why"),
    ("那几个项目是什么情况？", "what"),
    ("延期了几个月？", "number"),
])
def test_several_is_not_a_count(question: str, qtype: str) -> None:
    assert question_type(question) == qtype


def test_a_keyword_why_query_presumes_its_other_words() -> None:
    assert presumed("試用期 丟單 原因") == "试用期 丢单"
    assert presumed("试用其 客户跑了 为啥") == "试用其 客户跑了"
    assert presumed("客户转投大厂的原因是什么？") == "客户转投大厂"  # unchanged
    assert presumed("原因") == ""


@pytest.mark.parametrize(("question", "summary"), [
    ("复盘里那个零售项目讲了什么？", True),
    ("总结一下《To B大模型应用的落地实践与思考》这篇", True),
    ("summary of the retail replenishment postmortem", True),
    ("这篇文章主要内容是什么？", True),
    ("这篇文章都讲了什么？", True),  # 都 here is "all that", not several sources
    ("金融行业用大模型，外部文章和我们的复盘分别讲了什么？", False),  # several sources
    ("试点为什么失败？总结一下原因", False),  # a why-question
    ("排他条款", False),
])
def test_a_request_for_what_one_source_says(question: str, summary: bool) -> None:
    assert analyse(question).summary is summary


def _section_hit(doc_id: str, section: str, score: float, doc_type: str = "postmortem") -> Hit:
    chunk = Chunk(f"{doc_id}#{section}", doc_id, "……", 0, 2, section, "复盘", None, {"doc_type": doc_type})
    return Hit(chunk, score)


def test_a_summary_request_quotes_the_top_passage_s_document_only() -> None:
    answerer = ExtractiveAnswerer(Settings(), glossary=Glossary())
    hits = [_section_hit("pm", "根因", 1.0), _section_hit("a", "一", 0.95, "article"),
            _section_hit("pm", "经过", 0.9), _section_hit("pm", "背景", 0.3)]
    quoted = lambda q: [(h.chunk.doc_id, h.chunk.section) for h in answerer._quotable(hits, analyse(q))]  # noqa: E731
    assert quoted("复盘里那个零售项目讲了什么？") == [("pm", "根因"), ("pm", "经过"), ("pm", "背景")]
    assert quoted("零售项目的情况") == [("pm", "根因"), ("a", "一"), ("pm", "经过")]  # other asks keep the floor


def test_a_how_answer_sets_aside_the_timeline_of_a_postmortem_whose_lessons_it_quotes() -> None:
    hits = [_section_hit("pm", "经过", 1.0), _section_hit("pm", "教训", 0.9), _section_hit("pm2", "经过", 0.8)]
    aside = lambda q: _accounts_in_how(hits, role_sections(hits, analyse(q)), analyse(q))  # noqa: E731
    assert aside("客户一直加需求，我该怎么办？") == {0}  # not pm2's: its lessons are not quoted
    assert aside("客户为什么一直加需求？") == set()  # a why-answer may quote the account
    assert aside("客户一直加需求是什么情况？") == set()
    assert _accounts_in_how(hits[:1], role_sections(hits[:1], analyse("怎么办？")), analyse("怎么办？")) == set()
    # round 10: its root cause too (the trial's "如何控制需求范围" quoted causes as steps)
    causes = [_section_hit("pm", "根因", 1.0), _section_hit("pm", "教训", 0.9)]
    assert _accounts_in_how(causes, role_sections(causes, analyse("怎么控制范围？")), analyse("怎么控制范围？")) == {0}


def _scored(text: str, section: str, start: int, relevance: float) -> Scored:
    unit = EvidenceUnit(start, 0, "pm", start, start + len(text), text, section)
    v = np.asarray([1.0], dtype=np.float32)
    return Scored(unit, relevance, relevance, v)


def test_a_summary_s_points_follow_the_source_s_order() -> None:
    doc = "甲背景。乙经过。丙根因。丁教训。"
    hits = [Hit(Chunk("pm#0", "pm", doc, 0, len(doc), "", "复盘", None), 1.0)]
    chosen = [_scored("丙根因。", "根因", 8, 0.9), _scored("丁教训。", "教训", 12, 0.8),
              _scored("甲背景。", "背景", 0, 0.7), _scored("乙经过。", "经过", 4, 0.6)]
    texts = lambda q: [s.text[:1] for s in compose(analyse(q), chosen, hits, 600).sentences]  # noqa: E731
    assert texts("这个复盘讲了什么？") == ["丙", "甲", "乙", "丁"]  # the lead stays the best unit
    assert texts("这个复盘有什么问题？") == ["丙", "丁", "甲", "乙"]  # by relevance, as before


def test_a_checklist_request_gathers_action_items_of_another_passage() -> None:
    # Round 8: "…验收的 checklist" quoted two lessons and left out the same postmortem's action item
    # "试用期每周向客户决策人发送验收指标周报" (another passage, 0.05 under the lessons).
    from assistant.answer.select import select, type_bonus

    def unit(text: str, rank: int, sid: int, checkbox: bool = False) -> EvidenceUnit:
        return EvidenceUnit(sid, rank, "pm", sid * 100, sid * 100 + len(text), text, "行动项" if checkbox else "教训",
                            list_item=True, checkbox=checkbox)

    lessons = [unit("试用期的目标是验证一个场景，范围必须写进合同。", 0, 0), unit("竞品承诺更多时，回应是达标的验收数据。", 0, 1)]
    action = unit("试用期每周向客户决策人发送验收指标周报", 2, 2, checkbox=True)
    scored = [Scored(u, r, r, np.eye(3, dtype=np.float32)[i]) for i, (u, r) in
              enumerate(zip([*lessons, action], [0.94, 0.92, 0.88], strict=True))]
    checklist, question = analyse("给我一个试点验收的 checklist"), analyse("试点验收怎么做？")
    assert checklist.artefact and checklist.synthesis and not question.artefact
    assert action in [s.unit for s in select(scored, checklist, 5, 0.7)]
    assert action not in [s.unit for s in select(scored, question, 5, 0.7)]  # not a checklist: a new passage must be closer
    assert type_bonus(action, action.text, checklist) > type_bonus(action, action.text, question)


def test_a_question_naming_a_section_sets_aside_the_postmortem_s_other_sections() -> None:
    """Round-10 trial: "银行信贷审核项目复盘中的行动项有哪些？" listed the timeline and lessons beside the
    action items. Another document's passages, and a postmortem whose named section is not quoted,
    stay."""
    hits = [_section_hit("pm", "行动项", 1.0), _section_hit("pm", "经过", 0.9), _section_hit("pm", "教训", 0.8),
            _section_hit("a", "一", 0.7, "article"), _section_hit("pm2", "经过", 0.6)]
    assert _unnamed_sections(hits, analyse("银行项目复盘中的行动项有哪些？")) == {1, 2}
    assert _unnamed_sections(hits, analyse("银行项目为什么停滞？")) == set()  # names no section
    assert _unnamed_sections(hits, analyse("What were the root causes?")) == set()  # 根因 not quoted
    # a what-did-we-learn question names the lessons (analysis.lessons)
    assert _unnamed_sections(hits, analyse("这次复盘我们学到了什么？")) == {0, 1}
