"""Faults: ingest killed mid-run, corrupt or missing index, SQLite writers killed or racing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.service.db import feedback
from assistant.service.history import HistoryStore
from assistant.store.build_store import load_index
from hindsight.app import create_app
from ingest.build import run_ingest
from testing.fakes import HashEmbedder

REPO = Path(__file__).resolve().parent.parent

# A child `hindsight ingest` whose embedder (or build writer) stalls after touching a signal file,
# so the parent can SIGKILL it at a known point: mid-embedding or with the staging dir written.
INGEST_CHILD = """
import pathlib, sys, time
from assistant.embed.embedder import EMBEDDERS
from testing.fakes import HashEmbedder
signal_file, phase = pathlib.Path(sys.argv[1]), sys.argv[2]

class Slow(HashEmbedder):
    def embed_batch(self, texts, kind):
        if phase == "embed":
            signal_file.touch()
            time.sleep(0.2)
        return super().embed_batch(texts, kind)

EMBEDDERS["slow"] = lambda settings: Slow()
if phase == "write":
    import assistant.store.build_writer as writer
    original = writer.write_build
    def stalled(staging, parts, manifest):
        original(staging, parts, manifest)
        signal_file.touch()
        time.sleep(600)
    writer.write_build = stalled
from hindsight.cli import main
sys.exit(main(["ingest", "--quiet"]))
"""


def _child_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HINDSIGHT_CORPUS_DIR": str(settings.corpus_dir),
           "HINDSIGHT_INDEX_DIR": str(settings.index_dir), "HINDSIGHT_DATA_DIR": str(settings.data_dir)}
    return {**env, **extra}


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else proc.returncode
        assert time.monotonic() < deadline, "child never reached the kill point"
        time.sleep(0.05)


@pytest.mark.parametrize("phase", ["embed", "write"])
def test_ingest_killed_mid_run_keeps_the_previous_index(fake_settings: Settings, tmp_path: Path, phase: str) -> None:
    first = run_ingest(fake_settings, HashEmbedder, progress=False)
    assert first.published
    (fake_settings.corpus_dir / "articles" / "new.md").write_text("# 新文章\n\n交付经验：先小范围试点。\n" * 30)
    signal_file = tmp_path / "reached"
    env = _child_env(fake_settings, HINDSIGHT_EMBEDDER="slow", HINDSIGHT_EMBED_BATCH_SIZE="1")
    proc = subprocess.Popen([sys.executable, "-c", INGEST_CHILD, str(signal_file), phase],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(signal_file, proc)
        if phase == "write":
            assert list((fake_settings.index_dir / "builds").glob(".tmp-*")), "staging should exist"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    serving = load_index(fake_settings.index_dir)
    assert serving.build_id == first.build_id and "articles-new" not in serving.documents
    # The lock died with the process; the next ingest completes and cleans the staging leftovers.
    second = run_ingest(fake_settings, HashEmbedder, progress=False)
    assert second.published and second.build_id != first.build_id
    assert "articles-new" in load_index(fake_settings.index_dir).documents
    assert not list((fake_settings.index_dir / "builds").glob(".tmp-*"))


def _truncate_chunks(build: Path) -> str:
    data = (build / "chunks.jsonl").read_bytes()
    (build / "chunks.jsonl").write_bytes(data[: len(data) // 2])
    return "corrupt index"


def _delete_faiss(build: Path) -> str:
    (build / "dense.faiss").unlink()
    return "corrupt index"


def _garbage_manifest(build: Path) -> str:
    (build / "manifest.json").write_bytes(b"\x00garbage{")
    return "unreadable manifest"


def _drop_rows(build: Path) -> str:
    lines = (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (build / "chunks.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")
    return "inconsistent index"


def _delete_build(build: Path) -> str:
    for path in sorted(build.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    build.rmdir()
    return "no index"


@pytest.mark.parametrize("damage", [_truncate_chunks, _delete_faiss, _garbage_manifest, _drop_rows, _delete_build])
def test_corrupt_index_starts_degraded_with_a_reason(fake_settings: Settings, damage: object) -> None:
    assert run_ingest(fake_settings, HashEmbedder, progress=False).published
    build = (fake_settings.index_dir / "current").resolve()
    expected = damage(build)  # type: ignore[operator]
    _assert_degraded(fake_settings, expected)


def test_missing_index_directory_starts_degraded(fake_settings: Settings) -> None:
    assert not fake_settings.index_dir.exists()
    _assert_degraded(fake_settings, "hindsight ingest")


def _assert_degraded(settings: Settings, expected: str) -> None:
    with TestClient(create_app(settings)) as client:  # the server starts instead of crashing
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["status"] == "degraded" and expected in health.json()["reason"]
        for method, path, body in [("POST", "/api/search", {"question": "试用期"}),
                                   ("POST", "/api/chat", {"question": "试用期"}),
                                   ("GET", "/api/documents", None),
                                   ("GET", "/api/documents/trial-conversion", None)]:
            response = client.request(method, path, json=body)
            assert response.status_code == 503, (path, response.text)
            assert "index unavailable" in response.json()["detail"], path
        stream = client.post("/api/chat/stream", json={"question": "试用期"})
        assert "event: error" in stream.text and "index" in stream.text.lower()
        assert client.post("/api/feedback", json={"rating": 1}).status_code == 201  # the rest still works


FEEDBACK_WRITER = """
import sys
from assistant.service.history import HistoryStore
store = HistoryStore(sys.argv[1])
for i in range(int(sys.argv[2])):
    row = store.add_feedback(rating=1, comment=f"{sys.argv[3]}-{i}", question="q", answer="a")
    print(row, flush=True)
"""


def _writer(url: str, rows: int, tag: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", FEEDBACK_WRITER, url, str(rows), tag], cwd=cwd,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_concurrent_feedback_writers_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'h.sqlite3'}"
    procs = [_writer(url, 150, f"w{n}", tmp_path) for n in range(4)]  # all create the schema at once
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
    store = HistoryStore(url)
    comments = {row["comment"] for row in store.list_feedback()}
    assert len(comments) == 600 == store.count(feedback)


def test_sqlite_survives_kill_9_of_a_writer(tmp_path: Path) -> None:
    db = tmp_path / "data" / "h.sqlite3"
    proc = _writer(f"sqlite:///{db}", 100_000, "killed", tmp_path)
    acknowledged = []
    try:
        assert proc.stdout is not None
        while len(acknowledged) < 200:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else "writer died"
            acknowledged.append(int(line))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = HistoryStore(f"sqlite:///{db}")
    stored = {row["id"] for row in store.list_feedback()}
    assert set(acknowledged) <= stored  # every committed row survived
    assert store.add_feedback(rating=-1, question="after", answer="kill") > max(acknowledged)


class _OtherEmbedder(HashEmbedder):
    """Same dimension, another model: its cosines against the build's vectors mean nothing."""

    name = "fake:another-model"


def test_a_build_of_another_embedder_is_refused_with_the_fix(fake_settings: Settings) -> None:
    from assistant.embed.embedder import EMBEDDERS

    assert run_ingest(fake_settings, HashEmbedder, progress=False).published
    EMBEDDERS["other"] = lambda settings: _OtherEmbedder()
    try:
        with TestClient(create_app(fake_settings.model_copy(update={"embedder": "other"}))) as client:
            health = client.get("/healthz")
            assert health.status_code == 503 and "fake:another-model" in health.json()["reason"]
            for path in ("/api/search", "/api/chat"):
                response = client.post(path, json={"question": "试用期"})
                assert response.status_code == 503 and "run `hindsight ingest`" in response.json()["detail"]
            assert client.get("/api/documents").status_code == 200  # the sources stay readable
    finally:
        del EMBEDDERS["other"]
    with TestClient(create_app(fake_settings)) as client:  # the embedder that built it serves it
        assert client.get("/healthz").status_code == 200
        assert client.post("/api/search", json={"question": "试用期"}).status_code == 200
