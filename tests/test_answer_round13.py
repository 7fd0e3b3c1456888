"""Round 13's user trial (docs/trial-round13.md): a Taiwan reader's words, an English verb the
glossary translates, and a compare question whose sides end at a colon or hold "零售 POC"."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

import pytest

from assistant.answer.analysis import analyse
from assistant.answer.answerability import Term, _known, _noun_like, _unglued, content_terms
from assistant.answer.compose import _unnamed_side, addressing
from assistant.answer.extractive import _advice_in_facts
from assistant.answer.select import quality_penalty
from assistant.core.settings import Settings
from assistant.core.types import Chunk, Hit, display_url
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import HybridRetriever, asked_kind
from assistant.store.build_store import LoadedIndex
from assistant.text import regional_words
from testing.fakes import HashEmbedder
from tests.test_answer_stages import _scored, _unit


def test_a_taiwan_word_is_paired_with_the_mainland_word_the_sources_write() -> None:
    assert regional_words("比較一下我們的銀行專案和零售 POC") == [("专案", "项目")]
    assert ("软体", "软件") in regional_words("這套軟體怎麼收費")
    # simplified text and traditional text in mainland words have none
    assert regional_words("试用期结束后客户为什么转投大厂？") == []
    assert regional_words("試用期結束後客戶為什麼轉投大廠？") == []


class _Words:
    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = vocabulary

    def known(self, token: str) -> bool:
        return token in self.vocabulary


def test_a_taiwan_word_the_sources_lack_is_looked_for_as_the_mainland_word() -> None:
    index = cast(LoadedIndex, SimpleNamespace(words=_Words({"项目", "银行", "数据"}), lexical=_Words(set())))
    term = next(t for t in content_terms("銀行專案為什麼停滯？") if t.shown == "專案")
    assert term.matches == ("专案", "项目") and _known(term, index, Glossary())
    retriever = HybridRetriever(index, HashEmbedder(), Settings(), Glossary(), None)
    assert retriever.regional_terms("銀行專案為什麼停滯？") == ["项目"]
    # scaffolding stays alone: "哪些資料" asks which sources, not for data (数据)
    assert retriever.regional_terms("哪些資料提到了銀行專案？") == ["项目"]


def test_an_english_word_is_a_subject_only_if_its_chinese_is_a_noun() -> None:
    # "The sources do not mention failed.": failed → 失败 is a verb; a translated noun and an
    # untranslated name still count
    assert not _noun_like(Term("failed", "failed", False, ("失败",)))
    assert _noun_like(Term("vendor", "vendor", False, ("服务商",)))
    assert _noun_like(Term("kimi", "Kimi", False))


@pytest.mark.parametrize(("question", "sides"), [
    ("比較一下我們的銀行專案和零售 POC：各自遇到什麼問題、結果如何？", ("我們的銀行專案", "零售 POC")),
    ("对比银行项目和零售POC：结果如何？", ("银行项目", "零售POC")),
    ("比较银行项目与零售 POC 的结果", ("银行项目", "零售 POC")),
    ("试用合同里违约金怎么写？", ()),
])
def test_a_compare_side_may_end_at_a_colon_and_hold_a_latin_word(question: str, sides: tuple[str, ...]) -> None:
    assert analyse(question).sides == sides


def test_a_side_named_in_taiwan_words_is_named_by_a_passage_in_mainland_words() -> None:
    def hit(doc_id: str, text: str) -> Hit:
        return Hit(Chunk(f"{doc_id}#0", doc_id, text, 0, len(text), "经过", "复盘", None), 1.0)

    question = "比較一下我們的銀行專案和零售 POC：各自遇到什麼問題？"
    both = [hit("retail", "零售 POC 延期了 12 周。"), hit("bank", "银行项目一期上线后合同停滞。")]
    assert _unnamed_side(analyse(question), both) == ""
    assert "銀行專案" in _unnamed_side(analyse(question), both[:1])


def test_a_sentence_that_turns_to_a_topic_reads_as_an_announcement() -> None:
    # "再说说第二个问题，这个问题其实更加严重。" stood as a source's stance in the round-13 trial
    turn, plain = quality_penalty(_unit("再说说第二个问题，这个问题其实更加严重。")), quality_penalty(_unit("再说服客户就难了，试用期已经结束。"))
    assert turn is not None and plain is not None and turn > plain  # 再说服 (persuade again) is no turn


def test_a_quote_without_the_questions_content_words_does_not_address_it() -> None:
    # it shares only scaffolding bigrams ("这个问题") with the question, while another quote holds its words
    holds = replace(_scored(_unit("签 POC 之前先做现场调研。", "a", 0, 1), 0.9, [1, 0]), cover=0.3, overlap=0.2)
    scaffolding = replace(_scored(_unit("这个问题其实更加严重。", "b", 1, 2), 0.9, [0, 1]), cover=0.0, overlap=0.2)
    assert addressing([holds, scaffolding]) == [holds]
    assert addressing([replace(holds, cover=0.0), scaffolding]) == [replace(holds, cover=0.0), scaffolding]


@pytest.mark.parametrize(("question", "kind"), [
    ("我们的复盘里有哪些定价教训？", "postmortem"),
    ("List every project in our postmortems that failed", "postmortem"),
    ("外部文章怎么评价定制化项目？", "article"),
    ("What do the articles say about pricing?", "article"),
    ("数据治理在我们的项目复盘和公开文章里分别是怎么讨论的？", ""),  # both kinds: no preference
    ("试用期结束后客户为什么转投大厂？", ""),
])
def test_a_question_may_name_the_kind_of_source_it_asks_about(question: str, kind: str) -> None:
    assert asked_kind(question) == kind


def test_passages_of_the_named_kind_are_lifted_not_filtered() -> None:
    def hit(doc_id: str, doc_type: str, score: float) -> Hit:
        return Hit(Chunk(f"{doc_id}#0", doc_id, "正文", 0, 2, "", "", None, {"doc_type": doc_type}), score)

    index = cast(LoadedIndex, SimpleNamespace(words=_Words(set()), lexical=_Words(set())))
    retriever = HybridRetriever(index, HashEmbedder(), Settings(), Glossary(), None)
    hits = [hit("article", "article", 1.0), hit("pm", "postmortem", 0.9), hit("far", "postmortem", 0.5)]
    lifted = retriever._prefer_kind("我们的复盘里怎么说？", [replace(h) for h in hits])
    assert [h.chunk.doc_id for h in lifted] == ["pm", "article", "far"]  # 0.9 × 1.3 > 1.0; nothing dropped
    assert [h.chunk.doc_id for h in retriever._prefer_kind("客户为什么丢单？", hits)] == ["article", "pm", "far"]
    off = HybridRetriever(index, HashEmbedder(), Settings(source_kind_boost=0.0), Glossary(), None)
    assert [h.chunk.doc_id for h in off._prefer_kind("我们的复盘里怎么说？", hits)] == ["article", "pm", "far"]


def test_a_source_link_is_shown_without_tracking_parameters() -> None:
    wechat = ("https://mp.weixin.qq.com/s?__biz=MzI==&mid=22&idx=1&sn=6c82&chksm=e8df&scene=58&subscene=0#rd")
    assert display_url(wechat) == "https://mp.weixin.qq.com/s?__biz=MzI==&mid=22&idx=1&sn=6c82"
    assert display_url("https://a.example/post/1.html?id=7&utm_source=x#part") == "https://a.example/post/1.html?id=7#part"
    assert display_url("https://a.example/post/1.html") == "https://a.example/post/1.html"
    assert display_url(None) is None
    hit = Hit(Chunk("d#0", "d", "正文", 0, 2, "", "", wechat), 1.0)
    assert hit.to_json()["url"] == display_url(wechat) and hit.chunk.to_json()["url"] == wechat  # the build keeps it


def test_a_glued_particle_is_split_off_and_a_noun_suffix_joins_its_word() -> None:
    # jieba: 授权 / 费是 and 企业 / 版; the subjects the sources lack are 授权费 and 企业版
    folded = [t.folded for t in content_terms("百度文心一言企业版现在一年的授权费是多少钱？")]
    assert "授权费" in folded and "企业版" in folded and "费是" not in folded
    assert _unglued(["转化", "率", "是"]) == ["转化率", "是"] and _unglued(["率"]) == ["率"]


def test_a_what_happened_question_sets_the_retrieved_postmortem_s_advice_aside() -> None:
    # "零售POC是给哪个客户做的，持续了多长时间？" led with a lesson's "先做 1–2 周现场调研" (round-13 trial)
    def chunk(doc_id: str, section: str, doc_type: str = "postmortem") -> Chunk:
        return Chunk(f"{doc_id}#{section}", doc_id, "……", 0, 2, section, "复盘", None, {"doc_type": doc_type})

    hits = [Hit(chunk("pm", "教训"), 1.0), Hit(chunk("pm", "经过"), 0.9), Hit(chunk("pm", "行动项"), 0.8),
            Hit(chunk("pm2", "教训"), 0.7), Hit(chunk("a", "一", "article"), 0.6)]
    assert _advice_in_facts(hits, analyse("零售POC持续了多长时间？")) == {0, 2}  # pm2 tells nothing else
    assert _advice_in_facts(hits, analyse("零售POC延期了，我们学到了什么？")) == set()
    assert _advice_in_facts(hits, analyse("怎么避免POC延期？")) == set()
