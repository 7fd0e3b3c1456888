"""Round 21 (docs/answers.md): "how come" asks why; a why-answer whose lead names no cause may quote
its document's other passages; a yes-no question about now is led by the account's latest state; a
word jieba made up across two of the corpus's words is no missing subject."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np

from assistant.answer.analysis import analyse, asks_latest
from assistant.answer.answerability import _guessed_across_words
from assistant.answer.extractive import _answering_headings, _quoting
from assistant.answer.select import MARGIN, NEIGHBOUR_SPAN, NEW_SOURCE_MARGIN, Scored, select
from assistant.answer.units import EvidenceUnit
from assistant.core.types import Chunk, Hit
from assistant.store.build_store import LoadedIndex


def _scored(text: str, doc: str, rank: int, start: int, relevance: float, axis: int, section: str = "正文",
            asked: tuple[str, ...] = ()) -> Scored:
    unit = EvidenceUnit(axis, rank, doc, start, start + len(text), text, section)
    return Scored(unit, relevance, relevance, np.eye(8, dtype=np.float32)[axis], cover=0.5, asked=asked)


def test_how_come_before_an_outcome_gone_wrong_asks_why() -> None:
    assert analyse("超市补货那个POC，原计划10月底上线，怎么拖到1月才上、晚了整整12周？").qtype == "why"
    assert analyse("这个项目怎么变成了无底洞？").qtype == "why"
    assert analyse("怎么避免试点项目一拖再拖？").qtype == "how"  # what to do stays how


def _outcome_and_reflection(lead_text: str) -> tuple[Scored, Scored, Scored]:
    lead = _scored(lead_text, "article", 0, 400, 0.92, 0)
    # the same document's reflections, a passage further on: under NEW_SOURCE_MARGIN, within MARGIN
    reflection = _scored("最终，在一系列“二八法则”的连续作用之下，转化率为0也在情理之中。", "article", 1,
                         400 + 2 * NEIGHBOUR_SPAN, 0.92 - (NEW_SOURCE_MARGIN + MARGIN) / 2, 1)
    elsewhere = _scored("网红式的带货方式，并不适合今天的To B市场。", "other", 2, 0, 0.92 - (NEW_SOURCE_MARGIN + MARGIN) / 2, 2)
    return lead, reflection, elsewhere


def test_a_why_lead_naming_no_cause_lets_its_document_explain() -> None:
    question = "发布会后近千家企业主动找上门，为什么到年底转化率几乎是0？"
    lead, reflection, elsewhere = _outcome_and_reflection("近千家企业找上门，然而截至11月底，最终的转化率几乎为0。")
    chosen = select([lead, reflection, elsewhere], analyse(question), 5, 0.7)
    assert chosen[0] is lead and reflection in chosen
    assert elsewhere not in chosen  # another document still needs NEW_SOURCE_MARGIN
    # a lead that names a cause needs no more: the other passage keeps its margin
    lead, reflection, elsewhere = _outcome_and_reflection("转化率几乎为0，原因在于看热闹的多，愿意掏钱的少。")
    assert reflection not in select([lead, reflection, elsewhere], analyse(question), 5, 0.7)


def test_a_yes_no_question_about_now_is_led_by_the_accounts_latest_state() -> None:
    question = "城商行信贷审核那单，正式合同到现在签下来了吗？"
    assert asks_latest(question, "yesno") and not asks_latest("正式合同签下来了吗？", "yesno")
    asked = ("合同", "正式合同")
    start = _scored("2024 年 3 月，双方只签了保密协议，约定一期达标后再签正式合同。", "pm", 0, 100, 0.90, 0, "背景", asked)
    now = _scored("截至 11 月底合同仍未签署，一期费用也未结算。", "pm", 0, 380, 0.90 - MARGIN / 2, 1, "经过", asked)
    assert select([start, now], analyse(question), 5, 0.7)[0] is now
    # an article's dates tell no story in order: its best unit leads
    start_a = _scored(start.unit.text, "article", 0, 100, 0.90, 0, "正文", asked)
    now_a = _scored(now.unit.text, "article", 0, 380, 0.90 - MARGIN / 2, 1, "正文", asked)
    assert select([start_a, now_a], analyse(question), 5, 0.7)[0] is start_a


def _lexicon(*pairs: str) -> LoadedIndex:
    return cast(LoadedIndex, SimpleNamespace(lexical=SimpleNamespace(known=lambda bigram: bigram in pairs)))


def test_a_word_made_up_across_two_known_words_is_no_missing_subject() -> None:
    index = _lexicon("网红", "带货", "式的", "的打", "打法")
    question = "作者觉得网红带货式的打法适合企业市场吗"
    assert _guessed_across_words("网红带", question, index)  # 网红 + 带货, cut as 网红带 / 货式
    assert _guessed_across_words("货式", question, index)
    # a name the corpus lacks has no known pair of characters across its edge
    assert not _guessed_across_words("智谱", "智谱的模型好用吗", _lexicon("的模", "模型", "好用"))
    assert not _guessed_across_words("网红带", "作者觉得网红带货式的打法", _lexicon("网红"))


def test_an_article_and_a_postmortem_named_side_by_side_are_asked_across() -> None:
    assert analyse("外部实践文章里线索层层筛选的漏斗，和我们复盘里被云厂商抢单的经历，能对应上吗？").across
    assert analyse("How does the article's funnel compare with the postmortem on the trial we lost?").across
    assert not analyse("文章里提到了哪些没成单的项目？").across  # one kind of source
    assert not analyse("维修助手复盘的根因是什么？").across


def test_a_passage_holding_words_the_question_quotes_is_never_set_aside() -> None:
    def hit(n: int, text: str) -> Hit:
        return Hit(Chunk(f"pm#{n}", "pm", text, 0, len(text), "教训", "复盘", None), 1.0)

    hits = [hit(0, "对新增需求说“可以，放进二期”，比说“先做个 Demo”更能保护交付。"), hit(1, "试用合同没有写明范围边界。")]
    assert _quoting(hits, "复盘为啥说应该改口“放进二期”？") == {0}
    assert _quoting(hits, "复盘为啥说应该改口「先做个Demo」不好？") == {0}  # white space aside
    assert _quoting(hits, "复盘为啥说应该放进二期？") == set()  # no quotation marks: the roles decide


def test_a_yes_no_question_about_now_keeps_the_postmortems_account_quotable() -> None:
    assert "经过" in _answering_headings(analyse("蜀川银行那份正式合同到现在签下来了吗？"))
    assert "经过" not in _answering_headings(analyse("蜀川银行那份正式合同签下来了吗？"))  # not asked about now
    assert "经过" not in _answering_headings(analyse("设备维修助手那次复盘最后定了哪些行动项？"))
