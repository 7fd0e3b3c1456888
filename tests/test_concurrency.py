"""Re-indexing under load: every response comes wholly from the old or wholly from the new build."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.core.settings import Settings
from assistant.store.build_store import load_index
from hindsight.app import create_app
from ingest.build import run_ingest
from testing.fakes import HashEmbedder
from testing.live_server import serve_in_thread

TOKEN = "zqxmarker"
QUESTION = f"{TOKEN} 标记 文档 说了什么"


def _marker(corpus: Path, name: str) -> None:
    (corpus / "articles" / f"{name}.md").write_text(
        f"---\nid: {name}\ntitle: {name}\n---\n\n# {name}\n\n{TOKEN} 是标记文档 {name} 的唯一标记。"
        f"{TOKEN} 用于检查重建索引时每个回答只来自一个版本。\n", encoding="utf-8")


@pytest.fixture
def settings(fake_settings: Settings) -> Settings:
    """Fake embedder, and no answerability model, so chat answers always cite something to check."""
    # Every hammered chat starts a conversation; the per-client cap is not what this test is about.
    return fake_settings.model_copy(update={"answerability_file": fake_settings.index_dir / "no-model.json",
                                            "max_new_conversations_per_minute": 0})


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 over an index containing marker-a."""
    _marker(settings.corpus_dir, "marker-a")
    assert run_ingest(settings, HashEmbedder, progress=False).published
    with serve_in_thread(create_app(settings)) as url:
        yield url


def _hammer(base: str, stop: threading.Event, results: list[tuple[str, int, str, list[str]]]) -> None:
    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set():
            search = http.post("/api/search", json={"question": QUESTION, "k": 5})
            docs = [h["doc_id"] for h in search.json()] if search.status_code == 200 else []
            results.append(("search", search.status_code, search.headers.get("x-index-build", ""), docs))
            chat = http.post("/api/chat", json={"question": QUESTION})
            body: dict[str, Any] = chat.json() if chat.status_code == 200 else {}
            cited = [c["doc_id"] for c in body.get("citations", [])]
            results.append(("chat", chat.status_code, body.get("trace", {}).get("build_id", ""), cited))


def test_reindex_under_load_never_mixes_builds(server: str, settings: Settings) -> None:
    old = load_index(settings.index_dir)
    results: list[tuple[str, int, str, list[str]]] = []
    stop = threading.Event()
    workers = [threading.Thread(target=_hammer, args=(server, stop, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    try:
        _wait_until(lambda: len(results) >= 20)
        (settings.corpus_dir / "articles" / "marker-a.md").unlink()
        _marker(settings.corpus_dir, "marker-b")
        report = run_ingest(settings, HashEmbedder, progress=False)
        assert report.published and report.build_id != old.build_id
        new = load_index(settings.index_dir)
        _wait_until(lambda: sum(r[2] == new.build_id for r in results) >= 20)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=60)
    docs_of = {old.build_id: set(old.documents), new.build_id: set(new.documents)}
    assert "marker-b" not in docs_of[old.build_id] and "marker-a" not in docs_of[new.build_id]
    for kind, status, build, doc_ids in results:
        assert status == 200, (kind, status)
        assert build in docs_of, (kind, build)
        assert set(doc_ids) <= docs_of[build], (kind, build, doc_ids)  # nothing from the other build
    searches = [r for r in results if r[0] == "search"]
    assert all(r[3] and r[3][0] in {"marker-a", "marker-b"} for r in searches)  # the marker ranks first
    chats = [r for r in results if r[0] == "chat"]
    assert all({"marker-a", "marker-b"} & set(r[3]) for r in chats)  # answers cite the marker
    seen = {r[2] for r in results}
    assert seen == set(docs_of), seen  # both builds really answered during the run


def _wait_until(condition: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
