"""Chinese-aware chunking: headings give sections, sentences are never cut unless too long."""

from __future__ import annotations

from llama_index.core.schema import Document, TextNode

from assistant.text import split_sentences
from ingest.chunker import ChineseChunker, pack_spans, sections

TEXT = """# 标题

## 背景

第一句话在这里。第二句话也在这里！第三句话呢？

## 经过

1. 概况

经过的第一句。经过的第二句；
"""


def _chunks(text: str, size: int = 20, overlap: int = 8) -> list[TextNode]:
    return ChineseChunker(chunk_size=size, chunk_overlap=overlap).chunk_document(Document(id_="d", text=text))


def test_sections_follow_markdown_and_numbered_headings() -> None:
    paths = [s.path for s in sections(TEXT)]
    assert paths == ["标题 > 背景", "标题 > 经过 > 1. 概况"]


def test_every_chunk_is_a_verbatim_span_of_the_document() -> None:
    for node in _chunks(TEXT):
        assert TEXT[node.start_char_idx : node.end_char_idx] == node.text
        assert node.node_id.startswith("d#")


def test_no_sentence_is_cut_when_it_fits() -> None:
    sentences = {TEXT[s:e] for s, e in split_sentences(TEXT)}
    for node in _chunks(TEXT):
        for start, end in node.metadata["sentences"]:
            assert TEXT[start:end] in sentences


def test_chunks_respect_size_and_overlap_with_whole_sentences() -> None:
    nodes = _chunks(TEXT, size=20, overlap=10)
    assert all(len(n.text) <= 20 for n in nodes)
    background = [n for n in nodes if n.metadata["section"] == "标题 > 背景"]
    assert len(background) >= 2
    # Overlap: the next chunk starts with the previous chunk's last sentence when it fits.
    assert background[1].metadata["sentences"][0] == background[0].metadata["sentences"][-1]


def test_a_sentence_longer_than_the_limit_is_cut_preferably_at_a_comma() -> None:
    text = "甲" * 15 + "，" + "乙" * 15 + "。"
    pieces = pack_spans(text, [(0, len(text))], size=20, overlap=0)
    flat = [p for group in pieces for p in group]
    assert text[flat[0][0] : flat[0][1]] == "甲" * 15 + "，"
    assert "".join(text[s:e] for s, e in flat) == text


def test_chunks_never_cross_sections_and_leave_headings_to_metadata() -> None:
    nodes = _chunks(TEXT, size=200, overlap=0)
    assert [n.text for n in nodes] == ["第一句话在这里。第二句话也在这里！第三句话呢？", "经过的第一句。经过的第二句；"]
