"""Chinese-aware chunking: follow headings, pack whole sentences, keep every span.

llama-index's SentenceSplitter does not treat 。！？ as sentence ends, so this NodeParser
replaces it. A chunk never crosses a section and never cuts a sentence unless that sentence
alone is longer than chunk_size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, Document, NodeRelationship, TextNode
from pydantic import Field

from assistant.text import heading, heading_path, split_sentences

SOFT_BREAKS = "，,、：:"


@dataclass(frozen=True)
class Section:
    path: str
    start: int
    end: int


def sections(text: str) -> list[Section]:
    """Split text at headings; each section knows its heading path (h1 > h2 > …)."""
    stack: list[tuple[int, str]] = []
    found: list[Section] = []
    start, pos = 0, 0
    for line in text.splitlines(keepends=True):
        level, title = heading(line.strip())
        if level:
            found.append(Section(heading_path(stack), start, pos))
            stack = [(lv, t) for lv, t in stack if lv < level] + [(level, title)]
            start = pos + len(line)
        pos += len(line)
    found.append(Section(heading_path(stack), start, len(text)))
    return [s for s in found if text[s.start : s.end].strip()]


def pack_spans(
    text: str, spans: Sequence[tuple[int, int]], size: int, overlap: int
) -> list[list[tuple[int, int]]]:
    """Group consecutive sentence spans into chunks of at most `size` characters with overlap."""
    pieces = [p for s in spans for p in _cut_long(text, s, size)]
    chunks: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for piece in pieces:
        if current and piece[1] - current[0][0] > size:
            chunks.append(current)
            current = _tail(current, overlap, size - (piece[1] - piece[0]))
        current.append(piece)
    if current:
        chunks.append(current)
    return chunks


def _tail(sentences: list[tuple[int, int]], overlap: int, room: int) -> list[tuple[int, int]]:
    """Trailing sentences of a chunk that fit in the overlap budget and the room left."""
    budget = min(overlap, room)
    tail: list[tuple[int, int]] = []
    for span in reversed(sentences):
        if sentences[-1][1] - span[0] > budget:
            break
        tail.insert(0, span)
    return tail


def _cut_long(text: str, span: tuple[int, int], size: int) -> list[tuple[int, int]]:
    """A sentence longer than size is cut, preferably after a comma; others pass whole."""
    start, end = span
    pieces = []
    while end - start > size:
        window = text[start : start + size]
        cut = max(window.rfind(ch) for ch in SOFT_BREAKS)
        stop = start + (cut + 1 if cut > size // 2 else size)
        pieces.append((start, stop))
        start = stop
    pieces.append((start, end))
    return pieces


class ChineseChunker(NodeParser):
    """NodeParser producing TextNodes with char spans, section paths and sentence spans."""

    chunk_size: int = Field(default=600, gt=0)
    chunk_overlap: int = Field(default=120, ge=0)

    def _parse_nodes(
        self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any
    ) -> list[BaseNode]:
        out: list[BaseNode] = []
        for node in nodes:
            out.extend(self.chunk_document(node))  # type: ignore[arg-type]
        return out

    def chunk_document(self, doc: Document) -> list[TextNode]:
        """The chunks of one document, in order, ids `<doc_id>#<n>`."""
        text = doc.text
        nodes: list[TextNode] = []
        for section in sections(text):
            spans = split_sentences(text, section.start, section.end)
            for group in pack_spans(text, spans, self.chunk_size, self.chunk_overlap):
                start, end = group[0][0], group[-1][1]
                node = TextNode(
                    id_=f"{doc.doc_id}#{len(nodes)}",
                    text=text[start:end],
                    start_char_idx=start,
                    end_char_idx=end,
                    metadata={"section": section.path, "sentences": [list(s) for s in group]},
                    excluded_embed_metadata_keys=["sentences"],
                    excluded_llm_metadata_keys=["sentences"],
                )
                node.relationships[NodeRelationship.SOURCE] = doc.as_related_node_info()
                nodes.append(node)
        return nodes
