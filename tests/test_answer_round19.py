"""Round 19 (docs/answers.md): a question asking why and how ("……的原因是什么？又该如何预防？") gets
the causes and what to do about them, the second under its own label."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answer.analysis import analyse, compared_sides
from assistant.answer.compose import compose
from assistant.answer.select import Scored, answers_ask, select
from assistant.answer.units import EvidenceUnit
from assistant.core.types import Chunk, Hit
from assistant.service.pipeline import Pipeline


def _unit(text: str, section: str, axis: int, doc_id: str = "pm-a") -> EvidenceUnit:
    return EvidenceUnit(axis, 0, doc_id, axis * 100, axis * 100 + len(text), text, section)


def _scored(unit: EvidenceUnit, relevance: float) -> Scored:
    return Scored(unit, relevance, relevance, np.eye(8, dtype=np.float32)[unit.sentence_id], cover=0.5)


@pytest.mark.parametrize(("question", "asks"), [
    ("需求蔓延的原因是什么？又该如何预防？", ("why", "how")),
    ("What causes scope creep, and how can we prevent it?", ("why", "how")),
    ("为什么试用期后丢单？应该怎么避免？", ("why", "how")),
    ("为什么试用期后丢单？", None),
    ("如何控制需求范围？", None),
])
def test_a_question_asking_why_and_how(question: str, asks: tuple[str, str] | None) -> None:
    assert analyse(question).two_asks == asks


def test_what_answers_each_ask() -> None:
    assert answers_ask(_unit("合同没有写明范围边界。", "根因", 0), "why")
    assert answers_ask(_unit("范围必须写进合同。", "教训", 0), "how")
    assert not answers_ask(_unit("范围必须写进合同。", "教训", 0), "why")
    assert answers_ask(_unit("因为客户的数据基础不具备，项目延期。", "三、经历", 0, "article"), "why")
    assert answers_ask(_unit("签约之前应该先做现场调研。", "三、反思", 0, "article"), "how")
    # "需要" tells what a project took, not what to do
    assert not answers_ask(_unit("下半年驻场调研，需要预投入大量的资源。", "三、经历", 0, "article"), "how")
    # what others did, or a noun: no advice
    for told in ("为了避免市场重蹈野蛮生长的局面，相关政策密集出台。", "早期的先发优势正不可避免地消亡。",
                 "系统为用户提供更全面的健康分析和建议。"):
        assert not answers_ask(_unit(told, "三、经历", 0, "article"), "how"), told
    assert answers_ask(_unit("创业者必须要谨慎应对合规风险。", "三、经历", 0, "article"), "how")


def _causes_and_a_lesson() -> list[Scored]:
    return [_scored(_unit("试用合同没有写明范围边界和变更流程。", "根因", 0), 0.90),
            _scored(_unit("产品经理有求必应，原定场景没有做透。", "根因", 1), 0.89),
            _scored(_unit("没有识别真正的决策人。", "根因", 2), 0.88),
            _scored(_unit("试用期的目标是验证一个场景，范围必须写进合同。", "教训", 3), 0.84)]


def test_the_answer_keeps_a_unit_for_each_ask() -> None:
    both = analyse("需求蔓延的原因是什么？又该如何预防？")
    chosen = select(_causes_and_a_lesson(), both, 2, 0.7)
    assert [s.unit.section for s in chosen] == ["根因", "教训"]
    # asked why only, the best two causes
    assert [s.unit.section for s in select(_causes_and_a_lesson(), analyse("需求蔓延的原因是什么？"), 2, 0.7)] == ["根因", "根因"]


@pytest.mark.parametrize(("question", "label"), [
    ("需求蔓延的原因是什么？又该如何预防？", "怎么做："),
    ("What causes scope creep, and how can we prevent it?", "What to do:"),
])
def test_what_to_do_is_shown_under_its_own_label(question: str, label: str) -> None:
    scored = _causes_and_a_lesson()
    hits = [Hit(Chunk("pm-a#0", "pm-a", "…", 0, 400, "根因", "需求蔓延复盘", None), 1.0)]
    made = compose(analyse(question), scored, hits, 1000)
    texts = [s.text for s in made.sentences]
    assert texts.index(label) == texts.index("试用期的目标是验证一个场景，范围必须写进合同。") - 1, texts
    assert texts.index(label) > texts.index("没有识别真正的决策人。")
    if label == "What to do:":
        assert texts[0] == "1 source (in Chinese) says the following:"  # not "gives these reasons"


def test_a_why_and_how_question_quotes_the_lessons_too(real_pipeline: Pipeline) -> None:
    # Asked why only, a postmortem's lessons are set aside once its root cause is quoted
    # (extractive._advice_in_why); asked how as well, they answer the second ask.
    answer = real_pipeline.answer("银行项目的合同为什么停滞了？以后应该怎么避免？")
    assert not answer.abstained
    assert "没有在投入前签框架协议" in answer.text, answer.text
    assert "大投入之前先签框架协议" in answer.text, answer.text
    assert "怎么做：" in answer.text
    why_only = real_pipeline.answer("银行项目的合同为什么停滞了？")
    assert "大投入之前先签框架协议" not in why_only.text, why_only.text


def test_a_question_naming_the_root_cause_and_asking_how_keeps_the_lessons(real_pipeline: Pipeline) -> None:
    # Naming 根因 sets the postmortem's other sections aside (extractive._unnamed_sections), but not
    # those its other ask needs: the how of "……以后应该怎么避免？" is answered by the lessons.
    answer = real_pipeline.answer("银行项目合同停滞的根因是什么？以后应该怎么避免？")
    assert "没有在投入前签框架协议" in answer.text, answer.text
    assert "大投入之前先签框架协议" in answer.text, answer.text


@pytest.mark.parametrize(("question", "qtype"), [
    ("当时排他条款具体是怎么写的？", "what"),  # what a text says
    ("试用期失败在文章里是怎么描述的？", "what"),
    ("排他条款该怎么写？", "how"),  # what to do
    ("需求蔓延是怎么产生的？", "why"),
    ("How big was the supermarket chain?", "number"),
    ("How often did the team meet the customer?", "number"),
    ("How late was the delivery?", "when"),
    ("How should we price a POC?", "how"),
    ("Contrast the bank postmortem with the trial article.", "compare"),
])
def test_the_type_of_an_ask(question: str, qtype: str) -> None:
    assert analyse(question).qtype == qtype


def test_a_compared_side_ends_before_what_is_done_with_it() -> None:
    assert compared_sides("To B和To C做大模型产品最大的区别是什么？") == ("To B", "To C")
    assert compared_sides("B端和C端的商业模式有什么区别？") == ("B端", "C端")


def _two_sources(texts: list[str]) -> tuple[list[Scored], list[Hit]]:
    units = [EvidenceUnit(axis, axis % 2, f"doc-{axis % 2}", axis * 100, axis * 100 + len(text), text, "一、比较")
             for axis, text in enumerate(texts)]
    hits = [Hit(Chunk(f"doc-{i}#0", f"doc-{i}", "…", 0, 400, "一、比较", f"文章{i}", None), 1.0 - i / 10) for i in (0, 1)]
    return [_scored(unit, 0.9 - unit.sentence_id / 100) for unit in units], hits


def test_an_english_compare_says_compare_only_when_it_sets_the_sides_apart() -> None:
    scored, hits = _two_sources(["大模型项目的报价越来越低。", "私有化部署的价格从几百万降到几十万。", "To C产品的付费意愿很低。"])
    made = compose(analyse("How do the sources compare on pricing?"), scored, hits, 1000)
    assert made.sentences[0].text == "2 sources (in Chinese) say the following:"
    scored, hits = _two_sources(["To B客户的决策周期较长。", "To C用户更看重体验。", "To B项目定制化要求高。", "To C产品容错率较高。"])
    made = compose(analyse("Compare To B and To C customers."), scored, hits, 1000)
    assert made.sentences[0].text == "2 sources (in Chinese) compare them as follows:", [s.text for s in made.sentences]


@pytest.mark.parametrize(("question", "told"), [
    ("銀行那個項目卡在排他條款上，當時條款具體是怎麼寫的？以後簽約時我們該怎麼談才不會再被綁住？", True),
    ("What exactly did the exclusivity clause say, and how should we negotiate next time?", True),
    ("我们下周要跟一家银行谈试点；对方想先免费做三个月，要注意什么？", False),  # context, then one ask
    ("如何控制需求范围？", False),
])
def test_a_how_question_that_also_asks_what_was_said(question: str, told: bool) -> None:
    assert analyse(question).told is told
    assert (analyse(question).two_asks == ("what", "how")) is told


def test_what_was_said_is_quoted_before_what_to_do(real_pipeline: Pipeline) -> None:
    # A how-question sets the postmortem's timeline aside (extractive._accounts_in_how); asked what
    # the clause said as well, the timeline answers that ask, and the lessons follow under 怎么做.
    answer = real_pipeline.answer("银行项目的排他条款当时是怎么写的？以后签约该怎么谈？")
    assert "三年排他条款" in answer.text, answer.text
    assert answer.text.index("三年排他条款") < answer.text.index("怎么做：") < answer.text.index("大投入之前先签框架协议")
    how_only = real_pipeline.answer("银行项目以后签约该怎么谈排他条款？")
    assert "三年排他条款" not in how_only.text, how_only.text
