"""Smoke tests of the bench code paths on tiny sizes: behaviour only, never timings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from assistant.core.settings import Settings
from assistant.text import tokenize
from bench import ingest_bench, load, query_latency, scale
from bench.common import bench_env, pct, questions, server, summary, table


def test_table_and_percentiles() -> None:
    assert pct([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert summary([])["n"] == 0 and np.isnan(summary([])["p50"])
    text = table(["a", "b"], [["x", 0.1234], ["y", 1234.5]])
    assert text.splitlines()[0] == "| a | b |" and "| x | 0.123 |" in text and "1,234" in text


def test_questions_are_the_eval_questions() -> None:
    qs = questions(5)
    assert len(qs) == 5 and all(isinstance(q, str) and q for q in qs)


@pytest.fixture(scope="module")
def base(real_settings: Settings) -> scale.Base:
    return scale.load_base(real_settings.index_dir)


def test_synthetic_vectors_are_unit_deterministic_and_near_real_ones(base: scale.Base) -> None:
    a = scale.synth_vectors(base.vectors, 500, seed=3, block=128)
    assert a.shape == (500, base.vectors.shape[1]) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(a, scale.synth_vectors(base.vectors, 500, seed=3, block=128))
    nearest = (a @ base.vectors.T).max(axis=1)
    assert nearest.mean() > 0.8  # derived from real vectors, not uniform noise (~0 cosine)


def test_synthetic_documents_recombine_real_sentence_tokens(base: scale.Base) -> None:
    docs = scale.synth_token_ids(base, 50, seed=1)
    assert len(docs) == 50 and all(docs)
    assert max(max(d) for d in docs) < len(base.vocab)
    sentence_lengths = {len(t) for t in base.sentence_tokens}
    assert min(len(d) for d in docs) >= 3 * min(sentence_lengths)


def test_dense_rows_report_exact_flat_and_recall_for_approximate(base: scale.Base) -> None:
    vectors = scale.synth_vectors(base.vectors, 1500)
    queries = scale.synth_vectors(base.vectors, 8, seed=9)
    rows = scale.dense_rows(vectors, queries, ["flat", "hnsw"])
    assert [r["kind"] for r in rows] == ["flat", "hnsw"]
    assert rows[0]["recall"] == 1.0 and 0.0 < rows[1]["recall"] <= 1.0
    assert rows[0]["bytes_per_chunk"] >= 4 * vectors.shape[1]  # float32 per dimension
    assert all(r["latency"]["n"] == 8 for r in rows)
    assert "recall@10 vs Flat" in scale.render(rows)


def test_pgvector_rows_measure_recall_against_flat_and_drop_their_table(
    base: scale.Base, pgvector_url: str
) -> None:
    from assistant.index.pgvector import PgVectorStore

    vectors = scale.synth_vectors(base.vectors, 400)
    queries = vectors[:5] + 0.01
    truth = scale._exact(vectors, queries, 10)
    rows = scale.pgvector_rows(vectors, queries, truth, pgvector_url, ef_searches=(10, 400))
    assert [r["kind"] for r in rows] == ["pgvector hnsw, ef_search=10", "pgvector hnsw, ef_search=400"]
    assert rows[1]["recall"] == 1.0 and rows[0]["bytes_per_chunk"] > 1536
    store = PgVectorStore(pgvector_url)
    assert "bench-400" not in store.builds()
    store.close()


def test_bm25_row_builds_mmap_index_from_token_ids(base: scale.Base) -> None:
    row = scale.bm25_row(base, 300, [tokenize("试用期 客户", "bigram")])
    assert row["n"] == 300 and row["bytes_per_chunk"] > 0 and row["latency"]["n"] == 1


def test_in_process_latency_has_every_stage(real_settings: Settings) -> None:
    stages = query_latency.in_process(real_settings.index_dir, questions(4))
    assert set(stages["search"]) >= {"normalize_ms", "embed_ms", "faiss_ms", "bm25_ms", "fusion_ms", "total_ms"}
    assert "answer_ms" in stages["ask"] and len(stages["ask"]["total_ms"]) == 2


def test_load_and_http_latency_against_a_real_server(real_settings: Settings, tmp_path: Path) -> None:
    env = bench_env(real_settings.index_dir, tmp_path / "data")
    with server(env) as url:
        result = asyncio.run(load.run_load(url, clients=3, workers=1, requests=9, seconds=60))
        http = query_latency.over_http(url, questions(4))
    assert len(result.latencies_ms) == 9 and result.errors == 0 and result.throughput > 0
    assert len(http["/api/search"]) == 2 and len(http["/api/chat"]) == 2
    assert result.sent == 9
    embed = {"embed_ms": 40.0, "cores": 2, "limit_rps": 50.0}
    rendered = load.render({"load": [result], "embed": embed, "healthz": {
        "ingest_s": 1.0, "polls": 3, "errors": 0, "latency": summary([1.0, 2.0]), "max_ms": 2.0,
        "builds_seen": 2}})
    assert "| 1 | 3 | 9 | 0 |" in rendered
    assert f"| 40.0 | 50.0 | {result.throughput / 50:.2f} |" in rendered  # every row beside the bound


def test_embed_bound_is_cores_over_one_query_embedding(real_settings: Settings) -> None:
    bound = load.embed_bound(real_settings.index_dir, n=3)
    assert bound["embed_ms"] > 0 and bound["limit_rps"] == bound["cores"] * 1000 / bound["embed_ms"]


def test_ingest_bench_scenarios_on_a_tiny_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "src" / "articles"
    corpus.mkdir(parents=True)
    (corpus / "a.md").write_text("---\nid: a\ntitle: 试用期\n---\n\n客户没有准备好数据。试用期因此失败。\n")
    (corpus / "b.md").write_text("---\nid: b\ntitle: 定价\n---\n\n标准化产品更容易定价。\n")
    result = ingest_bench.measure(tmp_path / "run", corpus=corpus.parent, repeats=1)
    cold, unchanged, changed = result["rows"]
    assert [row[1] for row in result["rows"]] == [2, 2, 2]  # documents
    assert cold[3] > 0 and unchanged[3] == 0 and 0 < changed[3] < cold[3] + 10
    assert changed[2] > cold[2] and result["unchanged_seconds"] > 0
    assert (tmp_path / "run" / "index" / "current").exists()
