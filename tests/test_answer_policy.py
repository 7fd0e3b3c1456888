"""One answering policy: asking for an answerer that cannot be built is an error, never a silent swap."""

from __future__ import annotations

import pytest

from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.llm_answerer import AnswererUnavailable
from assistant.core.settings import Settings
from assistant.service.pipeline import build_pipeline
from testing.fakes import HashEmbedder


def test_llm_answerer_without_an_llm_is_an_error(fake_settings: Settings) -> None:
    with pytest.raises(AnswererUnavailable, match="HINDSIGHT_LLM_BASE_URL"):
        build_pipeline(fake_settings, embedder=HashEmbedder(), answerer="llm")


def test_default_answerer_without_an_llm_is_extractive(fake_settings: Settings) -> None:
    pipeline = build_pipeline(fake_settings, embedder=HashEmbedder())
    assert isinstance(pipeline.answerer, ExtractiveAnswerer)
