"""Round 15's user trial (docs/trial-round15.md): how the question is read.

"没几个人买单" says hardly anyone pays, it asks for no number; "……怎么理解？" asks what something
means, not what to do; a Hong Kong user's Cantonese grammar words (入面, 乜嘢, 几多) name no subject
and its question words (点解, 几多, 边个) give the type.
"""

from __future__ import annotations

import pytest

from assistant.answer.analysis import question_type
from assistant.answer.answerability import asked_type, content_terms


@pytest.mark.parametrize(("question", "asked"), [
    ("一大堆人来咨询却没几个人真买单，这个漏斗应该怎么理解？", None),
    ("没多少人愿意付费，为什么？", None),
    ("有几个客户续约了？", "count"),
    ("这几个项目的预算是多少？", "amount"),  # 这几 says "these", the 多少 still asks
])
def test_hardly_anyone_asks_for_no_number(question: str, asked: str | None) -> None:
    assert asked_type(question) == asked


@pytest.mark.parametrize(("question", "qtype"), [
    ("一大堆人来咨询却没几个人真买单，这个漏斗应该怎么理解？", "what"),
    ("如何看待大模型 To B？", "what"),
    ("怎么避免试用期需求蔓延？", "how"),
    ("點解客戶試用完就唔再合作？", "why"),
    ("合約金額係幾多？", "number"),
    ("邊個負責驗收？", "who"),
    ("POC 報價應該點樣拆？", "how"),
    ("一期係咪已經結咗數？", "yesno"),
])
def test_question_types_read_explain_and_cantonese_cues(question: str, qtype: str) -> None:
    assert question_type(question) == qtype


def test_cantonese_grammar_words_are_no_subject() -> None:
    terms = {t.folded for t in content_terms("嗰個案例入面，客戶喺試用期要求做咗啲乜嘢？")}
    assert {"入面", "乜嘢"}.isdisjoint(terms)
    assert {"案例", "客户", "试用期"} <= terms
