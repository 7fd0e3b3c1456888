"""Health tells the truth, writes that cannot persist are 503, streams and clients are bounded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.index.factory import DenseOpener, open_faiss
from assistant.service.chat import ChatService
from assistant.service.db import conversations
from assistant.service.history import HistoryStore
from assistant.service.pipeline import IndexHolder, build_pipeline
from assistant.store import build_store
from hindsight.app import create_app
from ingest.build import run_ingest
from testing.fakes import HashEmbedder

QUESTION = "试用期客户不断提出新需求怎么办？"
KEY = "k" * 24


@pytest.fixture
def built(fake_settings: Settings) -> Settings:
    assert run_ingest(fake_settings, HashEmbedder, progress=False).published
    return fake_settings


def _point_current_at(settings: Settings, target: str) -> None:
    link = settings.index_dir / "current"
    tmp = settings.index_dir / "current.tmp"
    tmp.symlink_to(target)
    os.replace(tmp, link)


def test_health_forgets_a_broken_build_once_the_good_one_is_current_again(built: Settings) -> None:
    holder = IndexHolder(built, check_interval=0.0)
    good = os.readlink(built.index_dir / "current")
    holder.get()
    broken = built.index_dir / "builds" / "broken"
    broken.mkdir()
    _point_current_at(built, str(broken))
    holder.get()
    assert holder.error  # serving the old build, and saying why the new one is not used
    _point_current_at(built, good)
    holder.get()
    assert holder.error is None


def test_a_broken_current_build_is_not_reloaded_on_every_check(built: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    holder = IndexHolder(built, check_interval=0.0)
    holder.get()
    broken = built.index_dir / "builds" / "broken"
    broken.mkdir()
    _point_current_at(built, str(broken))
    loads: list[Path] = []
    real_load = build_store.load_index

    def counting(path: Path, open_dense: DenseOpener = open_faiss) -> object:
        loads.append(path)
        return real_load(path, open_dense)

    monkeypatch.setattr("assistant.service.pipeline.load_index", counting)
    for _ in range(5):
        holder.get()
    assert len(loads) == 1


def test_writes_to_a_deleted_database_are_503_and_health_says_so(built: Settings) -> None:
    with TestClient(create_app(built, pipeline=build_pipeline(built))) as client:
        assert client.post("/api/feedback", json={"rating": 1}).status_code == 201
        db = Path(built.sqlalchemy_url.removeprefix("sqlite:///"))
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            path.unlink(missing_ok=True)
        response = client.post("/api/feedback", json={"rating": 1})
        assert response.status_code == 503 and "database" in response.json()["detail"]
        assert client.post("/api/chat", json={"question": QUESTION}).status_code == 503
        health = client.get("/healthz")
        assert health.status_code == 503 and "database" in health.json()["reason"]


def test_healthz_is_ok_when_index_and_database_are(built: Settings) -> None:
    with TestClient(create_app(built, pipeline=build_pipeline(built))) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["reason"] is None


def test_a_cancelled_stream_leaves_no_empty_conversation(built: Settings) -> None:
    store = HistoryStore(built.sqlalchemy_url)
    events = ChatService(build_pipeline(built), store).ask_stream(QUESTION)
    meta = next(events)
    assert meta.event == "meta" and meta.data["conversation_id"]
    events.close()  # the browser went away
    assert store.count(conversations) == 0
    finished = list(ChatService(build_pipeline(built), store).ask_stream(QUESTION))
    assert finished[-1].event == "final" and store.count(conversations) == 1


@pytest.fixture
def capped(built: Settings) -> Iterator[TestClient]:
    settings = built.model_copy(update={"max_new_conversations_per_minute": 3})
    with TestClient(create_app(settings, pipeline=build_pipeline(settings))) as client:
        yield client


def test_new_conversations_per_client_are_capped_with_429(capped: TestClient) -> None:
    ids = [capped.post("/api/chat", json={"question": QUESTION}).json()["conversation_id"] for _ in range(3)]
    refused = capped.post("/api/chat", json={"question": QUESTION})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "conversations" in refused.json()["detail"]
    stream = capped.post("/api/chat/stream", json={"question": QUESTION})
    assert stream.status_code == 429
    follow_up = capped.post("/api/chat", json={"question": "还有呢？", "conversation_id": ids[0]})
    assert follow_up.status_code == 200  # continuing a conversation is never capped
    assert len(capped.get("/api/conversations").json()) == 3


def test_the_cap_window_slides(built: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.surfaces import limits

    now = [1000.0]
    monkeypatch.setattr(limits.time, "monotonic", lambda: now[0])
    limiter = limits.ConversationLimiter(per_minute=2)
    assert limiter.allow("a") is None and limiter.allow("a") is None and limiter.allow("a") is not None
    assert limiter.allow("b") is None  # clients are counted apart
    now[0] += 61
    assert limiter.allow("a") is None


def test_docs_and_schema_follow_the_api_key_setting(built: Settings) -> None:
    locked = built.model_copy(update={"api_keys": [KEY]})
    with TestClient(create_app(locked, pipeline=build_pipeline(locked))) as client:
        assert client.get("/openapi.json").status_code == 401
        assert client.get("/docs", follow_redirects=False).status_code == 303
        assert client.get("/redoc", follow_redirects=False).status_code == 303
        authed = {"Authorization": f"Bearer {KEY}"}
        assert client.get("/openapi.json", headers=authed).status_code == 200
        assert client.get("/docs", headers=authed).status_code == 200
    with TestClient(create_app(built, pipeline=build_pipeline(built))) as client:
        assert client.get("/openapi.json").status_code == 200 and client.get("/docs").status_code == 200


def test_without_keys_a_made_up_credential_does_not_escape_the_cap(capped: TestClient) -> None:
    statuses = [capped.post("/api/chat", json={"question": QUESTION}, headers={"Authorization": f"Bearer x{i}"})
                .status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_with_keys_each_key_has_its_own_cap(built: Settings) -> None:
    keys = ["a" * 20, "b" * 20]
    settings = built.model_copy(update={"max_new_conversations_per_minute": 1, "api_keys": keys})
    with TestClient(create_app(settings, pipeline=build_pipeline(settings))) as client:
        def ask(key: str) -> int:
            return client.post("/api/chat", json={"question": QUESTION},
                               headers={"Authorization": f"Bearer {key}"}).status_code
        assert [ask(keys[0]), ask(keys[0]), ask(keys[1])] == [200, 429, 200]


def test_an_unchanged_ingest_drops_a_killed_runs_staging(built: Settings) -> None:
    staging = built.index_dir / "builds" / ".tmp-killed"
    staging.mkdir()
    (staging / "vectors.npy").write_bytes(b"partial")
    report = run_ingest(built, HashEmbedder, progress=False)
    assert report.unchanged and not report.published
    assert not staging.exists()
