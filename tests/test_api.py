"""The HTTP API through FastAPI's TestClient over the real fixture index."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from hindsight.app import create_app
from tests.conftest import make_settings

HIT_FIELDS = {"doc_id", "title", "url", "section", "text", "score", "start", "end"}
CITATION_FIELDS = {"n", "doc_id", "title", "url", "section", "text", "start", "end", "score"}


def test_healthz_reports_the_serving_build(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["index"]["documents"] == 3


def test_search_returns_hits_with_the_contract_fields(client: TestClient) -> None:
    hits = client.post("/api/search", json={"question": "排他条款", "k": 2}).json()
    assert len(hits) == 2 and set(hits[0]) >= HIT_FIELDS
    assert hits[0]["doc_id"] == "pm-bank-exclusivity"


def test_chat_answer_citations_are_verbatim_in_the_cited_document(client: TestClient) -> None:
    body = client.post("/api/chat", json={"question": "试用期结束后客户为什么转投大厂？"}).json()
    assert not body["abstained"] and body["citations"]
    for citation in body["citations"]:
        assert set(citation) >= CITATION_FIELDS
        doc = client.get(f"/api/documents/{citation['doc_id']}").json()
        assert doc["text"][citation["start"] : citation["end"]] == citation["text"]
        assert f"[{citation['n']}]" in body["answer"]
    assert body["conversation_id"] and body["message_id"]


def test_chat_keeps_conversation_history(client: TestClient) -> None:
    first = client.post("/api/chat", json={"question": "排他条款为什么会拖住合同？"}).json()
    cid = first["conversation_id"]
    client.post("/api/chat", json={"question": "那怎么避免？", "conversation_id": cid})
    convo = client.get(f"/api/conversations/{cid}").json()
    assert [m["role"] for m in convo["messages"]] == ["user", "assistant", "user", "assistant"]
    assert client.get("/api/conversations").json()[0]["id"] == cid
    missing = client.post("/api/chat", json={"question": "x问题", "conversation_id": "nope"})
    assert missing.status_code == 404


def test_bad_requests_get_422_with_a_reason(client: TestClient) -> None:
    for body in ({"question": ""}, {"question": "   "}, {"question": "问" * 1001}, {}, {"question": "x", "k": 0},
                 {"question": "x", "filters": {"colour": "red"}}, {"question": "x", "extra": 1}):
        response = client.post("/api/search", json=body)
        assert response.status_code == 422, body
        assert response.json()["detail"]
    assert "limit is 1000" in client.post("/api/chat", json={"question": "问" * 1001}).json()["detail"][0]["msg"]


def test_documents_404_and_no_path_traversal(client: TestClient) -> None:
    assert client.get("/api/documents/nope").status_code == 404
    assert client.get("/api/documents/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)
    listed = client.get("/api/documents").json()
    assert {d["doc_id"] for d in listed} == {"trial-conversion", "pricing-trad", "pm-bank-exclusivity"}


def _events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_sends_meta_deltas_then_final(client: TestClient) -> None:
    response = client.post("/api/chat/stream", json={"question": "试用期结束后客户为什么转投大厂？"})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    names = [name for name, _ in events]
    assert names[0] == "meta" and names[-1] == "final" and set(names[1:-1]) == {"delta"}
    final = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == final["answer"]
    assert final["citations"] and final["conversation_id"] == events[0][1]["conversation_id"]


def test_stream_reports_errors_as_an_event(client: TestClient) -> None:
    events = _events(client.post("/api/chat/stream", json={"question": "问题", "conversation_id": "nope"}).text)
    assert events[-1][0] == "error" and "not found" in events[-1][1]["detail"]


def test_feedback_round_trip_json_and_csv(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"question": "排他条款"}).json()
    created = client.post("/api/feedback", json={
        "rating": -1, "comment": "引用不对", "message_id": answer["message_id"],
        "conversation_id": answer["conversation_id"], "question": "排他条款", "answer": answer["answer"],
        "citations": answer["citations"], "config": {"answerer": answer["answerer"]},
    })
    assert created.status_code == 201
    rows = client.get("/api/feedback").json()
    assert rows[0]["rating"] == -1 and rows[0]["citations"][0]["doc_id"]
    csv_text = client.get("/api/feedback?format=csv").text
    assert "引用不对" in csv_text and csv_text.startswith("id,created_at")
    assert client.post("/api/feedback", json={"rating": 5}).status_code == 422


def test_missing_index_starts_degraded_not_crashed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, embedder="fake")
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and "no index" in health.json()["reason"]
        response = client.post("/api/search", json={"question": "试用期"})
        assert response.status_code == 503 and "hindsight ingest" in response.json()["detail"]


def test_a_filter_value_no_document_has_is_a_422_naming_the_valid_ones(client: TestClient) -> None:
    # Before round 8 these were a 200 with nothing in it, while the CLI refused the same typo.
    typo = {"doc_type": "postmortems", "tags": ["试用期", "no-such-tag"]}
    for path in ("/api/search", "/api/chat", "/api/chat/stream"):
        response = client.post(path, json={"question": "试用期结束后客户为什么转投大厂？", "filters": typo})
        assert response.status_code == 422, (path, response.text)
        messages = [d["msg"] for d in response.json()["detail"]]
        assert len(messages) == 2
        assert messages[0] == "no document has doc_type='postmortems'; valid doc_type values: article, postmortem"
        assert messages[1].startswith("no document has tags='no-such-tag'; valid tags values: ")
        assert "试用期" in messages[1].split(": ", 1)[1]  # the valid tags are listed
        assert all(d["loc"] == ["body", "filters"] for d in response.json()["detail"])


def test_filter_values_that_exist_but_match_nothing_together_are_an_empty_200(client: TestClient) -> None:
    nothing = {"doc_type": "postmortem", "doc_id": "pricing-trad"}  # pricing-trad is an article
    search = client.post("/api/search", json={"question": "排他条款", "filters": nothing})
    assert search.status_code == 200 and search.json() == []
    chat = client.post("/api/chat", json={"question": "排他条款是怎么来的？", "filters": nothing})
    assert chat.status_code == 200 and chat.json()["abstained"] and chat.json()["citations"] == []
