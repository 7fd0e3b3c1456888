"""Questions each passage answers (corpus/questions/, doc2query): read, checked, attached to chunks,
carried in the build, and used by retrieval; a bad line is reported and skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.core.types import Chunk
from assistant.retrieve.retriever import HybridRetriever
from assistant.store.build_store import (
    QUESTION_VECTORS,
    IndexUnavailable,
    current_build,
    load_index,
)
from ingest.build import run_ingest, summary_line
from ingest.doc_questions import DocQuestion, attach, questions_digest, read_questions
from testing.fakes import HashEmbedder
from tests.conftest import make_settings

# What the trial-conversion fixture's "数据准备" section answers, worded as a user would: not one
# of these words ("底子", "数字化") is in the passage.
ASKED = "数字化底子太差，还能上吗？"
QUOTE = "很多客户的数据还停留在纸质单据和 Excel 表格里。"


def write_questions(corpus: Path, doc_id: str, rows: list[object]) -> Path:
    folder = corpus / "questions"
    folder.mkdir(exist_ok=True)
    path = folder / f"{doc_id}.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return path


def test_bad_lines_are_reported_with_their_number_and_the_rest_are_read(tmp_path: Path) -> None:
    write_questions(tmp_path, "doc-a", [
        {"question": "为什么丢单？", "quote": "客户转向了大厂", "lang": "zh-Hans"},
        "{not json",
        {"question": "Why?", "quote": "x", "lang": "fr"},
        {"question": "Why?", "quote": "客户", "lang": "en", "extra": 1},
        {"question": "  ", "quote": "客户", "lang": "en"},
    ])
    questions, problems = read_questions(tmp_path)
    assert questions == [DocQuestion("doc-a", "为什么丢单？", "客户转向了大厂", "zh-Hans")]
    assert [p["reason"].split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 5"]
    assert all(p["path"] == "questions/doc-a.jsonl" for p in problems)
    assert "fr" in problems[1]["reason"] and "keys" in problems[2]["reason"]


def test_a_quote_is_found_in_every_chunk_holding_it_whatever_the_script_and_spaces() -> None:
    chunks = [_chunk("d#0", "试用期结束后，客户转向了服务更成熟的大厂。"),
              _chunk("d#1", "客户转向了服务更成熟的大厂。团队复盘。"),
              _chunk("e#0", "客户转向了服务更成熟的大厂。")]
    questions = [DocQuestion("d", "他們為何流失？", "客戶轉向了 服務更成熟的大廠", "zh-Hant"),
                 DocQuestion("d", "缺了什么？", "这句话不在文档里", "zh-Hans"),
                 DocQuestion("gone", "Q1", "x", "en"), DocQuestion("gone", "Q2", "y", "en")]
    attached, problems = attach(questions, chunks)
    assert [(q.chunk_id, q.question) for q in attached] == [("d#0", "他們為何流失？"), ("d#1", "他們為何流失？")]
    assert [p["reason"].split(":")[0] for p in problems] == ["quote not in d", "no document 'gone' in the build; its questions are skipped"]


def _chunk(chunk_id: str, text: str) -> Chunk:
    return Chunk(chunk_id, chunk_id.split("#")[0], text, 0, len(text), "", "", None)


def test_the_digest_follows_the_files(tmp_path: Path) -> None:
    assert questions_digest(tmp_path) is None
    path = write_questions(tmp_path, "doc-a", [{"question": "Q", "quote": "quote", "lang": "en"}])
    first = questions_digest(tmp_path)
    path.write_text(path.read_text() + json.dumps({"question": "Q2", "quote": "quote", "lang": "en"}) + "\n")
    assert first is not None and questions_digest(tmp_path) not in (None, first)


def test_ingest_carries_the_questions_and_an_edit_embeds_only_what_is_new(fake_settings: Settings) -> None:
    corpus = fake_settings.corpus_dir
    path = write_questions(corpus, "trial-conversion", [
        {"question": ASKED, "quote": QUOTE, "lang": "zh-Hans"},
        {"question": "這句不在文中？", "quote": "文中沒有的一句話", "lang": "zh-Hant"},
    ])
    first = run_ingest(fake_settings, HashEmbedder, progress=False)
    assert first.published and [p["path"] for p in first.question_problems] == ["questions/trial-conversion.jsonl"]
    assert "1 question lines skipped" in summary_line(first)
    index = load_index(fake_settings.index_dir)
    assert [q.question for q in index.questions] == [ASKED]
    assert index.question_vectors is not None and index.question_vectors.shape == (1, 64)
    assert index.chunks[int(index.question_rows[0])].doc_id == "trial-conversion"
    assert not run_ingest(fake_settings, HashEmbedder, progress=False).published  # nothing changed

    path.write_text(path.read_text() + json.dumps({"question": "数据不全能上吗", "quote": QUOTE, "lang": "zh-Hans"},
                                                  ensure_ascii=False) + "\n", encoding="utf-8")
    again = run_ingest(fake_settings, HashEmbedder, progress=False)
    assert again.published and again.embedded == 1  # the edited file: one new question, no chunk re-embedded
    assert len(load_index(fake_settings.index_dir).questions) == 2

    shutil.rmtree(corpus / "questions")
    assert not run_ingest(fake_settings, HashEmbedder, progress=False).question_problems
    assert load_index(fake_settings.index_dir).questions == []


def test_a_question_worded_like_the_users_finds_its_passage(tmp_path: Path) -> None:
    # The fake embedder's cosines are bigram overlaps, so the question rankers weigh more here
    # than the real embedder needs; what is tested is that they find the passage at all.
    fake_settings = make_settings(tmp_path, embedder="fake", question_weight=2.0, question_bm25_weight=2.0)
    run_ingest(fake_settings, HashEmbedder, progress=False)
    index = load_index(fake_settings.index_dir)
    without = _top_chunk(index, fake_settings)
    write_questions(fake_settings.corpus_dir, "trial-conversion", [{"question": ASKED, "quote": QUOTE, "lang": "zh-Hans"}])
    run_ingest(fake_settings, HashEmbedder, progress=False)
    index = load_index(fake_settings.index_dir)
    assert QUOTE not in without and QUOTE in _top_chunk(index, fake_settings)
    off = fake_settings.model_copy(update={"question_weight": 0.0, "question_bm25_weight": 0.0})
    assert QUOTE not in _top_chunk(index, off)


def _top_chunk(index: object, settings: Settings) -> str:
    retriever = HybridRetriever(index, HashEmbedder(), settings)  # type: ignore[arg-type]
    return retriever.search(retriever.prepare(ASKED, {}), 3)[0].chunk.text


def test_a_build_whose_question_vectors_do_not_match_is_refused(fake_settings: Settings) -> None:
    write_questions(fake_settings.corpus_dir, "trial-conversion", [{"question": ASKED, "quote": QUOTE, "lang": "zh-Hans"}])
    run_ingest(fake_settings, HashEmbedder, progress=False)
    build = current_build(fake_settings.index_dir)
    assert build is not None
    np.save(build / QUESTION_VECTORS, np.zeros((3, 64), dtype=np.float32))
    with pytest.raises(IndexUnavailable, match="question vectors"):
        load_index(fake_settings.index_dir)
