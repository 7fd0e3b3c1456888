"""Round 22 (docs/answers.md): an English question naming something in Chinese is asked in English;
a how-question asked as "what should we …" gets what to do."""

from __future__ import annotations

from pathlib import Path

from assistant.answer.analysis import analyse
from assistant.answer.answerability import abstain_reason, content_terms
from assistant.core.settings import Settings
from assistant.retrieve.glossary import Glossary
from assistant.text import chinese_question

NAMED = "According to 顾青云's article, what threshold of illegal content in a single corpus source means it is blacklisted?"


def test_an_english_question_naming_a_chinese_author_is_english() -> None:
    assert not chinese_question(NAMED)
    assert analyse(NAMED).language == "en" and analyse(NAMED).english
    # Chinese grammar with English terms stays Chinese, as does a Chinese question with a product name
    assert chinese_question("RAG 切片的 chunk size 设多大？")
    assert chinese_question("蘋果的Apple Intelligence什麼時候支援中文？")
    assert chinese_question("这是 To B 的 SaaS 市场吗？")
    assert not chinese_question("What did the retail POC cost?")


def test_its_english_words_are_translated_not_read_as_unknown_chinese_terms() -> None:
    glossary = Glossary.load(Path(Settings().glossary_path))
    assert glossary.translations(NAMED), "the glossary reads the English phrasing"
    shown = {t.shown for t in content_terms(NAMED, glossary)}
    assert "According" not in shown and any("青云" in term for term in shown)
    assert abstain_reason(NAMED, ["顾青云"]) == "The sources do not mention 顾青云."


def test_what_we_should_do_asked_as_what_is_a_how_question() -> None:
    assert analyse("竞品承诺的场景比我们多，我们该拿什么回应？").qtype == "how"
    assert analyse("銀行堅持要排他，我們可以端出什麼替代方案？").qtype == "how"
    assert analyse("客户嫌前期投入太大，有什么收费方式能降低他们的顾虑？").qtype == "how"
    # what is possible, or what exists, is no advice
    assert analyse("大模型能做什么？").qtype == "what"
    assert analyse("B端大模型有什么收费方式？").qtype == "what"
