"""FAISS index type by size: auto resolution, approximate kinds, filters, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.index.indexes import DenseIndex, DenseSpec, Query


def unit_vectors(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_auto_is_flat_up_to_the_threshold_then_the_large_kind() -> None:
    spec = DenseSpec(kind="auto", flat_max=1000, large="hnsw")
    assert spec.resolve(1000) == "flat"
    assert spec.resolve(1001) == "hnsw"
    assert DenseSpec(kind="ivfpq", flat_max=10**9).resolve(5) == "ivfpq"


def test_spec_from_settings_reads_the_faiss_block() -> None:
    s = Settings(faiss_index="auto", faiss_flat_max=10, faiss_large_index="hnsw", faiss_hnsw_ef_search=200)
    spec = DenseSpec.from_settings(s)
    assert (spec.kind, spec.flat_max, spec.large, spec.ef_search) == ("auto", 10, "hnsw", 200)


def test_unknown_kind_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown FAISS index kind"):
        DenseIndex.build(unit_vectors(10), DenseSpec(kind="annoy"))


@pytest.mark.parametrize("spec", [
    DenseSpec(kind="hnsw", ef_search=64),
    DenseSpec(kind="ivfpq", refine=10),
])
def test_approximate_kinds_round_trip_and_find_the_vector_itself(spec: DenseSpec, tmp_path: Path) -> None:
    vectors = unit_vectors(2000)
    DenseIndex.build(vectors, spec).save(tmp_path)
    loaded = DenseIndex.load(tmp_path)
    assert loaded.kind == spec.kind and len(loaded) == 2000
    assert loaded.refine == (spec.refine if spec.kind == "ivfpq" else 0)
    for row in (3, 777, 1999):
        top = loaded.search(Query("", [], vectors[row]), 5)
        assert top[0][0] == row and top[0][1] == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivfpq"])
def test_filtered_search_returns_only_allowed_rows(kind: str) -> None:
    vectors = unit_vectors(800, seed=1)
    index = DenseIndex.build(vectors, DenseSpec(kind=kind, nprobe=1000))
    allowed = np.arange(0, 800, 7)
    ranked = index.search(Query("", [], vectors[700]), 10, allowed)
    assert ranked and {r for r, _ in ranked} <= set(allowed.tolist())
    assert ranked[0][0] == 700


def test_build_dir_without_dense_json_loads_as_flat(tmp_path: Path) -> None:
    """Builds written before dense.json existed still load (as the Flat they are)."""
    vectors = unit_vectors(50)
    DenseIndex.build(vectors).save(tmp_path)
    (tmp_path / DenseIndex.META).unlink()
    loaded = DenseIndex.load(tmp_path)
    assert loaded.kind == "flat" and loaded.search(Query("", [], vectors[7]), 1)[0][0] == 7
