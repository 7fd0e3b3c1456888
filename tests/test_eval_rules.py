"""The answer-form rules (eval/answer_rules.py): noise and language/script, with positive and negative cases."""

from __future__ import annotations

import pytest

from eval.answer_rules import english_framed, language_match, noise_rate, noise_reason, script

CONTENT = [
    "客户在合同中加入了三年排他条款，导致签约一再推迟。[1]",
    "公司年初定下的业务目标是年收入1个亿。",
    "The customer added a three-year exclusivity clause, so the contract stalled.[2]",
    "试点期只有12周，客户更关心数据安全。[1][3]",
]


@pytest.mark.parametrize("sentence", CONTENT)
def test_content_sentences_are_not_noise(sentence: str) -> None:
    assert noise_reason(sentence) is None


@pytest.mark.parametrize(("sentence", "reason"), [
    ("## 项目复盘与经验教训", "markdown"),
    ("**结论**：客户更愿意一次性买断私有化部署。", "markdown"),
    ("- [ ] 产出知识产权分层方案并与客户确认", "markdown"),
    ("详见[这篇文章](http://example.com/a)里的分析内容。", "markdown"),
    ("![架构图](img/arch.png)", "markdown"),
    ("- 客户的法务和采购应在立项阶段就进入项目。", "markdown"),
    ("一、市场背景与客户画像分析概述。", "heading"),
    ("第三章 商业模式与定价策略的演变过程", "heading"),
    ("背景介绍。[1]", "fragment"),
    ("See above.", "fragment"),
    ("大模型落地的三个阶段与关键挑战分析", "title"),
    ("原因如下：", "fragment"),
    ("现阶段大模型厂商难以短期之内接过企业数智化的接力棒，原因如下：", "lead-in"),
    ("知识库、员工培训、文案编写、数据分析", "keywords"),
    ("难道客户真的只在乎价格而不在乎服务吗？", "question"),
    ("Why would a bank sign an exclusivity clause at all?", "question"),
])
def test_noise_rules_name_their_reason(sentence: str, reason: str) -> None:
    assert noise_reason(sentence) == reason


def test_labels_and_frames_are_structure_but_not_markdown() -> None:
    assert noise_reason("观点不一致：", "label") is None
    assert noise_reason("3 sources (in Chinese) give these reasons:", "frame") is None
    assert noise_reason("**观点不一致：**", "label") == "markdown"
    assert noise_reason("观点不一致：", "point") == "fragment"


def test_noise_rate_counts_content_sentences_and_noisy_structure() -> None:
    sentences = [("观点不一致：", "label"), (CONTENT[0], "lead"), ("## 标题", "point"), ("**x**", "frame")]
    # counted: the lead, the heading point, the Markdown frame; noisy: the latter two.
    assert noise_rate(sentences) == pytest.approx(2 / 3)
    assert noise_rate([("观点不一致：", "label")]) is None
    assert noise_rate([(CONTENT[1], "point")]) == 0.0


def test_script_uses_opencc_majority() -> None:
    assert script("大客戶更願意一次性買斷私有化部署") == "hant"
    assert script("大客户更愿意一次性买断私有化部署") == "hans"
    assert script("大模型") == "neutral" and script("no chinese") == "neutral"


def test_english_framing_counts_even_with_chinese_quotes() -> None:
    assert english_framed("3 sources (in Chinese) give these reasons:\n1. 客户转向了服务更成熟的大厂。[1]")
    assert english_framed("The sources do not mention GPT-4o.")
    assert not english_framed("客户转向了服务更成熟的大厂。[1] 这是 To B 的 SaaS 市场。")
    assert not english_framed("")


@pytest.mark.parametrize(("lang", "question", "answer", "ok"), [
    ("en", "Why did the customer leave?", "Two sources explain why:\n1. 客户转向了大厂。[1]", True),
    ("en", "Why did the customer leave?", "客户转向了服务更成熟的大厂。[1]", False),
    ("zh-Hant", "大客戶更願意怎樣付費？", "大客戶更願意一次性買斷私有化部署。[1]", True),
    ("zh-Hant", "大客戶更願意怎樣付費？", "大客户更愿意一次性买断私有化部署。[1]", False),
    ("zh-Hans", "大客户更愿意怎样付费？", "大客户更愿意一次性买断私有化部署。[1]", True),
    ("zh-Hans", "大客户更愿意怎样付费？", "大客戶更願意一次性買斷私有化部署。[1]", False),
    ("zh-Hans", "大客户更愿意怎样付费？", "Large customers prefer a one-off perpetual license.", False),
    ("", "What did large customers prefer?", "They preferred a one-off purchase, per the sources.", True),
    ("", "大客戶更願意怎樣付費？", "大客户更愿意一次性买断。", False),
])
def test_language_match(lang: str, question: str, answer: str, ok: bool) -> None:
    assert language_match(lang, question, answer) is ok
