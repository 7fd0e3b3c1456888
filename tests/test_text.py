"""Normalisation, sentence spans and tokenisers on Chinese text."""

from __future__ import annotations

from assistant.text import bigram_tokens, normalize, plain_passage, split_sentences, tokenize


def test_normalize_folds_traditional_and_full_width() -> None:
    assert normalize("大模型沒過“試用期”ＧＰＴ－４") == "大模型没过“试用期”gpt-4"


def test_sentences_end_at_chinese_punctuation_and_keep_closing_quotes() -> None:
    text = "客户需求蔓延，最终放弃；他说：“好的！”然后走了。\n下一行没有句号"
    got = [text[s:e] for s, e in split_sentences(text)]
    assert got == ["客户需求蔓延，最终放弃；", "他说：“好的！”", "然后走了。", "下一行没有句号"]


def test_sentence_spans_are_verbatim_and_trimmed() -> None:
    text = "  第一句。  \n\n 第二句！"
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["第一句。", "第二句！"]


def test_ascii_full_stop_needs_following_space_so_decimals_survive() -> None:
    text = "Version 3.5 is out. Next sentence"
    assert [text[s:e] for s, e in split_sentences(text)] == ["Version 3.5 is out.", "Next sentence"]


def test_lone_punctuation_lines_are_not_sentences() -> None:
    assert split_sentences("”\n，\n。") == []


def test_bigrams_cover_cjk_runs_and_ascii_words() -> None:
    assert bigram_tokens("试用期 gpt-4o") == ["试用", "用期", "gpt-4o"]
    assert bigram_tokens("我") == ["我"]


def test_traditional_and_simplified_questions_tokenize_alike() -> None:
    assert tokenize("試用期結束", "bigram") == tokenize("试用期结束", "bigram")
    assert set(tokenize("試用期結束", "jieba")) == set(tokenize("试用期结束", "jieba"))


def test_fold_chars_folds_each_character_and_keeps_offsets() -> None:
    from assistant.text import fold_chars

    text = "醫療客戶 POC 怎麼辦？"
    assert fold_chars(text) == "医疗客户 poc 怎么办?" and len(fold_chars(text)) == len(text)


def test_plain_passage_drops_markdown_marks_and_keeps_items_apart() -> None:
    text = "## 行动项\n- [ ] **试用合同**增加范围条款 —— 销售 —— 2024-11-15\n- [x] 见[模板](https://x.y/t)\n\n1. 周报\\*2"
    assert plain_passage(text) == "行动项 · 试用合同增加范围条款 —— 销售 —— 2024-11-15 · 见模板 · 周报*2"
    assert plain_passage("第一段，\n第二段。") == "第一段， 第二段。"  # a paragraph break is a space
