"""Regression tests for the JSON API: unrepresentable bodies, feedback export and its source."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.service.pipeline import Pipeline
from hindsight.app import create_app

QUESTION = "试用期客户不断提出新需求怎么办？"
# What Python's json accepts but JSON, UTF-8 and our stores cannot carry.
BAD_VALUES = ["NaN", "Infinity", "-Infinity", "1e400", '"\\ud800"', '"a\\udfffb"']
BODIES = {
    "/api/search": ['{{"question": {v}}}', '{{"question": "q", "k": {v}}}'],
    "/api/chat": ['{{"question": {v}}}', '{{"question": "q", "history": [{{"role": "user", "content": {v}}}]}}'],
    "/api/chat/stream": ['{{"question": "q", "filters": {{"industry": {v}}}}}'],
    "/api/feedback": ['{{"rating": 1, "comment": {v}}}', '{{"rating": 1, "config": {{"x": {v}}}}}'],
}
CASES = [(path, template.format(v=value)) for path, templates in BODIES.items()
         for template in templates for value in BAD_VALUES]


@pytest.mark.parametrize(("path", "body"), CASES)
def test_unrepresentable_json_gets_a_422_with_a_reason_never_the_input(client: TestClient, path: str, body: str) -> None:
    response = client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail[0]["msg"] and detail[0]["loc"][0] == "body"
    assert "input" not in detail[0]
    assert "NaN" not in response.text and "1e400" not in response.text


def test_deeply_nested_json_is_refused_not_a_recursion_error(client: TestClient) -> None:
    body = '{"rating": 1, "config": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    response = client.post("/api/feedback", content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 422 and "nested" in response.json()["detail"][0]["msg"]


def test_a_4301_digit_integer_is_a_422(client: TestClient) -> None:
    body = '{"question": "q", "k": ' + "9" * 4301 + "}"
    response = client.post("/api/search", content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 422


@pytest.mark.parametrize("comment", ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                                     "\t=1", "\r=1", "＝1+1"])
def test_feedback_csv_cells_cannot_become_formulas(client: TestClient, comment: str) -> None:
    assert client.post("/api/feedback", json={"rating": -1, "comment": comment, "question": comment}).status_code == 201
    exported = client.get("/api/feedback", params={"format": "csv"})
    [row] = list(csv.DictReader(io.StringIO(exported.text)))
    assert row["comment"] == "'" + comment and row["question"] == "'" + comment
    assert client.get("/api/feedback").json()[0]["comment"] == comment  # JSON keeps the text as given


def test_plain_csv_cells_are_unchanged(client: TestClient) -> None:
    client.post("/api/feedback", json={"rating": 1, "comment": "好 -- fine", "question": QUESTION})
    [row] = list(csv.DictReader(io.StringIO(client.get("/api/feedback", params={"format": "csv"}).text)))
    assert (row["comment"], row["question"], row["rating"]) == ("好 -- fine", QUESTION, "1")


def test_feedback_source_is_set_by_the_server_not_the_client(client: TestClient) -> None:
    assert client.post("/api/feedback?source=slack", json={"rating": 1}).status_code == 201
    assert client.post("/api/feedback", json={"rating": 1, "source": "slack"}).status_code == 422
    assert [row["source"] for row in client.get("/api/feedback").json()] == ["web"]


def test_the_schema_states_the_configured_limits(real_settings: Settings, real_pipeline: Pipeline,
                                                 tmp_path: Path) -> None:
    settings = real_settings.model_copy(update={"data_dir": tmp_path / "data", "max_question_chars": 50,
                                                "max_k": 10, "max_history_turns": 3})
    with TestClient(create_app(settings, pipeline=real_pipeline)) as client:
        models = client.get("/openapi.json").json()["components"]["schemas"]
        assert models["SearchRequest"]["properties"]["question"]["maxLength"] == 50
        assert models["SearchRequest"]["properties"]["k"]["maximum"] == 10
        history = models["ChatRequest"]["properties"]["history"]["anyOf"][0]
        assert history["maxItems"] == 3
        assert models["FeedbackRequest"]["properties"]["question"]["maxLength"] == 20_000  # stored, not asked


def test_a_feedback_with_every_text_field_at_its_limit_fits_the_body_limit(client: TestClient) -> None:
    models = client.get("/openapi.json").json()["components"]["schemas"]
    fields = models["FeedbackRequest"]["properties"]
    longest = {name: "😀" * fields[name]["maxLength"] for name in ("comment", "question", "answer")}
    body = json.dumps({"rating": -1, **longest}).encode()  # ASCII-escaped: 12 bytes a character
    response = client.post("/api/feedback", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text[:200]


def test_every_documented_route_declares_its_responses(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, (method, path)
            # A success states its body, except 204 No Content (DELETE of a conversation).
            assert all(code == "204" or operation["responses"][code].get("content") for code in success), (method, path)
            assert path == "/healthz" or any(code.startswith("4") for code in operation["responses"]), path
    stream = paths["/api/chat/stream"]["post"]["responses"]["200"]["content"]
    assert list(stream) == ["text/event-stream"]
    assert "text/csv" in paths["/api/feedback"]["get"]["responses"]["200"]["content"]


def test_every_json_api_route_is_in_the_schema_the_contract_test_walks(client: TestClient) -> None:
    published = set(client.get("/openapi.json").json()["paths"])
    routes = iter_route_contexts(client.app.routes)  # type: ignore[attr-defined]
    served = {route.path_format or route.path or "" for route in routes}  # included routers flattened
    json_api = {path for path in served if path.startswith(("/api/", "/v1/")) or path in ("/api", "/v1")}
    assert "/api/library/documents" in json_api
    assert json_api <= published, sorted(json_api - published)  # hidden or mounted: never fuzzed


def test_405_names_every_method_of_the_path(client: TestClient) -> None:
    response = client.delete("/api/feedback")
    assert response.status_code == 405 and response.headers["allow"] == "GET, POST"


def test_message_id_limit_is_one_every_json_validator_reads_exactly(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["FeedbackRequest"]
    limit = schema["properties"]["message_id"]["anyOf"][0]["maximum"]
    assert float(limit) == limit  # a double holds it exactly, so "≤ maximum" means the same everywhere
    assert client.post("/api/feedback", json={"rating": 1, "message_id": limit}).status_code == 404
    over = b'{"rating": 1, "message_id": 9223372036854776000}'
    assert client.post("/api/feedback", content=over, headers={"Content-Type": "application/json"}).status_code == 422
