"""Round 20 (docs/answers.md): a passage that joins an answer by one close unit does not bring its
other units along; the lead's passage does. A question of several asks answers each of them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from assistant.answer.analysis import analyse
from assistant.answer.extractive import _with_parts
from assistant.answer.select import (
    ASK_MARGIN,
    HEADING_NAMED,
    MARGIN,
    NEW_SOURCE_MARGIN,
    Scored,
    _heading_names,
    part_terms,
    select,
)
from assistant.answer.units import EvidenceUnit, evidence_units
from assistant.core.types import Chunk, Hit, Sentence
from assistant.store.build_store import LoadedIndex
from assistant.text import split_sentences


def _scored(text: str, rank: int, relevance: float, axis: int) -> Scored:
    doc = f"doc-{rank}"
    unit = EvidenceUnit(axis, rank, doc, axis * 1000, axis * 1000 + len(text), text, "正文")
    return Scored(unit, relevance, relevance, np.eye(8, dtype=np.float32)[axis], cover=0.5)


def test_a_second_passage_adds_only_its_units_close_to_the_lead() -> None:
    lead = _scored("年初规划的一系列产品，最终只保留了两个产品。", 0, 0.96, 0)
    close = _scored("大模型落地部署价格从最早的几百万降到几十万。", 1, 0.96 - NEW_SOURCE_MARGIN / 2, 1)
    # Within MARGIN of the lead but not within NEW_SOURCE_MARGIN: another article's commentary
    far = [_scored(text, 1, 0.96 - NEW_SOURCE_MARGIN - (i + 1) * 0.01, 2 + i)
           for i, text in enumerate(["说回大模型，其实大模型和上一代AI的时代一模一样。",
                                     "大家拼的是专业领域的数据收集能力。"])]
    own = _scored("这两个产品仍处于早期客户的挖掘阶段，其他产品都已下线。", 0, 0.96 - MARGIN * 0.8, 4)
    chosen = select([lead, close, *far, own], analyse("年初规划的那一批企业级大模型产品，后来怎么样了？"), 6, 0.7)
    assert chosen[0] is lead
    assert close in chosen and own in chosen  # a new source within its margin; the lead's passage within MARGIN
    assert not any(s in chosen for s in far)  # the new source's other units are held to its margin too


def _unit_scored(text: str, rank: int, relevance: float, axis: int, asked: tuple[str, ...]) -> Scored:
    s = _scored(text, rank, relevance, axis)
    s.asked = asked
    return s


def test_each_ask_of_a_question_of_several_keeps_a_unit_naming_it() -> None:
    question = "做To C聊天类应用到底有没有机会？两篇文章的看法一样吗？"
    asked = ("聊天", "应用", "机会", "两篇", "文章", "看法")
    lead = _unit_scored("这一代的大模型比上一代更友好，相信一定会产生新的应用机会！", 0, 0.95, 0, asked)
    same_doc = _unit_scored("只有忘记技术的人才能做好2c的大模型应用。", 0, 0.94, 1, asked)
    # the other article's view: far under the lead, but the only unit naming what the second ask asks
    other = _unit_scored("另一篇文章的看法是，聊天机器人更像是一个启蒙产品。", 1, 0.95 - ASK_MARGIN * 0.9, 2, asked)
    chosen = select([lead, same_doc, other], analyse(question), 5, 0.7)
    assert other in chosen
    # one ask: nothing is kept for it beyond the usual margins
    assert other not in select([lead, same_doc, other], analyse("做To C聊天类应用到底有没有机会？"), 5, 0.7)


def _passage(doc: str, n: int, text: str, score: float) -> Hit:
    return Hit(Chunk(f"{doc}#{n}", doc, text, 0, len(text), "正文", doc, None), score)


def test_an_ask_no_kept_passage_names_brings_the_passage_that_does() -> None:
    question = "那家公司的收入目标定的是多少，前后下调了几次？A、B、C三个项目最后各自是什么结果？"
    terms = ("公司", "收入", "目标", "前后", "下调", "三个", "项目", "结果")
    owns = part_terms(analyse(question), terms)
    assert owns == [["公司", "收入", "目标", "前后", "下调"], ["三个", "项目", "结果"]]
    targets = _passage("a", 1, "公司年初定下的收入目标是1个亿，7月份下调为3000万。", 6.0)
    story = _passage("a", 0, "机缘巧合，进入一家互联网公司做大模型应用。", 4.0)
    projects = _passage("a", 3, "上半年最有可能成单的三个项目：A项目最终放弃；C项目调研结果发现客户现状远未达标。", 3.5)
    passages = [targets, story, projects]
    assert _with_parts(passages, [targets, story], owns) == passages  # the projects' passage joins
    assert _with_parts(passages, [targets, projects], owns) == [targets, projects]  # every ask named
    assert part_terms(analyse("A、B、C三个项目最后各自是什么结果？"), terms) == []  # one ask


def test_a_unit_under_a_heading_naming_the_asked_word_scores_higher() -> None:
    asked = ("作者", "最后", "感悟")
    plain = _scored("2B产品只有持久战，没有速胜论", 0, 0.9, 0)
    reflections = EvidenceUnit(1, 0, "doc-0", 10, 30, "2B产品只有持久战，没有速胜论", "正文", title="落地实践与思考",
                               under="4、感悟")
    intro = EvidenceUnit(2, 0, "doc-0", 40, 60, "机缘巧合，进入一家公司。", "正文", title="落地实践与思考",
                         under="1. 背景")
    titled = EvidenceUnit(3, 0, "doc-0", 70, 90, "某句。", "正文", title="作者的感悟", under="感悟")
    assert _heading_names(reflections, asked) and not _heading_names(intro, asked)
    assert not _heading_names(plain.unit, asked)  # no heading above it
    assert not _heading_names(titled, asked)  # the title's words name no section
    assert HEADING_NAMED > 0


def test_units_know_the_heading_they_sit_under() -> None:
    doc = "1. 背景\n\n机缘巧合，进入一家公司。\n\n4、感悟\n\n2B产品只有持久战，没有速胜论。\n"
    spans = split_sentences(doc)
    index = SimpleNamespace(sentences=[Sentence("d", a, b) for a, b in spans], documents={"d": SimpleNamespace(text=doc)})
    chunk = Chunk("d#0", "d", doc, 0, len(doc), "1. 背景", "标题", None, sentence_ids=tuple(range(len(spans))))
    under = {u.text: u.under for u in evidence_units(cast(LoadedIndex, index), [Hit(chunk, 1.0)])}
    assert under["机缘巧合，进入一家公司。"] == "1. 背景"
    assert under["2B产品只有持久战，没有速胜论。"] == "4、感悟"  # finer than the chunk's own section


@pytest.mark.parametrize(("question", "qtype"), [
    ("那个银行项目一期都交付了，合同怎么就卡住签不下来？", "why"),  # how come: an outcome already seen
    ("制造集团那个维修知识助手试用，需求怎么越加越多，最后完全收不住？", "why"),
    ("語音識別的報價，這些年怎麼就一路跌成白菜價了？", "why"),
    ("客户一直往试用里塞新需求，我该怎么接话？", "how"),  # what to do
    ("排他条款应该怎么谈？", "how"),
])
def test_how_come_asks_why(question: str, qtype: str) -> None:
    assert analyse(question).qtype == qtype
