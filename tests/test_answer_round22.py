"""Round 22 (docs/answers.md): an English question naming something in Chinese is asked in English;
a how-question asked as "what should we …" gets what to do; English jargon in a Chinese question is
looked for in Chinese; an English question's misspelled domain words are corrected."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from assistant.answer.analysis import analyse, denial
from assistant.answer.answerability import abstain_reason, content_terms
from assistant.answer.premise import premise_frame
from assistant.core.settings import Settings
from assistant.retrieve.dictionary import Dictionary
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.spelling import Speller, edits
from assistant.service.pipeline import Pipeline
from assistant.store.build_store import ALIAS
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


def test_english_jargon_in_a_chinese_question_is_looked_for_in_chinese() -> None:
    glossary = Glossary.load(Path(Settings().glossary_path))
    trial = next(t for t in content_terms("华东集团那个trial最后为啥丢了？竞品是谁", glossary) if t.shown == "trial")
    assert {"试用期", "试用"} <= set(trial.matches)
    # a word the glossary does not translate keeps no Chinese form
    foo = next(t for t in content_terms("华东集团那个foobar最后为啥丢了？", glossary) if t.shown == "foobar")
    assert foo.matches == ("foobar",)


def test_misspelled_english_domain_words_are_corrected_and_real_words_kept() -> None:
    speller = Speller(Glossary.load(Path(Settings().glossary_path)), Dictionary.packaged())
    assert speller.correct("What was the acurracy at acceptence for the maintanence Q&A assistent?") == (
        "What was the accuracy at acceptance for the maintenance Q&A assistant?")
    for kept in ("Why did startups that built apps on the API get into trouble?",  # past tense, not "build"
                 "What stance do large customers typically take?",  # an adverb, not "typical"
                 "Who should we contact about the contract?",  # a word one edit from a glossary word
                 "Did 鲜达超市 sign with Xianda?",  # names stay as typed
                 "试用期的acurracy是多少？"):  # a Chinese question is not corrected
        assert speller.correct(kept) == kept
    assert edits("acurracy", "accuracy") == 2 and edits("ab", "ba") == 1


def test_a_misspelled_question_is_answered_as_read(real_pipeline: Pipeline) -> None:
    # the fixture corpus has no glossary of its own: the project's
    pipeline = replace(real_pipeline, glossary=Glossary.load(Path(Settings().glossary_path)), _judges={})
    answer = pipeline.answer("Why did the contract for the 信贷审核助手 stall after the exclusivty clause?")
    assert not answer.abstained and "排他" in answer.text
    assert answer.text.startswith("(Read as: Why did the contract for the 信贷审核助手 stall after the exclusivity clause?)")


def test_an_english_question_naming_a_chinese_customer_gets_an_english_frame(real_pipeline: Pipeline) -> None:
    answer = real_pipeline.answer("Why did the contract for the 信贷审核助手 stall?")
    assert not answer.abstained and "排他" in answer.text
    assert answer.trace["analysis"]["language"] == "en" and "source (in Chinese)" in answer.text


def test_a_day_asked_for_is_a_when_question_and_what_went_wrong_a_why() -> None:
    assert analyse("鲜达超市新范围是哪天上线的？").qtype == "when"
    assert analyse("合同是几号签的？").qtype == "when"
    assert analyse("What went wrong with the 蜀川银行 deal after phase one went live?").qtype == "why"


def test_a_denied_yes_no_question_is_answered_no_in_its_language() -> None:
    glossary = Glossary.load(Path(Settings().glossary_path))
    unsigned = "截至 11 月底合同仍未签署，一期费用也未结算。"
    assert denial(analyse("蜀川银行最后签合同了吗？"), unsigned) == "没有。"  # 签合同 is held as 合同
    assert denial(analyse("Did 蜀川银行 end up signing the contract?"), unsigned, glossary) == "No."
    assert denial(analyse("Did 蜀川银行 end up signing the contract?"), unsigned) == ""  # no glossary, no words
    drafted = "7 月下旬，对方法务发来合同草稿，新增三条排他条款。"
    assert denial(analyse("蜀川银行最后签合同了吗？"), drafted) == ""
    assert denial(analyse("蜀川银行签合同了吗？"), "合同不规范，需要重写。") == ""  # a flaw is no denial


def test_a_capitalised_word_of_a_name_is_not_translated_as_jargon() -> None:
    glossary = Glossary.load(Path(Settings().glossary_path))
    terms = {t.shown: t for t in content_terms("OpenAI 推出 GPT Store 之后，做插件还有意义吗", glossary)}
    assert terms["Store"].in_name and terms["Store"].matches == ("store",)  # not the sources' 门店
    assert not terms["GPT"].in_name
    store = next(t for t in content_terms("这家连锁的 store 有多少？", glossary) if t.shown == "store")
    assert "门店" in store.matches and not store.in_name


def test_a_question_joining_two_cases_no_source_names_together_gets_a_note(real_pipeline: Pipeline) -> None:
    index = real_pipeline.serving_index()
    index.__dict__["aliases"] = {"鲜达超市": frozenset({"pm-bank-exclusivity"}), "天穹云": frozenset({"trial-conversion"}),
                                 "蜀川银行": frozenset({"pm-bank-exclusivity"})}
    try:
        note = premise_frame(analyse("Why did 鲜达超市 switch to 天穹云?"), index)
        assert note is not None and note.kind == "frame" and note.text.startswith("Note: no source mentions 鲜达超市 and 天穹云")
        zh = premise_frame(analyse("鲜达超市为什么转投天穹云？"), index)
        assert zh is not None and zh.text.startswith("注意：资料里没有同时提到“鲜达超市”和“天穹云”")
        assert premise_frame(analyse("鲜达超市为什么找了蜀川银行？"), index) is None  # one document names both
        assert premise_frame(analyse("鲜达超市和天穹云的项目有什么区别？"), index) is None  # a compare joins on purpose
    finally:
        del index.__dict__["aliases"]


def test_pseudonyms_are_read_as_the_postmortem_template_writes_them() -> None:
    assert [m.group(1) for m in ALIAS.finditer("某华东制造集团（化名，下称“华东集团”）……某头部云厂商（化名“天穹云”）进场")] == [
        "华东集团", "天穹云"]
