"""Round 23 (docs/answers.md): a figure the question takes as given that the quoted sources never
state gets a note; so does a question asking for a figure that no quote states; a question asking
what something cost leads with a sum; "一篇……一篇……" asks across the sources."""

from __future__ import annotations

from assistant.answer.analysis import MONEY, analyse, figure
from assistant.answer.premise import figure_frame, unstated_frame
from assistant.text import normalize

BANK = "7 月初一期上线，要素抽取准确率 94%，单笔材料审核时间从平均 45 分钟降到 12 分钟，业务部门很满意。"
LOW = "为什么蜀川银行项目的要素抽取准确率只有62%？"


def test_a_figure_no_quoted_source_states_is_named_beside_the_one_quoted() -> None:
    note = figure_frame(analyse(LOW), [BANK], [normalize(BANK)])
    assert note is not None and note.kind == "frame" and not note.citations
    assert note.text == "注意：引用的资料里没有“62%”这个数字，说的是“要素抽取准确率 94%”。"
    traditional = figure_frame(analyse("為什麼蜀川銀行項目的要素抽取準確率只有62%？"), [BANK], [normalize(BANK)])
    assert traditional is not None and traditional.text.startswith("注意：引用的資料裡沒有“62%”")
    english = figure_frame(analyse("Why was the extraction accuracy of the 蜀川银行 project only 62%?"), [BANK],
                           [normalize(BANK)], ["准确率"])
    assert english is not None and english.text.startswith("Note: the sources quoted never give 62%")


def test_no_figure_note_when_a_source_states_it_or_the_question_supposes_it() -> None:
    other = "第 2 周原型上线，首轮准确率 62%。"
    assert figure_frame(analyse(LOW), [BANK], [normalize(BANK), normalize(other)]) is None  # a quoted source states it
    assert figure_frame(analyse("如果准确率只有62%，客户会接受吗？"), [BANK], [normalize(BANK)]) is None
    # the quoted figure measures something else: no contrast to draw
    assert figure_frame(analyse("为什么转化率只有3%？"), [BANK], [normalize(BANK)]) is None
    # "28 万" and "28万元" are one figure
    deal = "2024 年 6 月，我们与其信息部签订 12 周的试用合同，金额 28 万元。"
    assert figure_frame(analyse("华东集团的试用合同金额是28万吗？"), [deal], [normalize(deal)]) is None
    assert figure_frame(analyse("华东集团的试用合同金额是30万吗？"), [deal], [normalize(deal)]) is not None


def test_a_figure_asked_for_that_no_quote_states_is_said_to_be_missing() -> None:
    stores = "某华南连锁超市（化名“鲜达超市”）有 420 家门店。"
    note = unstated_frame(analyse("鲜达超市二期的合同金额是多少？"), [stores])
    assert note is not None and note.text.startswith("注意：引用的资料里没有给出所问的金额")
    english = unstated_frame(analyse("How much did the second phase cost?"), [stores])
    assert english is not None and english.text.startswith("Note: the passages quoted state no amount")
    assert unstated_frame(analyse("华东集团的试用合同多少钱？"), ["试用合同，金额 28 万元。"]) is None
    # "什么时候" may be answered by a stage, not a date; a calendar ask is not
    assert unstated_frame(analyse("客户的法务和采购应该什么时候介入项目比较好？"), ["应在立项阶段就进入项目。"]) is None
    assert unstated_frame(analyse("合同是哪天签的？"), ["应在立项阶段就进入项目。"]) is not None
    assert unstated_frame(analyse("为什么试用失败了？"), [stores]) is None  # asks for no figure
    # a why-question's figures are what it takes as given, not what it asks for
    assert unstated_frame(analyse("为什么报价从几百万跌到几万？"), [stores]) is None


def test_a_question_asking_what_something_cost_wants_a_sum() -> None:
    assert analyse("华东集团试用合同多少钱？").measure == MONEY
    assert analyse("How much was the 华东集团 trial contract worth?").measure == MONEY
    assert figure(MONEY).search("金额 28 万元") and figure(MONEY).search("试用合同只有三十万元")
    assert not figure(MONEY).search("有 11 个生产基地")


def test_one_article_set_against_another_is_asked_across_the_sources() -> None:
    assert analyse("混合雲架構：一篇當成趨勢，一篇當成負擔，怎麼回事？").across
    assert analyse("One article calls hybrid cloud a trend and the other a burden. Why?").across
    assert not analyse("这一篇文章讲了什么？").across
