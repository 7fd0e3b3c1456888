"""Round 15's user trial (docs/trial-round15.md): a question that names an article by its author or
source ("光子星球讲试用期的那篇文章") lifts that article's passages, and the name, which only the front
matter holds, is not read as a subject the sources lack."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

from assistant.answer.answerability import _subject_terms, content_terms
from assistant.core.settings import Settings
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import NAMED_LIFT, HybridRetriever, named_documents
from assistant.store.build_store import LoadedIndex, byline_names, load_index
from ingest.build import run_ingest
from testing.fakes import HashEmbedder
from tests.conftest import make_settings

BYLINES = {"a": ("光子星球", "utechfun.com"), "b": ("人人都是产品经理", "alter聊科技")}


def test_a_byline_splits_into_the_names_it_holds() -> None:
    meta = {"author": "吳坤諺", "source": "光子星球（转载于 utechfun.com）"}
    assert byline_names(meta) == ("吴坤谚", "光子星球", "utechfun.com")
    assert byline_names({"author": "顾青云", "source": "人人都是产品经理（来源公众号：Alter聊科技）"}) == (
        "顾青云", "人人都是产品经理", "alter聊科技")
    assert byline_names({"author": None, "source": "null"}) == ()


def test_only_a_whole_name_names_a_document() -> None:
    assert named_documents("光子星球那篇讲试用期的文章说了什么？", BYLINES) == {"a"}
    # a word of a name is no name: 产品经理 is a subject, not the source 人人都是产品经理
    assert named_documents("产品经理在试用期该做什么？", BYLINES) == frozenset()
    assert named_documents("What did the utechfun.com piece say?", BYLINES) == {"a"}


def test_a_named_source_is_no_missing_subject() -> None:
    question = "光子星球那篇文章里，试用期为什么丢单？"
    index = cast(LoadedIndex, SimpleNamespace(byline_names=BYLINES))
    kept = {t.folded for t in _subject_terms(content_terms(question), question, index)}
    assert {"光子", "星球"} <= {t.folded for t in content_terms(question)}  # jieba cuts the name
    assert {"光子", "星球"}.isdisjoint(kept) and {"试用期", "丢单"} <= kept


def test_the_named_articles_passages_are_lifted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, embedder="fake")
    article = settings.corpus_dir / "articles" / "pricing-trad.md"
    article.write_text(article.read_text(encoding="utf-8").replace("source: 測試夾具", "source: 光子星球"), encoding="utf-8")
    assert run_ingest(settings, HashEmbedder, progress=False).ok
    retriever = HybridRetriever(load_index(settings.index_dir), HashEmbedder(), Settings(), Glossary(), None)
    plain, named = "试用期的合同金额是多少？", "光子星球那篇：试用期的合同金额是多少？"
    before = {h.chunk.chunk_id: h.score for h in retriever.search(retriever.prepare(plain, {}), 20)}
    lifted = retriever._prefer_named(named, [h for h in retriever.search(retriever.prepare(plain, {}), 20)])
    boost = 1 + NAMED_LIFT
    for hit in lifted:
        expected = before[hit.chunk.chunk_id] * (boost if hit.chunk.doc_id == "pricing-trad" else 1)
        assert abs(hit.score - expected) < 1e-9
    assert any(h.chunk.doc_id == "pricing-trad" for h in lifted)
