"""Round 14: a span a curated question quotes is as near the user's question as that question is
(curated.asked_closeness), which the choice of quotes reads at ASKED_WEIGHT (select._with_asked);
related passages show distinct sentences."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np
import pytest

from assistant.answer.curated import asked_closeness
from assistant.answer.related import related_sources
from assistant.answer.select import ASKED_WEIGHT, _with_asked
from assistant.answer.units import EvidenceUnit
from assistant.core.types import Chunk, ChunkQuestion, Hit, Sentence
from assistant.index.indexes import Query
from assistant.store.build_store import LoadedIndex
from assistant.text import fold_compact


def _index(rows: list[tuple[str, str, list[float]]]) -> LoadedIndex:
    """A build with curated questions (doc id, quote, vector) and nothing else the code reads."""
    questions = [ChunkQuestion(f"{doc}#0", f"Q{i}", quote, "zh-Hans") for i, (doc, quote, _) in enumerate(rows)]
    of_doc: dict[str, list[int]] = {}
    for i, (doc, _, _) in enumerate(rows):
        of_doc.setdefault(doc, []).append(i)
    return cast(LoadedIndex, SimpleNamespace(
        questions=questions, question_vectors=np.array([v for _, _, v in rows]),
        folded_quotes=[fold_compact(q) for _, q, _ in rows], questions_of_doc=of_doc))


def _unit(doc_id: str, text: str) -> EvidenceUnit:
    return EvidenceUnit(0, 0, doc_id, 0, len(text), text, "")


QUESTION = np.array([1.0, 0.0])
INDEX = _index([
    ("a", "很多客户的数据还停留在纸质单据和 Excel 表格里。", [0.95, 0.312]),  # near the user's question
    ("a", "没有数据基础，再好的模型也无法落地。", [0.2, 0.98]),               # far from it
])


def test_a_span_is_as_near_as_the_nearest_curated_question_quoting_it() -> None:
    texts = ["很多客户的数据还停留在纸质单据和Excel表格里。", "没有数据基础，再好的模型也无法落地。", "别的句子。"]
    closeness = asked_closeness(texts, [[0, 1]] * 3, QUESTION, INDEX)
    # spaces aside, the quote is found; a quote only its own rows may claim
    assert closeness.tolist() == pytest.approx([0.95, 0.2, -1.0])
    assert asked_closeness(texts, [[1], [1], [1]], QUESTION, INDEX).tolist() == pytest.approx([-1.0, 0.2, -1.0])


def test_a_quoted_unit_moves_part_of_the_way_up_and_never_down() -> None:
    units = [_unit("a", "很多客户的数据还停留在纸质单据和 Excel 表格里。"), _unit("a", "没有数据基础，再好的模型也无法落地。"),
             _unit("b", "很多客户的数据还停留在纸质单据和 Excel 表格里。")]  # document b has no curated questions
    cosines = np.array([0.85, 0.9, 0.85])
    raised = _with_asked(cosines, units, QUESTION, INDEX)
    assert raised.tolist() == pytest.approx([0.85 + ASKED_WEIGHT * 0.1, 0.9, 0.85])


def test_related_passages_never_show_one_sentence_twice() -> None:
    # Overlapping chunks of one document share a sentence: the second shows its next best one, and a
    # passage with nothing new to show is skipped.
    text = "甲方案。乙方案。丙方案。"
    sentences = [Sentence("d", 0, 4), Sentence("d", 4, 8), Sentence("d", 8, 12)]
    index = cast(LoadedIndex, SimpleNamespace(
        sentences=sentences, sentence_vectors=np.array([[0.6, 0.8], [1.0, 0.0], [0.8, 0.6]]),
        documents={"d": SimpleNamespace(text=text)}, questions_of_chunk={}, question_vectors=None))

    def hit(chunk_id: str, ids: tuple[int, ...]) -> Hit:
        start, end = sentences[ids[0]].start, sentences[ids[-1]].end
        return Hit(Chunk(chunk_id, "d", text[start:end], start, end, "", "", None, sentence_ids=ids), 1.0)

    query = Query("问", [], np.array([1.0, 0.0]))
    related = related_sources(query, [hit("d#0", (0, 1)), hit("d#1", (1, 2)), hit("d#2", (1,)), hit("d#3", (0,))],
                              index, 3)
    assert [(c.n, c.hit.chunk.chunk_id, c.snippet) for c in related] == [
        (1, "d#0", "乙方案。"), (2, "d#1", "丙方案。"), (3, "d#3", "甲方案。")]
