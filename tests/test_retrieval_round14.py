"""Round 14: a question in Taiwan phrasing is read as the mainland sources write it, by every
ranker and by the answerability check (docs/retrieval.md, round 14)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np

from assistant.answer.answerability import content_terms
from assistant.core.settings import Settings
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import HybridRetriever
from assistant.store.build_store import LoadedIndex
from assistant.text import regional_edits
from testing.fakes import HashEmbedder


class _Words:
    def __init__(self, vocabulary: set[str]) -> None:
        self.vocabulary = vocabulary

    def known(self, token: str) -> bool:
        return token in self.vocabulary


class _Recorder(HashEmbedder):
    """The fake embedder, remembering the query texts it was asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text: str) -> np.ndarray:
        self.queries.append(text)
        return super().embed_query(text)


def _retriever(vocabulary: set[str]) -> tuple[HybridRetriever, _Recorder]:
    index = cast(LoadedIndex, SimpleNamespace(words=_Words(vocabulary), lexical=_Words(set())))
    embedder = _Recorder()
    return HybridRetriever(index, embedder, Settings(), Glossary(), None), embedder


def test_a_regional_edit_replaces_only_the_changed_characters_of_a_word() -> None:
    # OpenCC's mainland phrase for 軟體產品 is one jieba word (软件产品); the word itself becomes 软件
    assert ("软体", "软件产品", "软件") in regional_edits("一個軟體產品要幾年")
    assert regional_edits("試用期結束後客戶為什麼轉投大廠？") == []


def test_the_query_embedding_reads_the_mainland_word_the_sources_use() -> None:
    retriever, embedder = _retriever({"项目", "银行", "智能", "审核"})
    retriever.prepare("銀行專案為什麼停滯？", {})
    assert "项目" in embedder.queries[-1] and "专案" not in embedder.queries[-1]
    # a word known only as its parts (智能 + 审核) still counts as the sources' word
    retriever.prepare("信貸智慧稽核準確率多少", {})
    assert "智能审核" in embedder.queries[-1]


def test_a_regional_word_the_sources_use_themselves_is_left_alone() -> None:
    retriever, embedder = _retriever({"项目", "专案", "银行"})
    retriever.prepare("銀行專案為什麼停滯？", {})
    assert "专案" in embedder.queries[-1] and retriever.regional_terms("銀行專案為什麼停滯？") == []


def test_each_word_of_a_regional_phrase_may_be_found_as_the_whole_mainland_phrase() -> None:
    terms = {t.folded: t for t in content_terms("智慧財產權 分層方案")}
    assert "知识产权" in terms["智慧"].matches and "知识产权" in terms["财产权"].matches
