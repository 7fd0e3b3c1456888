"""Round 14: a question in Taiwan phrasing is read as the mainland sources write it, by every
ranker and by the answerability check (docs/retrieval.md, round 14)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np

from assistant.answer.answerability import _guessed_across_grammar, content_terms
from assistant.core.settings import Settings
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import HybridRetriever
from assistant.store.build_store import LoadedIndex
from assistant.text import heading_path_at, regional_edits
from ingest.chunker import sections
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


def test_a_count_or_a_typed_question_word_is_no_subject() -> None:
    # round-14 trial: "资料中没有提到一单。" and 干嘛 named as a missing subject
    shown = [t.shown for t in content_terms("发布会后上千家公司找上门，最后一单都没成，这些人到底是来干嘛的？")]
    assert "干嘛" not in shown and "发布会" in shown
    assert _guessed_across_grammar("一单") and _guessed_across_grammar("两店") and _guessed_across_grammar("每单")
    # a name jieba makes up that starts with a numeral still counts
    assert not _guessed_across_grammar("千问") and not _guessed_across_grammar("智谱")


ARTICLE = """# 落地实践

## 3. 反思

反思三：早期市场策略

b. 资源管理策略

资源要集中在头部客户。

反思四：谁会成为主力军？

b. B端客户既有信息化业务的壁垒（B端业务从信息化到数智化的重构是个长期的过程）

最了解B端客户的还是做信息化的这批人。
"""


def test_a_label_reads_the_headings_chunking_does_not_split_at() -> None:
    # round-14 trial: a quote under 反思四 was labelled "3. 反思 › b. 资源管理策略"
    chunked = {s.path for s in sections(ARTICLE)}
    assert "落地实践 > 3. 反思 > b. 资源管理策略" in chunked  # chunking: as before
    quote = ARTICLE.index("最了解")
    assert heading_path_at(ARTICLE, quote) == (
        "落地实践 > 3. 反思 > 反思四：谁会成为主力军？ > "
        "b. B端客户既有信息化业务的壁垒（B端业务从信息化到数智化的重构是个长期的过程）")
    assert heading_path_at(ARTICLE, ARTICLE.index("资源要集中")) == "落地实践 > 3. 反思 > 反思三：早期市场策略 > b. 资源管理策略"
    assert heading_path_at(ARTICLE, 0) == ""
