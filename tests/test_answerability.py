"""Answerability: one decision, made by the pipeline before any answerer, with a reason naming the gap."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant.answer.answerability import (
    FEATURES,
    Answerability,
    Term,
    _doc_spread,
    _guessed_across_grammar,
    _in_corpus,
    _made_up_verbs,
    _naming_rank,
    _noun_like,
    _scatter,
    abstain_reason,
    asked_type,
    content_terms,
    holds_value,
    probability,
    type_unmet,
)
from assistant.answer.base import Answerer, Context, Delta
from assistant.core.settings import Settings
from assistant.core.types import Answer, Chunk, Hit
from assistant.retrieve.dictionary import Dictionary
from assistant.retrieve.glossary import Glossary
from assistant.service.pipeline import Pipeline
from assistant.store.build_store import load_index
from ingest.build import run_ingest
from testing.fakes import HashEmbedder


class SpyAnswerer(Answerer):
    """Records every call; answers with a fixed text."""

    name = "spy"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def answer(self, ctx: Context) -> Answer:
        self.calls.append(ctx.question)
        return Answer("答案。", [], [], abstained=False, answerer=self.name, trace=ctx.trace)


@pytest.fixture
def spied(real_pipeline: Pipeline) -> tuple[Pipeline, SpyAnswerer]:
    spy = SpyAnswerer()
    pipeline = Pipeline(real_pipeline.settings, real_pipeline.embedder, spy, real_pipeline.holder,
                        real_pipeline.glossary)
    return pipeline, spy


def test_a_noun_the_dictionary_lacks_stays_one_term() -> None:
    # jieba cuts 年假 into 年 / 假: two single characters, each too short to look up.
    assert [t.shown for t in content_terms("公司的年假怎么请？")] == ["公司", "年假"]
    # verbs, adverbs and locatives join no subject: 请 stays out, 却 does not glue to 单
    assert [t.shown for t in content_terms("为什么很多项目签了单却交付不了？")] == ["项目", "交付", "不了"]


def test_a_question_word_glued_to_a_noun_is_dropped_from_it() -> None:
    # jieba's dictionary has 哪些项目; the subject is 项目 (which the corpus has), not the phrase.
    assert [t.shown for t in content_terms("哪些项目丢单了？")] == ["项目", "丢单"]
    assert content_terms("哪些方面") == []  # a scaffolding word stays one


def test_a_verb_glued_to_a_question_word_is_no_subject() -> None:
    # jieba's dictionary has 占多大: the question asks a share of 企业, it names no thing called 占多大.
    assert [t.shown for t in content_terms("看热闹的企业占多大比例？")] == ["看热闹", "企业", "比例"]
    # nor 几 with its measure word (jieba's 几次): the number question's unit, not a thing
    assert [t.shown for t in content_terms("目标下调了几次？")] == ["目标", "下调"]


def test_content_terms_keep_the_subject_and_drop_the_scaffolding() -> None:
    terms = {t.shown: t.entity for t in content_terms("GPT-4o 的 API 价格是多少？")}
    assert terms == {"GPT-4o": True, "API": True, "价格": False}
    # English questions keep names and numbers only: ordinary words cannot be in a Chinese corpus.
    assert [t.shown for t in content_terms("How do I fine-tune Llama 3 with LoRA?")] == ["Llama", "LoRA"]
    # Traditional characters are shown as the user wrote them, matched simplified.
    [term] = [t for t in content_terms("台積電的產能是多少？") if t.shown == "產能"]
    assert term.folded == "产能"


def test_an_acronym_plural_is_also_looked_for_as_the_acronym() -> None:
    terms = {t.shown: t for t in content_terms("Which mistakes did we make in our POCs and KPIs?")}
    assert terms["POCs"].matches == ("pocs", "poc") and terms["KPIs"].matches == ("kpis", "kpi")
    assert {t.shown: t.matches for t in content_terms("How did Adams price it?")} == {"Adams": ("adams",)}


def test_english_names_and_phrases_are_matched_in_their_glossary_forms(tmp_path: Path) -> None:
    path = tmp_path / "glossary.tsv"
    path.write_text("kai-fu lee\t李开复\nbaidu\t百度\ntrial period\t试用期\n", encoding="utf-8")
    terms = {t.shown: t for t in content_terms("What did Kai-Fu Lee and Baidu say about the trial period?",
                                               Glossary.load(path))}
    assert sorted(terms) == ["Baidu", "Kai-Fu Lee", "trial period"]  # "Kai-Fu" and "Lee" are one name
    assert terms["Kai-Fu Lee"].matches == ("kai-fu lee", "李开复") and terms["Kai-Fu Lee"].entity
    assert terms["trial period"].forms == ("试用期",) and not terms["trial period"].entity


def test_unknown_nouns_and_names_count_as_missing_subjects_unknown_verbs_do_not() -> None:
    by_word = {t.shown: t for t in content_terms("豆包的日活为什么一路下跌？GPT-4o 呢？")}
    assert _noun_like(by_word["豆包"]) and _noun_like(by_word["GPT-4o"])
    assert not _noun_like(by_word["下跌"]) and not _noun_like(by_word["一路"])
    # a word jieba made up of two verbs splits a phrase ("签排他条款" → 签排 / 他), it names nothing;
    # made-up words with a noun or a verbal noun in them stay names (round 10)
    assert not _noun_like(Term("签排", "签排", False))
    # nor does a verb with its complement: "做大模型" → 做大 (v + a) / 模型 (round-12 trial)
    assert [t.shown for t in content_terms("做大模型项目")][0] == "做大" and not _noun_like(Term("做大", "做大", False))
    assert _noun_like(Term("智谱", "智谱", False)) and _noun_like(Term("月活", "月活", False))


def test_a_word_jieba_guessed_across_a_grammar_word_is_no_subject() -> None:
    # jieba's HMM glues an adverb, locative, pronoun or particle to its neighbour: 先落 (先落在),
    # 人真 (人真买单), 上堆 (在产品上堆功能), 投了 (我们投了多少人); none is a thing the sources lack.
    for guessed in ("先落", "人真", "上堆", "投了", "那批", "没成"):  # 没成: across a negation (round 13)
        assert _guessed_across_grammar(guessed), guessed
    # Names it guesses hold no grammar word; dictionary words are not guesses at all.
    for word in ("智谱", "千问", "日活", "年假", "豆包", "颈椎"):
        assert not _guessed_across_grammar(word), word


def test_a_made_up_word_the_tagger_reads_as_a_verb_is_no_subject() -> None:
    # Round 17: jieba's tagger reads made-up words with their neighbours. The paraphrase probe's
    # "一路跌成白菜价" and "能AI出图的设计站" were refused as lacking 跌成 and 出图.
    assert "跌成" in _made_up_verbs("语音识别的报价怎么就一路跌成白菜价了？")
    assert "出图" in _made_up_verbs("连最早一批能AI出图的设计站都挂了维护公告")
    # Names it makes up are read as nouns, and dictionary words are not made up at all.
    assert not {"智谱", "信创"} & _made_up_verbs("智谱的信创版本卖多少钱？")
    assert "报价" not in _made_up_verbs("语音识别的报价怎么就一路跌成白菜价了？")


def test_a_made_up_verb_is_not_named_missing(spied: tuple[Pipeline, SpyAnswerer]) -> None:
    pipeline, _ = spied
    answer = pipeline.answer("试用期结束后的报价怎么就一路跌成白菜价了？")
    assert "跌成" not in answer.trace["answerability"]["missing"]
    assert "跌成" not in answer.text


class _Vocabulary:
    def known(self, token: str) -> bool:
        return token in {"排他", "签约"}


def test_a_term_mixing_chinese_with_digits_or_letters_is_looked_up_in_the_text() -> None:
    # The tokenisers cut "3年", "11月" and "c端" apart, so neither index knows them as one token.
    index = SimpleNamespace(words=_Vocabulary(), lexical=_Vocabulary(), compact_documents=["签3年排他，11月签约，做c端"])
    assert _in_corpus("3年", index) and _in_corpus("11月", index) and _in_corpus("c端", index)  # type: ignore[arg-type]
    assert not _in_corpus("5年", index) and not _in_corpus("b端", index)  # type: ignore[arg-type]


def test_latin_terms_and_compounds_the_tokenisers_cut_apart_are_looked_up_by_their_parts() -> None:
    """Round-10 trial: "ToB" (the sources write "To B") and 银行信贷 (a jieba word; the sources write
    银行 … 信贷 apart) were refused as missing."""
    vocabulary = SimpleNamespace(known=lambda token: token in {"银行", "信贷"})
    index = SimpleNamespace(words=vocabulary, lexical=vocabulary, compact_documents=["tob大模型，october，银行流水"])
    assert _in_corpus("tob", index) and _in_corpus("银行信贷", index)  # type: ignore[arg-type]
    assert not _in_corpus("tobe", index) and not _in_corpus("cto", index)  # type: ignore[arg-type]  # inside october
    assert not _in_corpus("银行卡", index)  # type: ignore[arg-type]  # its part 银行 does not cover 卡


def test_a_guessed_word_is_not_named_missing(spied: tuple[Pipeline, SpyAnswerer]) -> None:
    pipeline, _ = spied
    answer = pipeline.answer("试用期结束后客户为什么先落在大厂？")
    assert "先落" not in answer.trace["answerability"]["missing"]
    assert "先落" not in answer.text


def test_the_asked_type_comes_from_the_interrogative_and_the_noun_it_asks_about() -> None:
    assert asked_type("这套系统的报价是多少？") == "amount"
    assert asked_type("客户的续约率是多少？") == "share"
    assert asked_type("項目是哪一年上線的？") == "date"  # traditional script folds first
    assert asked_type("试点一般要多久？") == "duration"
    assert asked_type("当时是谁拍板的？") == "name"
    assert asked_type("一共签了多少个客户？") == "count"
    assert asked_type("What was the budget of the pilot?") == "amount"
    assert asked_type("When a customer asks for exclusivity, what should we do?") is None  # a when-clause
    assert asked_type("为什么试点失败了？") is None


def test_a_value_of_the_asked_type_must_be_stated_not_just_a_number() -> None:
    assert holds_value("amount", "首期合同金额为 120 万元。")
    assert not holds_value("amount", "合同一共 3 期，客户很满意。")
    assert holds_value("share", "续约率只有 35%。") and not holds_value("share", "续约的客户有 35 家。")
    assert holds_value("date", "项目于 2023 年上线。") and not holds_value("date", "项目上线了。")


def test_a_rate_stated_as_a_bare_figure_and_a_named_rival_count_as_the_asked_value() -> None:
    # round 11: "转化率是多少？" is answered by "转化率几乎为0", and "最后选择了谁？" by a company
    # the sources name by its alias; both had made answerable questions look unanswerable.
    assert holds_value("share", "最终的转化率几乎为0") and holds_value("share", "续约率为零")
    assert not holds_value("share", "转化率一直很低")
    assert holds_value("name", "第 13 周客户通知与天穹云签约") and holds_value("name", "集团副总点名要排产建议")
    assert not holds_value("name", "客户后来签了别人的合同")


def test_a_count_or_name_questions_own_words_are_no_subject() -> None:
    # round 13: the measure word of 几家 is the question's (HMM's 家店 is 店), 一共 counts, and
    # 名字 is what "叫什么名字" asks; the subjects stay
    assert [t.folded for t in content_terms("超市一共多少家店？")] == ["超市"]
    assert [t.folded for t in content_terms("百度的平台叫什么名字？")] == ["百度", "平台"]
    assert "名字" in [t.folded for t in content_terms("名字和商标要注册吗？")]
    # ... nor a compare question's 两者, nor the request that opens a question (jieba tags 整理 a noun)
    assert [t.folded for t in content_terms("整理资料中的数字")] == ["数字"]
    assert "整理" in [t.folded for t in content_terms("数据要先整理吗？")]
    assert "两者" not in [t.folded for t in content_terms("比较两者的报价")]


def test_a_doubled_character_is_no_name() -> None:
    # "线索层层筛选": jieba tags 层层 a noun; unknown or not, it names nothing (round 13)
    assert not _noun_like(Term("层层", "层层", False)) and _noun_like(Term("热潮", "热潮", False))


def test_a_duration_in_words_meets_a_how_long_question() -> None:
    # round 13 (dev q210): "跟进并没有花多少时间" answers 多久 without a figure
    terms = content_terms("其他厂商跟进要多久？")
    assert type_unmet("其他厂商跟进要多久？", terms, ["其他厂商跟进并没有花多少时间。"]) == 0.0
    assert type_unmet("其他厂商跟进要多久？", terms, ["其他厂商纷纷跟进。"]) == pytest.approx(1.0)


def test_type_unmet_is_high_when_the_sentences_talk_about_the_question_but_state_no_such_value() -> None:
    terms = content_terms("私有化部署的报价是多少？")
    assert {t.folded for t in terms} == {"私有化", "部署", "报价"}
    silent = ["私有化部署的报价一直在降。", "客户更看重服务。"]
    stated = [*silent, "私有化部署报价约 50 万元。"]
    assert type_unmet("私有化部署的报价是多少？", terms, silent) == pytest.approx(1.0)
    assert type_unmet("私有化部署的报价是多少？", terms, stated) == 0.0
    # neutral for a question that asks for no typed value, and when no sentence holds its words
    assert type_unmet("私有化部署为什么越来越便宜？", terms, silent) == 0.0
    assert type_unmet("私有化部署的报价是多少？", terms, ["客户更看重服务。"]) == 0.0


def test_reason_names_the_missing_term_in_the_question_language() -> None:
    assert abstain_reason("GPT-4o 的 API 价格是多少？", ["GPT-4o"]) == "资料中没有提到 GPT-4o。"
    assert abstain_reason("红烧肉怎么做？", ["红烧肉"]) == "资料中没有提到红烧肉。"
    assert abstain_reason("How do I use LangChain?", ["LangChain"]) == "The sources do not mention LangChain."
    assert abstain_reason("怎么样？", []) == "资料中没有找到相关内容。"


def test_reason_names_the_whole_latin_name_the_user_typed() -> None:
    # "Intelligence" alone is not what was asked about; a number next to the name is left out
    assert abstain_reason("蘋果的Apple Intelligence什麼時候支援中文？", ["Intelligence", "支援", "Apple"]) == (
        "資料中沒有提到 Apple Intelligence。")
    assert abstain_reason("Who won the 2024 Nobel Prize in Physics?", ["Nobel", "Prize", "Physics", "2024"]) == (
        "The sources do not mention Nobel Prize.")
    assert abstain_reason("RAG 切片的 chunk size 设多大？", ["chunk", "size"]) == "资料中没有提到 chunk size。"
    assert abstain_reason("How do I configure Kubernetes GPU nodes?", ["Kubernetes", "GPU"]) == (
        "The sources do not mention Kubernetes.")


def test_the_reason_names_a_thing_before_a_time_word_or_an_adverb() -> None:
    # 昨晚 (a time word) comes first in the question, but 皇马 is what the sources lack
    terms = [Term("昨晚", "昨晚", False), Term("皇马", "皇马", False), Term("gpt-5", "GPT-5", True)]
    assert [t.shown for t in sorted(terms, key=_naming_rank)] == ["GPT-5", "皇马", "昨晚"]
    assert _naming_rank(Term("率先", "率先", False)) > _naming_rank(Term("智谱", "智谱", False))


def test_reason_is_in_the_script_of_a_traditional_question() -> None:
    assert abstain_reason("GPT-4o 的 API 價格是多少？", ["GPT-4o"]) == "資料中沒有提到 GPT-4o。"
    assert abstain_reason("紅燒肉怎麼做？", ["紅燒肉"]) == "資料中沒有提到紅燒肉。"
    assert abstain_reason("那後來呢？", []) == "資料中沒有找到相關內容。"


def test_probability_is_the_logistic_of_the_standardised_features() -> None:
    model = {"weights": dict.fromkeys(FEATURES, 0.0), "bias": 0.5, "threshold": 0.5,
             "mean": dict.fromkeys(FEATURES, 0.0), "scale": dict.fromkeys(FEATURES, 1.0)}
    model["weights"]["dense_top"], model["mean"]["dense_top"], model["scale"]["dense_top"] = 2.0, 0.8, 0.1
    values = {**dict.fromkeys(FEATURES, 0.0), "dense_top": 0.9}
    assert probability(model, values) == pytest.approx(1 / (1 + math.exp(-(0.5 + 2.0))))


def test_a_feature_without_evidence_counts_as_its_mean() -> None:
    # asked_top is NaN when the best passage's document has no curated questions: neutral, not
    # "far from every question the corpus answers" (which would refuse every question about it).
    model = {"weights": dict.fromkeys(FEATURES, 0.0), "bias": 0.5, "threshold": 0.5,
             "mean": dict.fromkeys(FEATURES, 0.0), "scale": dict.fromkeys(FEATURES, 1.0)}
    model["weights"]["asked_top"], model["mean"]["asked_top"], model["scale"]["asked_top"] = -1.5, 0.9, 0.03
    values = dict.fromkeys(FEATURES, 0.0)
    assert probability(model, {**values, "asked_top": math.nan}) == probability(model, {**values, "asked_top": 0.9})
    assert probability(model, {**values, "asked_top": 0.0}) > 0.99  # what a missing value would have done


def test_questions_about_a_document_without_curated_questions_are_not_refused_for_it(
    spied: tuple[Pipeline, SpyAnswerer],
) -> None:
    pipeline, spy = spied  # the fixture corpus has no corpus/questions/
    answer = pipeline.answer("试用期结束后客户为什么转投大厂？")
    assert answer.trace["answerability"]["features"]["asked_top"] is None and not answer.abstained


def test_scatter_is_undefined_for_fewer_passages_than_it_reads() -> None:
    # A filter that leaves one document leaves one passage: not "scattered over every document".
    def hit(doc_id: str) -> Hit:
        return Hit(Chunk(f"{doc_id}#0", doc_id, "正文", 0, 2, "", "", None), 1.0)

    assert math.isnan(_doc_spread([hit("a")])) and math.isnan(_doc_spread([hit("a"), hit("a")]))
    assert _doc_spread([hit("a"), hit("b"), hit("a")]) == pytest.approx(2 / 3)


@pytest.mark.parametrize(("question", "across"), [
    ("What are the common lessons across our three project postmortems?", True),
    ("三个复盘有哪些共同的教训？", True),
    ("幾篇文章怎麼看待大模型的市場熱潮？", True),
    ("定制化在不同文章里分别被怎么评价？", True),
    ("业务目标年中下调了几次，分别调到多少？", False),  # 分别 distributes over figures, not sources
    ("华东集团那三千多份维修手册是什么格式的？", False),  # 多份 of a count
    ("试用期结束后客户为什么转投大厂？", False),
    # a question whose answer draws on several sources (round 13, the multi-document probe)
    ("B端和C端的商业模式有什么区别？", True),
    ("文章里提到了哪些没成单的项目？", True),
])
def test_scatter_is_neutral_for_a_question_asked_across_sources(question: str, across: bool) -> None:
    top = [Hit(Chunk(f"{d}#0", d, "正文", 0, 2, "", "", None), 1.0) for d in ("a", "b", "c")]
    assert math.isnan(_scatter(question, top)) is across
    assert _scatter(question, top) == 1.0 or across


def test_a_model_for_other_features_is_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="refit"):
        Answerability({"weights": {"cosine": 1.0}, "bias": 0.0, "threshold": 0.5})


def test_out_of_scope_question_abstains_before_the_answerer_runs(spied: tuple[Pipeline, SpyAnswerer]) -> None:
    pipeline, spy = spied
    answer = pipeline.answer("GPT-4o 的 API 价格是多少？")
    assert answer.abstained and answer.citations == [] and spy.calls == []
    assert answer.text == answer.trace["abstain_reason"] == "资料中没有提到 GPT-4o。"
    assert answer.trace["answerability"]["abstain"] is True
    english = pipeline.answer("How do I configure Kubernetes GPU nodes?")
    assert english.abstained and english.text == "The sources do not mention Kubernetes."
    assert spy.calls == []


def test_answerable_question_reaches_the_answerer(spied: tuple[Pipeline, SpyAnswerer]) -> None:
    pipeline, spy = spied
    answer = pipeline.answer("试用期结束后客户为什么转投大厂？")
    assert not answer.abstained and spy.calls == ["试用期结束后客户为什么转投大厂？"]
    assert answer.trace["answerability"]["abstain"] is False


def test_streamed_abstention_is_the_reason_then_the_answer(spied: tuple[Pipeline, SpyAnswerer]) -> None:
    pipeline, spy = spied
    events = list(pipeline.answer_stream("红烧肉怎么做？"))
    assert [type(e) for e in events] == [Delta, Answer] and spy.calls == []
    final = events[-1]
    assert isinstance(final, Answer) and final.abstained and events[0].text == final.text == "资料中没有提到红烧肉。"


def test_the_model_travels_inside_the_build_and_a_refit_publishes_a_new_one(fake_settings: Settings,
                                                                           tmp_path: Path) -> None:
    model_file = tmp_path / "model.json"
    model = {"weights": dict.fromkeys(FEATURES, 0.0), "bias": -5.0, "threshold": 0.5,
             "mean": dict.fromkeys(FEATURES, 0.0), "scale": dict.fromkeys(FEATURES, 1.0)}
    model_file.write_text(json.dumps(model))
    settings = fake_settings.model_copy(update={"answerability_file": model_file})
    first = run_ingest(settings, HashEmbedder, progress=False)
    assert load_index(settings.index_dir).answerability == model
    assert not run_ingest(settings, HashEmbedder, progress=False).published  # nothing changed
    model_file.write_text(json.dumps({**model, "bias": 5.0}))
    refit = run_ingest(settings, HashEmbedder, progress=False)
    assert refit.published and refit.build_id != first.build_id and refit.embedded == 0
    assert load_index(settings.index_dir).answerability["bias"] == 5.0  # type: ignore[index]


def test_an_unreadable_model_file_stops_ingest_with_its_name(fake_settings: Settings, tmp_path: Path) -> None:
    from ingest.build import IngestError

    broken = tmp_path / "model.json"
    broken.write_text("{not json")
    with pytest.raises(IngestError, match="model.json"):
        run_ingest(fake_settings.model_copy(update={"answerability_file": broken}), HashEmbedder, progress=False)


def test_a_build_with_an_unreadable_model_still_answers_and_says_why(
    fake_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from assistant.service.pipeline import build_pipeline

    stale = tmp_path / "model.json"
    stale.write_text(json.dumps({"weights": {"cosine": 1.0}, "bias": 0.0, "threshold": 0.5}))
    settings = fake_settings.model_copy(update={"answerability_file": stale})
    run_ingest(settings, HashEmbedder, progress=False)
    answer = build_pipeline(settings).answer("试用期结束后客户为什么转投大厂？")
    assert not answer.abstained and answer.citations
    assert "refit" in caplog.text


def test_the_models_off_topic_references_are_embedded_into_its_build(fake_settings: Settings, tmp_path: Path) -> None:
    import numpy as np

    from assistant.answer.answerability import _offtopic_top
    from assistant.index.indexes import Query

    references = ["明天北京会下雨吗？", "VPN 连不上怎么办"]
    model = {"weights": dict.fromkeys(FEATURES, 0.0), "bias": -5.0, "threshold": 0.5,
             "mean": dict.fromkeys(FEATURES, 0.0), "scale": dict.fromkeys(FEATURES, 1.0), "offtopic": references}
    model_file = tmp_path / "model.json"
    model_file.write_text(json.dumps(model, ensure_ascii=False))
    settings = fake_settings.model_copy(update={"answerability_file": model_file})
    run_ingest(settings, HashEmbedder, progress=False)
    index = load_index(settings.index_dir)
    expected = HashEmbedder().embed_batch(references, "query")
    assert index.offtopic_vectors is not None and np.allclose(index.offtopic_vectors, expected)
    # offtopic_top: the question's best cosine to a reference; 0 for a build without references
    weather = Query("明天北京会下雨吗？", vector=expected[0])
    assert _offtopic_top(weather, index.offtopic_vectors) == pytest.approx(1.0, abs=1e-5)
    assert _offtopic_top(weather, None) == 0.0

    model_file.write_text(json.dumps({k: v for k, v in model.items() if k != "offtopic"}))
    run_ingest(settings, HashEmbedder, progress=False)  # a model without references: a build without them
    assert load_index(settings.index_dir).offtopic_vectors is None


def test_a_capitalised_english_word_the_dictionary_translates_is_looked_for_in_chinese() -> None:
    # Round 17: English questions translated from dev ones were refused as lacking "Company" (Company
    # B), "Companies" (Companies D, E and F) and "Beijing": capitalised mid-sentence, read as names.
    dictionary = Dictionary.parse(["公司 公司 [gong1 si1] /company/firm/", "商店 商店 [shang1 dian4] /store/shop/"])
    terms = {t.folded: t for t in content_terms("How does the fintech firm in the article (Company B) charge?",
                                                  dictionary=dictionary)}
    assert terms["company"].forms == ("公司",) and terms["company"].entity
    plural = {t.folded: t for t in content_terms("How do Companies D, E and F make money?", dictionary=dictionary)}
    assert plural["companies"].forms == ("公司",)
    # A capitalised word after another is part of a name ("GPT Store"), and a Chinese question's Latin
    # words are names: neither is looked for by its translation.
    assert {t.folded: t for t in content_terms("Is the GPT Store worth it?", dictionary=dictionary)}["store"].forms == ()
    assert {t.folded: t for t in content_terms("OpenAI 推出 GPT Store 之后还有意义吗", dictionary=dictionary)}["store"].forms == ()
