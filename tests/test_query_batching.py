"""Micro-batched query embeddings: same vectors as unbatched, concurrent queries share a call."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.embed.embedder import BatchingEmbedder, Kind, create_embedder, create_query_embedder
from testing.fakes import HashEmbedder


class Failing(HashEmbedder):
    def embed_batch(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        raise RuntimeError("model crashed")


def test_concurrent_queries_share_model_calls_and_get_their_own_vectors() -> None:
    inner = HashEmbedder()
    batching = BatchingEmbedder(inner, wait_ms=50)
    texts = [f"试用期问题 {i}" for i in range(8)]
    results: dict[str, np.ndarray] = {}
    start = threading.Barrier(len(texts))

    def ask(text: str) -> None:
        start.wait()
        results[text] = batching.embed_query(text)

    threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for text in texts:
        assert np.allclose(results[text], inner.embed_batch([text], "query")[0])
    assert sum(batching.batch_sizes) == len(texts) and max(batching.batch_sizes) > 1


def test_passages_bypass_the_batcher_and_errors_reach_the_caller() -> None:
    batching = BatchingEmbedder(HashEmbedder(), wait_ms=1)
    assert batching.embed_passages(["甲", "乙"]).shape == (2, HashEmbedder.dim)
    assert batching.batch_sizes == []
    with pytest.raises(RuntimeError, match="model crashed"):
        BatchingEmbedder(Failing(), wait_ms=1).embed_query("x")


def test_serving_batches_by_default_and_can_be_turned_off() -> None:
    assert isinstance(create_query_embedder(Settings(embedder="fake")), BatchingEmbedder)
    assert isinstance(create_query_embedder(Settings(embedder="fake", query_batching=False)), HashEmbedder)
    assert isinstance(create_embedder(Settings(embedder="fake")), HashEmbedder)  # ingest: no batcher


def test_without_a_wait_a_lone_query_is_embedded_at_once_and_cached() -> None:
    batching = BatchingEmbedder(HashEmbedder(), wait_ms=0)
    first = batching.embed_query("试用期")
    assert np.array_equal(batching.embed_query("试用期"), first) and batching.batch_sizes == [1]
