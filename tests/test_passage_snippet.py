"""What a reader sees of a cited passage."""

from __future__ import annotations

from assistant.answer.compose import passage_snippet


def test_a_cited_passage_snippet_reads_without_markdown() -> None:
    # The LLM answerer cites whole passages, so its snippet is the passage: it showed
    # "- [ ] **试用合同**…" verbatim in every surface's Sources block.
    text = "- [ ] **试用合同**增加范围条款\n- [ ] 每周发送周报"
    assert passage_snippet(text) == "试用合同增加范围条款 · 每周发送周报"
    assert passage_snippet("很长的段落" * 30).endswith("…")
