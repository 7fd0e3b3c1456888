"""Sources a reader can open and check: links to the quoted sentence, titles as the answer writes them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from assistant.answer.analysis import to_script
from assistant.answer.base import Context
from assistant.core.types import Answer, Citation
from assistant.service.pipeline import Pipeline
from assistant.surfaces.links import citation_view_url, quoted_span, source_view_url
from assistant.surfaces.openai_compat import source_label
from assistant.surfaces.openai_models import CitationOut
from assistant.surfaces.slack.blocks import answer_blocks, answer_mrkdwn

BASE = "https://h.example/"
PASSAGE = {"n": 1, "doc_id": "pm-x", "title": "复盘", "start": 100, "end": 300}


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url.replace("&amp;", "&")).query)


def test_source_view_url_names_the_passage_and_the_sentence_inside_it() -> None:
    assert source_view_url(BASE, "pm/a b", 5, 9) == "https://h.example/sources/pm%2Fa%20b?start=5&end=9"
    url = source_view_url(BASE, "pm-x", 100, 300, (120, 150))
    assert url == "https://h.example/sources/pm-x?start=100&end=300&sentence_start=120&sentence_end=150"


@pytest.mark.parametrize(("sentence", "span"), [
    ({"doc_id": "pm-x", "start": 120, "end": 150}, (120, 150)),  # a verbatim quote from the passage
    ({"doc_id": "pm-x", "start": 290, "end": 310}, None),        # runs past the passage: another one's
    ({"doc_id": "other", "start": 120, "end": 150}, None),       # another document's quote
    ({"doc_id": None, "start": None, "end": None}, None),        # an LLM's sentence, a label
    (None, None),
])
def test_only_a_quote_from_inside_the_passage_is_marked(sentence: dict[str, object] | None,
                                                        span: tuple[int, int] | None) -> None:
    assert quoted_span(PASSAGE, sentence) == span
    query = _query(citation_view_url(BASE, PASSAGE, sentence))
    assert query["start"] == ["100"] and query.get("sentence_start") == ([str(span[0])] if span else None)


def test_each_slack_marker_links_to_the_sentence_it_ends() -> None:
    # Two points share [1]: each marker now opens the page on its own sentence, and a marker
    # whose sentence quotes nothing (a label) opens the passage.
    sentences = [
        {"text": "第一句。", "citations": [1], "kind": "lead", "doc_id": "pm-x", "start": 100, "end": 104},
        {"text": "第二句。", "citations": [1], "kind": "point", "doc_id": "pm-x", "start": 200, "end": 204},
        {"text": "小结：", "citations": [1], "kind": "label", "doc_id": None, "start": None, "end": None},
    ]
    text = "第一句。[1]\n\n1. 第二句。[1]\n小结：[1]"
    out = answer_mrkdwn(text, [PASSAGE], BASE.rstrip("/"), sentences)
    targets = [_query(part.split("|")[0]) for part in out.split("<")[1:]]
    assert [t.get("sentence_start") for t in targets] == [["100"], ["200"], None]
    assert all(t["start"] == ["100"] and t["end"] == ["300"] for t in targets)
    # answer_blocks hands the result's sentences on
    _, blocks = answer_blocks({"answer": text, "citations": [PASSAGE], "sentences": sentences}, BASE.rstrip("/"))
    assert "sentence_start=200" in blocks[0]["text"]["text"]


def test_source_lists_show_the_title_as_the_answer_writes_it() -> None:
    citation = CitationOut(n=1, doc_id="d", title="大模型没过试用期", display_title="大模型沒過試用期",
                           section_path=["大模型没过试用期", "背景"])
    assert source_label(citation) == "大模型沒過試用期 › 背景"
    _, blocks = answer_blocks({"answer": "甲。[1]", "citations": [
        {**PASSAGE, "title": "大模型没过试用期", "display_title": "大模型沒過試用期"}]}, BASE.rstrip("/"), "問題")
    assert "|大模型沒過試用期>" in blocks[2]["elements"][0]["text"]


def test_answers_carry_titles_in_the_question_script(real_pipeline: Pipeline) -> None:
    traditional = real_pipeline.answer("銀行項目的排他條款為什麼讓合同停滯？").to_json()
    assert not traditional["abstained"] and traditional["citations"]
    for citation in traditional["citations"]:
        assert citation["display_title"] == to_script(citation["title"], "hant")
    bank = next(c for c in traditional["citations"] if c["doc_id"] == "pm-bank-exclusivity")
    assert bank["display_title"] != bank["title"]  # 银行项目… → 銀行項目…
    # ... and the section path above each passage, a label too (教训 → 教訓, 经过 → 經過); the passage's
    # own `section` stays as published
    for citation in traditional["citations"]:
        assert citation["section_path"][-1] == to_script(citation["section"], "hant"), citation
    assert any(c["section_path"][-1] != c["section"] for c in traditional["citations"])
    assert f"《{bank['display_title']}》" in traditional["answer"] or "《" not in traditional["answer"]
    # a simplified question citing the traditional article: its title in simplified
    simplified = real_pipeline.answer("大模型项目怎么定价？").to_json()
    pricing = next(c for c in simplified["citations"] if c["doc_id"] == "pricing-trad")
    assert (pricing["title"], pricing["display_title"]) == ("大模型定價與標準化產品", "大模型定价与标准化产品")


def test_an_english_answer_keeps_the_published_titles(real_pipeline: Pipeline) -> None:
    # English answers label sources "Source: <title as published>" (compose._source_label).
    hits = real_pipeline.search("大模型项目怎么定价？")
    answer = Answer("x", [Citation(1, hits[0])], [], abstained=False, answerer="extractive")
    ctx = Context("How are LLM projects priced?", None, hits, real_pipeline.serving_index())  # type: ignore[arg-type]
    assert [c["display_title"] for c in Pipeline._titled(ctx, answer).to_json()["citations"]] == [hits[0].chunk.title]
