"""The typed records' own behaviour."""

from __future__ import annotations

from assistant.core.types import Chunk, Citation, Hit


def test_citation_snippet_reads_without_markdown() -> None:
    # The LLM answerer cites whole passages, so its snippet defaults to the passage: it showed
    # "- [ ] **试用合同**…" verbatim in every surface's Sources block.
    text = "- [ ] **试用合同**增加范围条款 —— 销售 —— 2024-11-15\n- [ ] 每周发送周报"
    citation = Citation(1, Hit(Chunk("d#0", "d", text, 0, len(text), "行动项", "复盘", None), 1.0))
    assert citation.snippet == "试用合同增加范围条款 —— 销售 —— 2024-11-15 · 每周发送周报"
    assert citation.to_json()["text"] == text  # the cited passage itself stays verbatim
