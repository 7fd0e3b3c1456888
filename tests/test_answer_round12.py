"""Round 12 (docs/answers.md): a retrieved postmortem's section answering the question's type is
quoted down to ROLE_FLOOR of the best passage, below the passage floor."""

from __future__ import annotations

from pathlib import Path

from assistant.answer.analysis import analyse, asks
from assistant.answer.extractive import PART_FLOOR, ROLE_FLOOR, ExtractiveAnswerer
from assistant.core.settings import Settings
from assistant.core.types import Chunk, Hit
from assistant.retrieve.glossary import Glossary


def _chunk(doc_id: str, section: str, doc_type: str = "postmortem") -> Chunk:
    return Chunk(f"{doc_id}#{section}", doc_id, "……", 0, 2, section, "复盘", None, {"doc_type": doc_type})


def test_a_why_question_quotes_a_retrieved_root_cause_below_the_passage_floor() -> None:
    article, story = _chunk("a", "一", "article"), _chunk("a", "二", "article")
    cause, account, other = _chunk("pm", "根因"), _chunk("pm", "经过"), _chunk("pm2", "根因")
    floor = Settings().answer_passage_floor
    assert ROLE_FLOOR < 0.667 < floor  # the issue's own question: the root cause at 0.667×
    hits = [Hit(article, 1.0), Hit(story, 0.99), Hit(cause, 0.667), Hit(account, 0.66), Hit(other, ROLE_FLOOR - 0.01)]
    quoted = ExtractiveAnswerer(Settings(), glossary=Glossary())._quotable(hits, analyse("试用期结束后，客户为什么没有继续合作？"))
    # the root cause joins; the account (no answer to why) and a root cause under ROLE_FLOOR do not
    assert [(h.chunk.doc_id, h.chunk.section) for h in quoted] == [("a", "一"), ("a", "二"), ("pm", "根因")]


def test_a_gloss_keeps_the_glossary_s_case_and_matching_ignores_it(tmp_path: Path) -> None:
    path = tmp_path / "glossary.tsv"
    path.write_text("Xianda Supermarket\t鲜达超市\nXianda\t鲜达超市\ntrial period\t试用期\n", encoding="utf-8")
    glossary = Glossary.load(path)
    # the round-12 trial read "鲜达超市 = xianda" as machine output: a name is glossed as it is spelled
    assert glossary.english("鲜达超市") == "Xianda Supermarket"
    assert [terms for _, _, terms in glossary.translations("what did xianda supermarket ask?")] == [("鲜达超市",)]


def test_a_question_with_two_asks_quotes_down_to_the_part_floor() -> None:
    account, background = _chunk("pm", "经过"), _chunk("pm", "背景")
    hits = [Hit(account, 1.0), Hit(background, 0.684)]
    answerer = ExtractiveAnswerer(Settings(), glossary=Glossary())
    quoted = lambda q: [h.chunk.section for h in answerer._quotable(hits, analyse(q))]  # noqa: E731
    assert len(asks("验收时准确率做到多少？当初的目标是多少？")) == 2
    # the target (the second ask) sits in the background at 0.684×, under the 0.7 floor
    assert quoted("验收时准确率做到多少？当初的目标是多少？") == ["经过", "背景"]
    assert quoted("验收时准确率做到多少？") == ["经过"]
    assert PART_FLOOR < 0.684 < Settings().answer_passage_floor
