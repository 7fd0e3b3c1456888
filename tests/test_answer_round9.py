"""Round 9 (docs/answers.md): a question that names a postmortem's section is answered from it."""

from __future__ import annotations

import pytest

from assistant.answer.extractive import named_sections
from assistant.service.pipeline import Pipeline


@pytest.mark.parametrize(("question", "sections"), [
    ("蜀川银行那个项目最后定了哪些行动项？", {"行动项"}),
    ("What action items came out of the bank postmortem?", {"行动项"}),
    ("那次复盘的根本原因是什么？背景呢？", {"根因", "背景"}),
    ("What was the root cause?", {"根因"}),
    ("为什么丢单？", set()),  # a why-question without a section's name: type decides (ANSWERING_SECTIONS)
])
def test_the_sections_a_question_names(question: str, sections: set[str]) -> None:
    assert named_sections(question) == sections


def test_a_list_question_naming_the_action_items_leads_with_one(real_pipeline: Pipeline) -> None:
    answer = real_pipeline.answer("银行信贷材料审核项目有哪些行动项？")  # its words are the background's
    assert not answer.abstained
    assert answer.sentences[0].text.startswith("合同模板增加排他条款的定价规则"), answer.text
    assert "某银行（化名）" not in answer.text  # the background is set aside once the action items are quoted
