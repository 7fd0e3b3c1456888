"""Round 7c (docs/answers.md): leads that answer — a why-lead that is not the presumed outcome, a
when/who-lead that is the end of the story or the date of the asked event, a follow-up's lead that
is not the previous answer's."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from assistant.answer.analysis import analyse, asks_latest, event, presumed
from assistant.answer.base import Context
from assistant.answer.compose import polarity
from assistant.answer.extractive import ExtractiveAnswerer, previous_answer
from assistant.answer.select import Scored, score_units, select
from assistant.answer.units import EvidenceUnit
from assistant.core.settings import Settings
from assistant.index.indexes import Query
from assistant.retrieve.glossary import Glossary
from assistant.store.build_store import LoadedIndex


def _unit(text: str, doc: str = "d1", rank: int = 0, sid: int = 0, start: int = 0) -> EvidenceUnit:
    return EvidenceUnit(sid, rank, doc, start, start + len(text), text, "经过")


def _scored(unit: EvidenceUnit, relevance: float, vector: list[float], asked: tuple[str, ...] = ()) -> Scored:
    v = np.asarray(vector, dtype=np.float32)
    return Scored(unit, relevance, relevance, v / np.linalg.norm(v), asked=asked)


class _Words:
    """A word index where every word is in one passage of ten."""

    def __len__(self) -> int:
        return 10

    def document_frequency(self, word: str) -> int:
        return 1


def _score(question: str, content: list[str], texts: list[str]) -> list[Scored]:
    """Units of equal cosine for a question whose content words are given."""
    units = [_unit(t, sid=i) for i, t in enumerate(texts)]
    vectors = np.asarray([[0.6, 0.8]] * len(texts), dtype=np.float32)
    index = cast(LoadedIndex, SimpleNamespace(sentence_vectors=vectors, words=_Words(), question_vectors=None))
    query = Query(question, [], np.asarray([0.6, 0.8], dtype=np.float32), content=content)
    return score_units(units, analyse(question), query, index)


@pytest.mark.parametrize(("question", "outcome"), [
    ("试用期结束后客户为什么转投大厂？", "转投大厂"),
    ("試用期結束後客戶為什麼轉投大廠？", "转投大厂"),
    ("客户转投大厂的原因是什么？", "客户转投大厂"),
    ("怎么避免延期？", ""),
])
def test_a_why_question_names_the_outcome_it_presumes(question: str, outcome: str) -> None:
    assert presumed(question) == outcome


def test_a_story_restating_the_presumed_outcome_does_not_lead_a_why_answer() -> None:
    """"试用期结束后客户为什么转投大厂？" led with the article's story of the customer leaving
    ("…然而客户还是……接洽了服务更为成熟的大厂") instead of a cause."""
    story = "可怜这位产品经理每天控制交付成本，然而客户还是在试用期结束后便接洽了服务更为成熟的大厂。"
    cause = "试用合同没有写明范围边界和变更流程，新增需求不经评估就进入了项目。"
    told = "客户在试用期结束后转向了大厂，缘由在于服务商丧失了对需求的控制力。"  # names a cause
    scored = _score("试用期结束后客户为什么转投大厂？", ["试用期", "结束", "客户", "转投", "大厂"], [story, cause, told])
    restates = {s.unit.text: s.restates for s in scored}
    assert restates == {story: True, cause: False, told: False}
    # Not a story: a sentence stating the outcome (with its figures) may lead (a dev why-answer's gold lead).
    plain = _score("为什么转投大厂？", ["转投", "大厂"], ["最后客户都转去了大厂，价格从几百万降到几十万。"])
    assert not plain[0].restates
    first = next(s for s in scored if s.unit.text == story)
    second = next(s for s in scored if s.unit.text == cause)
    first.relevance, second.relevance = 0.93, 0.91
    first.cover = second.cover = 0.0
    assert select([first, second], analyse("试用期结束后客户为什么转投大厂？"), 2, 0.7)[0] is second
    first.restates = False
    assert select([first, second], analyse("试用期结束后客户为什么转投大厂？"), 2, 0.7)[0] is first


@pytest.mark.parametrize(("question", "latest"), [
    ("门店补货助手最后什么时候上线的？", True),
    ("When did the replenishment assistant finally go live?", True),
    ("项目最终是什么时候签约的？", True),
    ("门店补货助手计划什么时候上线？", False),  # the plan, not how it ended
    ("门店补货助手什么时候上线的？", False),
    ("Which company won the deal instead of us?", True),  # who won: the end of the story
    ("设备维修知识助手被谁抢走了？", True),
    ("谁是真正的决策人？", False),
])
def test_questions_about_how_a_story_ended(question: str, latest: bool) -> None:
    assert analyse(question).latest is latest
    assert asks_latest(question, analyse(question).qtype) is latest


def test_a_when_question_about_how_it_ended_leads_with_the_latest_dated_unit() -> None:
    """"When did the … finally go live?" led with the Demo's date; the go-live is last in the account."""
    asked = ("补货", "上线")
    demo = _scored(_unit("2024 年 4 月，我们做了一个补货建议 Demo。", start=55, sid=1), 0.913, [1, 0, 0], asked)
    plan = _scored(_unit("签了 35 万元的 POC，计划 10 月底上线。", start=114, sid=2), 0.905, [0, 1, 0], asked)
    live = _scored(_unit("新范围于 2025 年 1 月 20 日在 30 家门店上线，比原计划晚 12 周。", start=428, sid=3),
                   0.896, [0, 0, 1], asked)
    advice = _scored(_unit("签 POC 之前先做 1–2 周现场调研。", start=605, sid=4), 0.90, [1, 1, 0], asked)  # no date
    units = [demo, plan, live, advice]
    assert select(units, analyse("门店补货助手最后什么时候上线的？"), 4, 0.7)[0] is live
    assert select(units, analyse("When did the replenishment assistant finally go live?"), 4, 0.7)[0] is live
    # "finally" may qualify the asked event: only dated units holding a question term count, when any does.
    found = _scored(_unit("8 月，2 名同事驻场 3 周，才发现客户现状远未达到设想。", start=213, sid=5), 0.913, [1, 0, 1],
                    ("驻场", "发现"))
    later = _scored(_unit("新范围于 2025 年 1 月 20 日上线。", start=428, sid=6), 0.90, [0, 1, 1], ("驻场", "发现"))
    assert select([found, later], analyse("团队最后什么时候发现数据不行的？"), 2, 0.7)[0] is found


def test_a_who_question_about_who_won_leads_with_the_latest_dated_unit_naming_someone() -> None:
    """"设备维修知识助手最后被哪家公司拿走了？" led with the customer's background (化名“华东集团”);
    "第 13 周客户通知与天穹云签约" sat 0.074 under it."""
    background = _scored(_unit("某华东制造集团（化名，下称“华东集团”）有 11 个生产基地。", start=28, sid=1), 0.934, [1, 0, 0])
    signed = _scored(_unit("第 13 周客户通知与天穹云签约，试用未能转为正式合同。", start=414, sid=2), 0.860, [0, 1, 0])
    cause = _scored(_unit("没有识别真正的决策人（集团副总）。", start=533, sid=3), 0.890, [0, 0, 1])  # names, no date
    units = [background, signed, cause]
    assert select(units, analyse("设备维修知识助手最后被哪家公司拿走了？"), 3, 0.7)[0] is signed
    assert select(units, analyse("Which company won the equipment maintenance deal instead of us?"), 3, 0.7)[0] is signed
    assert select(units, analyse("设备维修知识助手的客户是哪家公司？"), 3, 0.7)[0] is background
    far = replace(signed, relevance=0.80)  # beyond MARGIN of the best: not a candidate
    assert select([background, far, cause], analyse("设备维修知识助手最后被哪家公司拿走了？"), 3, 0.7)[0] is background


@pytest.mark.parametrize(("question", "asked"), [
    ("信贷审核项目一期是什么时候上线的？", "上线的"),
    ("門店補貨項目什麼時候開始駐場調研的？", "开始驻场调研的"),
    ("一期哪年上线？", "上线"),
    ("为什么延期？", ""),
])
def test_a_when_question_names_the_event_it_asks_the_date_of(question: str, asked: str) -> None:
    assert event(question) == asked


def test_a_when_question_leads_with_the_date_of_the_asked_event() -> None:
    """"信贷审核项目一期是什么时候上线的？" led with the project's start ("2024 年 3 月，对方提出用大模型
    审核……信贷……"), which shares the subject's words, not with "7 月初一期上线"."""
    start = "2024 年 3 月，对方提出用大模型审核小微企业信贷申请材料。"
    live = "7 月初一期上线，要素抽取准确率 94%。"
    visit = "8 月，2 名同事驻场 3 周、走访 6 家门店。"  # a fronted date: said of the next clause
    content = ["信贷", "审核", "项目", "一期", "上线", "驻场", "调研"]
    scored = {s.unit.text: s for s in _score("信贷审核项目一期是什么时候上线的？", content, [start, live, visit])}
    assert (scored[start].dates_event, scored[live].dates_event, scored[visit].dates_event) == (False, True, False)
    scored[start].relevance, scored[live].relevance = 0.961, 0.944
    assert select([scored[start], scored[live]], analyse("信贷审核项目一期是什么时候上线的？"), 2, 0.7)[0] is scored[live]
    fronted = {s.unit.text: s for s in _score("补货项目什么时候开始驻场调研的？", content, [start, visit])}
    assert fronted[visit].dates_event and not fronted[start].dates_event


def test_the_previous_answer_is_read_from_the_history_folded() -> None:
    history = [{"role": "user", "content": "排他条款是怎么导致合同停滞的？"},
               {"role": "assistant", "content": "立項時沒有與對方法務溝通。[1]\n\n1. 先干后签，谈判筹码全部让给了客户。[1]"}]
    assert previous_answer(history) == "立项时没有与对方法务沟通。[1]1.先干后签,谈判筹码全部让给了客户。[1]"
    assert previous_answer([{"role": "user", "content": "问题"}]) == ""


def test_a_follow_up_does_not_lead_with_what_the_previous_answer_said() -> None:
    """"那银行项目呢？" after "排他条款是怎么导致合同停滞的？" was read right but led with turn 1's lead."""
    said = _scored(_unit("立项时没有与对方法务、采购沟通知识产权和排他问题。", sid=1), 0.951, [1, 0, 0])
    new = _scored(_unit("7 月下旬，对方法务发来合同草稿，新增三条排他条款。", sid=2), 0.895, [0, 1, 0])
    analysis = analyse("银行项目是怎么导致合同停滞的？")
    assert select([said, new], analysis, 2, 0.7)[0] is said
    said.said = True
    chosen = select([said, new], analysis, 2, 0.7)
    assert chosen == [new]  # not quoted again as a point either
    far = replace(new, relevance=0.80)  # nothing new within MARGIN: the said unit still leads
    assert select([said, far], analysis, 2, 0.7)[0] is said


def test_the_extractive_answerer_marks_units_the_previous_answer_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.answer.extractive as extractive

    seen: list[list[bool]] = []
    units = [_unit("立项时没有与对方法务沟通。", sid=0), _unit("对方法务发来合同草稿。", sid=1)]
    scored = [_scored(u, 0.9 - 0.01 * i, [1, i, 0]) for i, u in enumerate(units)]
    monkeypatch.setattr(extractive, "evidence_units", lambda index, hits: units)
    monkeypatch.setattr(extractive, "score_units", lambda *args, **kwargs: scored)
    monkeypatch.setattr(extractive, "select", lambda s, *args: seen.append([x.said for x in s]) or [])
    answerer = ExtractiveAnswerer(Settings(), glossary=Glossary())
    history = [{"role": "assistant", "content": "立項時沒有與對方法務溝通。[1]"}]
    ctx = Context("那银行项目呢？", Query("那银行项目呢？"), [], cast(LoadedIndex, None), history)
    answerer._compose(ctx, [], analyse("那银行项目呢？"))
    assert seen == [[True, False]]


def test_a_cause_in_the_restating_story_s_document_leads() -> None:
    """"客户为什么转投大厂？" led with another article's "因为2c的行业……" (a cause of something else);
    the story restating the outcome tells which case is asked about, and its document's cause leads."""
    story = _scored(_unit("可怜这位产品经理……然而客户还是接洽了更成熟的大厂。", doc="trial", sid=1), 0.897, [1, 0, 0])
    story.restates = True
    other = _scored(_unit("因为2c的行业不需要过高的精准度，容错率较高。", doc="other", sid=2), 0.911, [0, 1, 0])
    own = _scored(_unit("而定制化项目各种窘境的缘由，则在于服务商丧失了对需求的控制力。", doc="trial", sid=3), 0.888,
                  [0, 0, 1])
    analysis = analyse("客户为什么转投大厂？")
    assert select([other, story, own], analysis, 3, 0.7)[0] is own
    story.restates = False  # no story restating the outcome: the best unit leads
    assert select([other, story, own], analysis, 3, 0.7)[0] is other


@pytest.mark.parametrize(("question", "asked"), [
    ("蜀川银行那边是谁发来的合同草稿？", "发来的合同草稿"),
    ("设备维修知识助手最后被哪家公司拿走了？", "拿走了"),
    ("谁是真正的决策人？", "是真正的决策人"),
])
def test_a_who_question_names_what_was_done(question: str, asked: str) -> None:
    assert analyse(question).event == asked


def test_a_who_question_leads_with_a_unit_holding_what_was_done() -> None:
    """"蜀川银行那边是谁发来的合同草稿？" led with the customer's introduction (化名“蜀川银行”)."""
    intro = "某西南城商行（化名“蜀川银行”）是我们的老客户。"
    draft = "7 月下旬，对方法务发来合同草稿，新增三条排他条款。"
    scored = {s.unit.text: s for s in _score("蜀川银行那边是谁发来的合同草稿？", ["蜀川", "银行", "发来", "合同", "草稿"],
                                             [intro, draft])}
    assert scored[intro].event_cover == 0 and scored[draft].event_cover == pytest.approx(1.0)
    scored[intro].relevance, scored[draft].relevance = 0.946, 0.917
    scored[intro].cover, scored[draft].cover = 0.34, 0.62
    assert select([scored[intro], scored[draft]], analyse("蜀川银行那边是谁发来的合同草稿？"), 2, 0.7)[0] is scored[draft]


@pytest.mark.parametrize(("text", "expected"), [
    ("而定制化项目扯皮、交付、成本等各种窘境的缘由,则在于服务商丧失了对需求的控制力。", "negative"),
    ("A项目，客户需求蔓延，同时竞争对手介入提供了更多承诺，最终放弃；", "negative"),
    ("The pilot stalled for five months.", "negative"),
    ("定制化是现金流的唯一来源。", "affirmative"),
    ("风险评估需要从财务、技术、市场多个维度进行。", "affirmative"),  # a topic word, not an evaluation
])
def test_a_negative_finding_without_a_negation_word_is_negative(text: str, expected: str) -> None:
    """Round 6d's known gap: polarity read negation words only."""
    assert polarity(text) == expected


@pytest.mark.parametrize(("question", "qtype"), [
    ("设备维修知识助手项目里是谁点名要排产建议的？", "who"),  # 建议 is a noun here: who before how
    ("Who should sign off the pilot?", "who"),
    ("应该怎么避免需求蔓延？", "how"),
    ("要不要先签框架协议？", "how"),
])
def test_a_question_asking_for_a_person_is_a_who_question_before_a_how_question(question: str, qtype: str) -> None:
    assert analyse(question).qtype == qtype


def test_a_bare_what_happened_next_follow_up_leads_with_the_end_of_the_story() -> None:
    """"后来呢？" after "门店补货 POC 为什么延期了？" is read prefixed (a why-question) and repeated turn 1's
    root causes; it asks what came next: the last dated unit of the story leads."""
    prefixed = analyse("门店补货 POC 为什么延期了？ 后来呢？")
    assert prefixed.qtype == "why" and prefixed.latest
    assert not analyse("那个产品经理后来怎么样了？").latest  # a story's outcome may be undated
    cause = _scored(_unit("POC 合同按理想场景定范围，没有为前期准备工作预留时间和费用。", start=562, sid=1), 0.928, [1, 0, 0])
    talks = _scored(_unit("9 月双方重新谈范围，改为规则问答。", start=386, sid=2), 0.858, [0, 1, 0])
    live = _scored(_unit("新范围于 2025 年 1 月 20 日在 30 家门店上线，比原计划晚 12 周。", start=428, sid=3), 0.833, [0, 0, 1])
    cause.said = True  # turn 1 quoted it
    assert select([cause, talks, live], prefixed, 3, 0.7)[0] is live
    assert select([cause, talks, live], analyse("门店补货 POC 为什么延期了？"), 3, 0.7)[0] is talks  # no "后来呢"
    # "最后" in a why-question qualifies what is asked: no latest rule for it.
    cause.said = False
    assert select([cause, talks, live], analyse("门店补货 POC 最后为什么延期了？"), 3, 0.7)[0] is cause
