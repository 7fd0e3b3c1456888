"""History and feedback on a real PostgreSQL (Debian's packages) via the SQLAlchemy URL switch."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.service.db import conversations, feedback, messages
from assistant.service.history import HistoryStore
from assistant.service.pipeline import Pipeline
from hindsight.app import create_app
from testing.optional import installed, require

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "start-postgres.sh"

require(installed("psycopg"), "psycopg not installed (pip install '.[test]')")


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL on 127.0.0.1, stopped and removed after the module."""
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=120)
    require(proc.returncode != 3, "PostgreSQL binaries absent: apt-get install -y postgresql")
    assert proc.returncode == 0, proc.stderr
    directory, url = proc.stdout.split()[-2:]
    try:
        yield url
    finally:
        subprocess.run(["bash", str(SCRIPT), "--stop", directory], timeout=60, check=False)


def test_history_store_round_trip_on_postgres(pg_url: str) -> None:
    store = HistoryStore(pg_url)
    assert store.engine.dialect.name == "postgresql"
    cid = store.create_conversation("试用期为什么失败", source="slack")
    store.add_message(cid, "user", "试用期为什么失败？")
    mid = store.add_message(cid, "assistant", "因为客户没准备好[1]。", answer={"answer": "x", "citations": []})
    assert store.history(cid) == [
        {"role": "user", "content": "试用期为什么失败？"},
        {"role": "assistant", "content": "因为客户没准备好[1]。"},
    ]
    fid = store.add_feedback(message_id=mid, conversation_id=cid, rating=-1, comment="不够具体",
                             question="q", answer="a", citations_json=[{"n": 1}], config_json={"k": 5})
    row = next(f for f in store.list_feedback() if f["id"] == fid)
    assert row["citations"] == [{"n": 1}] and row["config"] == {"k": 5} and row["rating"] == -1
    conv = store.get_conversation(cid)
    assert conv is not None and conv["source"] == "slack" and len(conv["messages"]) == 2
    assert conv["messages"][1]["answer"] == {"answer": "x", "citations": []}
    assert store.count(conversations) >= 1 and store.count(messages) >= 2 and store.count(feedback) >= 1
    store.engine.dispose()


def test_second_store_on_same_database_sees_the_data(pg_url: str) -> None:
    """Two replicas share conversations through the database, not through process memory."""
    first, second = HistoryStore(pg_url), HistoryStore(pg_url)
    cid = first.create_conversation("shared")
    first.add_message(cid, "user", "hello")
    assert second.conversation_exists(cid)
    assert second.history(cid) == [{"role": "user", "content": "hello"}]
    first.engine.dispose()
    second.engine.dispose()


def test_api_chat_and_feedback_persist_in_postgres(
    pg_url: str, real_settings: Settings, real_pipeline: Pipeline
) -> None:
    settings = real_settings.model_copy(update={"database_url": pg_url})
    with TestClient(create_app(settings, pipeline=real_pipeline)) as client:
        reply = client.post("/api/chat", json={"question": "试用期项目为什么会失败？"})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        saved = client.get(f"/api/conversations/{body['conversation_id']}").json()
        assert [m["role"] for m in saved["messages"]] == ["user", "assistant"]
        vote = client.post("/api/feedback", json={
            "rating": 1, "message_id": body["message_id"], "conversation_id": body["conversation_id"],
            "question": "试用期项目为什么会失败？", "answer": body["answer"],
        })
        assert vote.status_code == 201, vote.text
    store = HistoryStore(pg_url)
    assert any(f["message_id"] == body["message_id"] for f in store.list_feedback())
    store.engine.dispose()
