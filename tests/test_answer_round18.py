"""Round 18's blind trial (docs/trial-round18.md): a question about our own projects leads with our
postmortems, and a meeting rhythm ("两天一小会") is no answer to "how many days"."""

from __future__ import annotations

import numpy as np

from assistant.answer.analysis import analyse, figure
from assistant.answer.select import LEAD_NAMED, Scored, select
from assistant.answer.units import EvidenceUnit
from assistant.retrieve.retriever import asked_kind


def _scored(doc_id: str, text: str, relevance: float, start: int, axis: int, named: bool) -> Scored:
    unit = EvidenceUnit(start, axis, doc_id, start, start + len(text), text, "经过")
    return Scored(unit, relevance, relevance, np.eye(4, dtype=np.float32)[axis], cover=0.5, named=named)


def test_our_own_projects_name_the_postmortems() -> None:
    for question in ("我们自己做过的项目里，有没有试用期拖得很长的？", "我們自己做過的專案裡有哪些失敗了？",
                     "我们做过的项目有哪些教训？", "我们的项目为什么延期？"):
        assert asked_kind(question) == "postmortem", question
    assert asked_kind("我们的客户为什么不续约？") == ""  # our customers: no kind of source


def test_a_rate_is_no_duration() -> None:
    days = figure("天")
    assert days.findall("团队两天一小会三天一大会") == []
    assert days.findall("驻场 3 天，走访 6 家门店") == ["3 天"]
    assert figure("个月").findall("三个月一次的复盘，拖了 5 个月") == ["5 个月"]


def test_the_lead_comes_from_the_kind_of_source_the_question_names() -> None:
    question = analyse("我们自己做过的项目里，有没有试用期拖得很长才结束的？")
    article = _scored("article", "然而客户还是在试用期结束后便接洽了服务更为成熟的大厂。", 0.90, 0, 0, named=False)
    ours = _scored("pm-a", "第 13 周客户通知与云厂商签约，试用未能转为正式合同。", 0.90 - LEAD_NAMED / 2, 100, 1, named=True)
    assert select([article, ours], question, 5, 0.7)[0] is ours
    # ... a nudge, not a filter: a clearly better article sentence still leads
    ours.relevance = ours.cosine = 0.90 - 2 * LEAD_NAMED
    assert select([article, ours], question, 5, 0.7)[0] is article
