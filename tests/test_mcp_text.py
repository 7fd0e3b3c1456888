"""What an MCP chat client shows its user for a search: readable passages, not markdown source."""

from __future__ import annotations

from assistant.surfaces.mcp_server import Passage, SearchResult, search_text


def test_search_text_shows_passages_without_markdown_marks() -> None:
    raw = "- [ ] **试用合同**增加范围条款 —— 销售 —— 2024-11-15\n- [ ] 每周发送周报"
    passage = Passage(rank=1, chunk_id="d#0", doc_id="d", title="复盘", section="行动项", url=None,
                      link="http://x/sources/d?start=0&end=9", text=raw, score=1.0)
    shown = search_text(SearchResult(query="试用合同", passages=[passage]))
    assert "试用合同增加范围条款 —— 销售 —— 2024-11-15 · 每周发送周报" in shown
    assert "[ ]" not in shown and "**" not in shown
