"""The evaluation's vector store: seeded from the main index, each text embedded once, kept on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.core.settings import Settings
from eval.vector_cache import CachingEmbedder, VectorStore, seed_from_index
from ingest.build import build_params, run_ingest
from testing.fakes import HashEmbedder


def test_chunking_variant_embeds_only_its_new_chunks(fake_settings: Settings, tmp_path: Path) -> None:
    main = run_ingest(fake_settings, HashEmbedder, progress=False)
    store = VectorStore(tmp_path / "store")
    params = build_params(fake_settings)["embedder"]
    assert seed_from_index(store, fake_settings.index_dir, params) == len(store) > 0

    inner = HashEmbedder()
    variant = fake_settings.model_copy(update={"index_dir": tmp_path / "variant", "chunk_size": 100,
                                               "chunk_overlap": 20})
    report = run_ingest(variant, lambda: CachingEmbedder(inner, store), progress=False)
    # Every sentence vector came from the main index; only the new 100-character chunks were embedded.
    assert report.chunks > main.chunks and 0 < inner.texts_embedded <= report.chunks < report.embedded

    store.save()
    again = HashEmbedder()
    reloaded = VectorStore(tmp_path / "store")
    assert len(reloaded) == len(store)
    rerun = run_ingest(variant.model_copy(update={"index_dir": tmp_path / "v2"}),
                       lambda: CachingEmbedder(again, reloaded), progress=False)
    assert rerun.ok and again.texts_embedded == 0


def test_vectors_equal_a_fresh_embedding_and_other_embedders_do_not_seed(fake_settings: Settings,
                                                                         tmp_path: Path) -> None:
    run_ingest(fake_settings, HashEmbedder, progress=False)
    store = VectorStore(tmp_path / "store")
    assert seed_from_index(store, fake_settings.index_dir, {"backend": "other", "model": "x"}) == 0
    assert seed_from_index(store, tmp_path / "no-index", build_params(fake_settings)["embedder"]) == 0
    cached = CachingEmbedder(HashEmbedder(), store)
    texts = ["客户转向了大厂", "客户转向了大厂", "试用合同只有三十万元"]
    np.testing.assert_allclose(cached.embed_batch(texts, "passage"), HashEmbedder().embed_batch(texts, "passage"))
    assert cached.embedded == 2  # the repeated text once
    cached.embed_batch(texts, "query")
    assert cached.embedded == 4  # query vectors are kept apart from passage vectors


def test_unreadable_store_starts_empty(tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text("{oops", encoding="utf-8")
    assert len(VectorStore(tmp_path)) == 0


def test_an_empty_store_is_kept_and_saved(tmp_path: Path) -> None:
    # A fresh clone has no cached vectors yet: the empty store must still be the one written.
    store = VectorStore(tmp_path / "fresh")
    cached = CachingEmbedder(HashEmbedder(), store)
    assert cached.store is store
    cached.embed_batch(["客户转向了大厂"], "passage")
    store.save()
    assert len(VectorStore(tmp_path / "fresh")) == 1
