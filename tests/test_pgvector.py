"""The pgvector dense index against a real PostgreSQL: push at ingest, search, GC, failures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from assistant.core.settings import Settings
from assistant.index.factory import dense_opener
from assistant.index.indexes import Query
from assistant.index.pgvector import PgVectorIndex, PgVectorStore, table_name
from assistant.service.pipeline import build_pipeline
from assistant.store.build_store import BUILDS, IndexUnavailable, current_build, load_index
from assistant.store.build_writer import KEEP_BUILDS
from hindsight.app import create_app
from ingest.build import IngestError, IngestReport, run_ingest
from ingest.push import chunk_meta
from testing.fakes import HashEmbedder


@pytest.fixture
def pg_settings(fake_settings: Settings, pgvector_url: str) -> Settings:
    return fake_settings.model_copy(update={"vector_store": "pgvector", "pgvector_url": pgvector_url})


def ingest(settings: Settings) -> IngestReport:
    return run_ingest(settings, HashEmbedder, progress=False)


def stored_rows(url: str, build_id: str) -> list[tuple[int, str, np.ndarray, dict[str, object]]]:
    store = PgVectorStore(url)
    with store.connection() as conn:
        rows = conn.execute(f'SELECT row, doc_id, embedding, meta FROM "{table_name(build_id)}" ORDER BY row')
        result = [(r, d, e.to_numpy(), m) for r, d, e, m in rows]
    store.close()
    return result


def test_ingest_pushes_the_stored_vectors_with_their_metadata(pg_settings: Settings, pgvector_url: str) -> None:
    report = ingest(pg_settings)
    assert report.published and report.build_id
    ix = load_index(pg_settings.index_dir)
    rows = stored_rows(pgvector_url, report.build_id)
    assert [r[0] for r in rows] == list(range(len(ix.chunks)))
    assert np.array_equal(np.vstack([r[2] for r in rows]), np.asarray(ix.vectors))  # not re-embedded
    assert [r[1] for r in rows] == [c.doc_id for c in ix.chunks]
    assert [r[3] for r in rows] == [chunk_meta(c) for c in ix.chunks]
    assert any("tags" in r[3] for r in rows)


def test_pgvector_search_equals_faiss_flat_with_and_without_filters(pg_settings: Settings) -> None:
    ingest(pg_settings)
    faiss_ix = load_index(pg_settings.index_dir)
    pg_ix = load_index(pg_settings.index_dir, dense_opener(pg_settings))
    assert isinstance(pg_ix.dense, PgVectorIndex) and len(pg_ix.dense) == len(faiss_ix.chunks)
    rng = np.random.default_rng(1)
    allowed = np.array([i for i, c in enumerate(faiss_ix.chunks) if c.doc_id == "pricing-trad"])
    for row in rng.choice(len(faiss_ix.chunks), 5, replace=False):
        vector = faiss_ix.vectors[row] + 0.3 * faiss_ix.vectors[(row + 1) % len(faiss_ix.chunks)]
        query = Query("", [], (vector / np.linalg.norm(vector)).astype(np.float32))
        for subset in (None, allowed):
            expected = faiss_ix.dense.search(query, 10, subset)
            got = pg_ix.dense.search(query, 10, subset)
            assert [r for r, _ in got] == [r for r, _ in expected]
            assert np.allclose([s for _, s in got], [s for _, s in expected], atol=1e-5)
    assert set(r for r, _ in pg_ix.dense.search(query, 50, allowed)) <= set(allowed.tolist())


def test_old_builds_rows_are_dropped_with_the_build(pg_settings: Settings, pgvector_url: str) -> None:
    doc = next(pg_settings.corpus_dir.rglob("*.md"))
    ids = []
    for n in range(KEEP_BUILDS + 2):
        doc.write_text(doc.read_text(encoding="utf-8") + f"\n\n第{n}次修订：补充一句新的说明。\n", encoding="utf-8")
        report = ingest(pg_settings)
        assert report.published
        ids.append(report.build_id)
    on_disk = {p.name for p in (pg_settings.index_dir / BUILDS).iterdir()}
    store = PgVectorStore(pgvector_url)
    in_db = set(store.builds()) & set(ids)
    store.close()
    assert on_disk == in_db == set(ids[-KEEP_BUILDS:])


def test_switching_an_existing_faiss_index_to_pgvector_pushes_it_without_a_new_build(
    fake_settings: Settings, pg_settings: Settings
) -> None:
    first = ingest(fake_settings)
    assert first.published
    with pytest.raises(IndexUnavailable, match="no vectors in pgvector"):
        load_index(pg_settings.index_dir, dense_opener(pg_settings))
    again = ingest(pg_settings)
    assert not again.published and again.build_id == first.build_id
    loaded = load_index(pg_settings.index_dir, dense_opener(pg_settings))
    assert loaded.build_id == first.build_id and len(loaded.dense) == len(loaded.chunks)


def test_manifest_and_rows_agree_on_the_build(pg_settings: Settings) -> None:
    report = ingest(pg_settings)
    build = current_build(pg_settings.index_dir)
    assert build is not None
    assert json.loads((build / "manifest.json").read_text())["build_id"] == report.build_id
    assert load_index(pg_settings.index_dir, dense_opener(pg_settings)).dense.build_id == report.build_id  # type: ignore[attr-defined]


def test_pgvector_without_a_database_url_is_refused(fake_settings: Settings) -> None:
    with pytest.raises(ValidationError, match="needs HINDSIGHT_PGVECTOR_URL"):
        Settings(corpus_dir=fake_settings.corpus_dir, vector_store="pgvector")


def test_unreachable_database_makes_the_index_unavailable_with_the_reason(pg_settings: Settings) -> None:
    ingest(pg_settings)
    down = PgVectorStore("postgresql://hindsight@127.0.0.1:9/postgres", connect_timeout=1)
    with pytest.raises(IndexUnavailable, match="pgvector"):
        load_index(pg_settings.index_dir, lambda build, build_id: down.open(build_id))
    down.close()


def test_database_down_while_serving_is_a_503_with_the_reason(
    pg_settings: Settings, tmp_path: Path
) -> None:
    ingest(pg_settings)
    pipeline = build_pipeline(pg_settings, embedder=HashEmbedder())
    loaded = pipeline.holder.get()
    down = PgVectorStore("postgresql://hindsight@127.0.0.1:9/postgres", connect_timeout=1)
    loaded.dense = PgVectorIndex(down, loaded.build_id, len(loaded.chunks))  # the server went away
    settings = pg_settings.model_copy(update={"data_dir": tmp_path / "data"})
    with TestClient(create_app(settings, pipeline=pipeline)) as client:
        reply = client.post("/api/search", json={"question": "试用期为什么失败？", "mode": "dense"})
    assert reply.status_code == 503 and "pgvector" in reply.json()["detail"]


def test_ingest_with_the_database_down_publishes_nothing_and_says_why(pg_settings: Settings) -> None:
    first = ingest(pg_settings)
    doc = next(pg_settings.corpus_dir.rglob("*.md"))
    doc.write_text(doc.read_text(encoding="utf-8") + "\n\n新增一段。\n", encoding="utf-8")
    down = pg_settings.model_copy(update={"pgvector_url": "postgresql://hindsight@127.0.0.1:9/postgres"})
    with pytest.raises(IngestError, match="not published, pushing its vectors failed"):
        ingest(down)
    assert load_index(pg_settings.index_dir, dense_opener(pg_settings)).build_id == first.build_id
