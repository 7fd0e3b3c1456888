"""Round 16: the account continued in the next passage is quoted (docs/answers.md "Round 16")."""

from __future__ import annotations

from assistant.answer.analysis import analyse
from assistant.answer.select import NEIGHBOUR_MARGIN, NEIGHBOUR_SPAN, NEW_SOURCE_MARGIN, select
from assistant.answer.units import EvidenceUnit
from tests.test_answer_stages import _scored


def _at(text: str, doc: str, rank: int, start: int, sid: int) -> EvidenceUnit:
    return EvidenceUnit(sid, rank, doc, start, start + len(text), text, "经过")


def test_the_next_passage_of_the_quoted_account_may_join_a_little_below_the_new_source_margin() -> None:
    """"华东集团试用期间，各部门陆续加了哪些需求？" quoted the customer's background and left out the
    next passage's list of requests, which sat more than NEW_SOURCE_MARGIN under it. (A fact question
    here: a list question also takes each source's best unit, which would hide what is tested.)"""
    question = "华东集团试用期间，生产部提了什么需求？"
    below = NEW_SOURCE_MARGIN + (NEIGHBOUR_MARGIN - NEW_SOURCE_MARGIN) / 2
    lead = _scored(_at("某华东制造集团有 11 个生产基地，设备维修手册约 3200 份。", "pm", 0, 100, 1), 0.90, [1, 0, 0])
    nearby = _scored(_at("第 4 周生产部提出“顺便”自动生成质检报告。", "pm", 1, 100 + NEIGHBOUR_SPAN // 2, 2),
                     0.90 - below, [0, 1, 0])
    far = _scored(_at("第 13 周客户通知与另一家服务商签约。", "pm", 2, 100 + 3 * NEIGHBOUR_SPAN, 3), 0.90 - below, [0, 0, 1])
    other = _scored(_at("客户在试用期内提出做多个深入业务流程的应用。", "article", 3, 120, 4), 0.90 - below, [0, 1, 1])
    chosen = select([lead, nearby, far, other], analyse(question), 6, 0.7)
    assert chosen[0] is lead and nearby in chosen
    assert far not in chosen and other not in chosen  # not the same account: a new source's margin
    # beyond NEIGHBOUR_MARGIN even the next passage stays out
    nearby.relevance = 0.90 - NEIGHBOUR_MARGIN - 0.01
    assert nearby not in select([lead, nearby], analyse(question), 6, 0.7)
