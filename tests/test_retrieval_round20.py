"""Round 20 (docs/retrieval.md): a question asking what to do lifts our postmortems' lessons and
action items (Settings.advice_section_boost), as a question naming a kind of source lifts that kind."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace
from typing import cast

from assistant.core.settings import Settings
from assistant.core.types import Chunk, Hit
from assistant.retrieve.glossary import Glossary
from assistant.retrieve.retriever import HybridRetriever
from assistant.store.build_store import LoadedIndex
from testing.fakes import HashEmbedder


def _hit(doc_id: str, section: str, doc_type: str, score: float) -> Hit:
    return Hit(Chunk(f"{doc_id}#{section}", doc_id, "正文", 0, 2, section, "", None, {"doc_type": doc_type}), score)


def _retriever(settings: Settings) -> HybridRetriever:
    return HybridRetriever(cast(LoadedIndex, SimpleNamespace()), HashEmbedder(), settings, Glossary(), None)


def test_lessons_and_action_items_are_lifted_not_filtered() -> None:
    hits = [_hit("pm", "根因", "postmortem", 1.0), _hit("pm", "教训", "postmortem", 0.9),
            _hit("article", "教训", "article", 0.95), _hit("pm", "行动项", "postmortem", 0.5)]
    lifted = _retriever(Settings())._prefer_advice([replace(h) for h in hits])
    # 0.9 × 1.2 > 1.0; an article's heading named 教训 is no postmortem section; nothing is dropped
    assert [(h.chunk.doc_id, h.chunk.section) for h in lifted] == [
        ("pm", "教训"), ("pm", "根因"), ("article", "教训"), ("pm", "行动项")]
    off = _retriever(Settings(advice_section_boost=0.0))._prefer_advice([replace(h) for h in hits])
    assert [h.score for h in off] == [h.score for h in hits]
