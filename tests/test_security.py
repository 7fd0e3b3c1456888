"""Access control, CORS, request limits and path traversal, against the real app and index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.service.pipeline import Pipeline
from assistant.surfaces.security import COOKIE
from hindsight.app import create_app

KEY = "k-0123456789abcdef-secret"
QUESTION = {"question": "试用期 转化", "k": 3}


def _client(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path, **update: object) -> TestClient:
    settings = real_settings.model_copy(update={"data_dir": tmp_path / "data", **update})
    return TestClient(create_app(settings, pipeline=real_pipeline))


@pytest.fixture
def locked(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path) -> Iterator[TestClient]:
    """The app with one API key configured."""
    with _client(real_settings, real_pipeline, tmp_path, api_keys=[KEY]) as client:
        yield client


def test_api_requires_a_valid_key_when_keys_are_configured(locked: TestClient) -> None:
    missing = locked.post("/api/search", json=QUESTION)
    assert missing.status_code == 401
    assert "API key" in missing.json()["detail"]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    for bad in ("Bearer wrong-key-wrong-key", f"Basic {KEY}", f"Bearer {KEY}x", "Bearer "):
        assert locked.post("/api/search", json=QUESTION, headers={"Authorization": bad}).status_code == 401
    for path in ("/api/documents", "/api/feedback", "/api/conversations"):
        assert locked.get(path).status_code == 401, path
    ok = locked.post("/api/search", json=QUESTION, headers={"Authorization": f"Bearer {KEY}"})
    assert ok.status_code == 200 and ok.json()


def test_public_paths_stay_reachable_with_keys(locked: TestClient) -> None:
    assert locked.get("/healthz").status_code == 200
    # /slack/* is authenticated by Slack's signature, never by our key: whatever it answers, not 401.
    assert locked.post("/slack/events", content=b"{}").status_code != 401
    assert locked.get("/").status_code == 200  # the web page; its /api calls need the sign-in below
    for asset in sorted((Path(__file__).parent.parent / "web" / "static").glob("*.*"))[:2]:
        assert locked.get(f"/static/{asset.name}").status_code == 200, asset.name
    assert locked.get("/auth/login").status_code == 200


def test_web_sign_in_sets_a_session_cookie_that_unlocks_the_api(locked: TestClient) -> None:
    assert locked.get("/auth/login").status_code == 200
    refused = locked.post("/auth/login", data={"key": "not-the-key-at-all"}, follow_redirects=False)
    assert refused.status_code == 401 and COOKIE not in refused.cookies
    signed = locked.post("/auth/login", data={"key": KEY}, follow_redirects=False)
    assert signed.status_code == 303
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert KEY not in cookie  # the cookie holds an HMAC of the key, not the key
    assert locked.post("/api/search", json=QUESTION).status_code == 200  # same-origin page fetch
    locked.cookies.clear()
    assert locked.post("/api/search", json=QUESTION).status_code == 401
    forged = {"Cookie": f"{COOKIE}={'0' * 64}"}
    assert locked.post("/api/search", json=QUESTION, headers=forged).status_code == 401


def test_api_is_open_without_keys(client: TestClient) -> None:
    assert client.post("/api/search", json=QUESTION).status_code == 200


def test_cors_is_closed_by_default(client: TestClient) -> None:
    evil = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    preflight = client.options("/api/search", headers=evil)
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.post("/api/search", json=QUESTION, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allows_only_configured_origins(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path) -> None:
    with _client(real_settings, real_pipeline, tmp_path, cors_origins=["https://intranet.example"]) as c:
        good = {"Origin": "https://intranet.example", "Access-Control-Request-Method": "POST"}
        assert c.options("/api/search", headers=good).headers["access-control-allow-origin"] == "https://intranet.example"
        bad = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        assert "access-control-allow-origin" not in c.options("/api/search", headers=bad).headers


def test_body_over_the_limit_is_413(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path) -> None:
    with _client(real_settings, real_pipeline, tmp_path, max_body_bytes=4096) as c:
        big = {"question": "x", "comment": "y" * 5000, "rating": 1}
        declared = c.post("/api/feedback", json=big)
        assert declared.status_code == 413 and "4096" in declared.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts the stream
            yield b'{"rating": 1, "comment": "'
            for _ in range(10):
                yield b"z" * 1000
            yield b'"}'

        streamed = c.post("/api/feedback", content=chunks(), headers={"Content-Type": "application/json"})
        assert streamed.status_code == 413
        assert c.get("/api/feedback").json() == []  # nothing half-stored
        assert c.post("/api/feedback", json={"rating": 1, "comment": "ok"}).status_code == 201


def test_a_v1_body_over_the_limit_is_413_in_openai_s_error_shape(real_settings: Settings, real_pipeline: Pipeline,
                                                                 tmp_path: Path) -> None:
    # round 13: the body limit answered /v1 in the /api shape ({"detail": …}), which the /v1 schema
    # does not allow and OpenAI clients cannot read
    with _client(real_settings, real_pipeline, tmp_path, max_body_bytes=4096) as c:
        big = {"model": "hindsight", "messages": [{"role": "user", "content": "y" * 5000}]}
        response = c.post("/v1/chat/completions", json=big)
        assert response.status_code == 413
        error = response.json()["error"]
        assert "4096" in error["message"] and error["type"] == "invalid_request_error"
        assert error["code"] == "request_too_large"


def test_limits_give_clear_4xx_reasons(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path) -> None:
    with _client(real_settings, real_pipeline, tmp_path, max_k=10, max_history_turns=2,
                 max_question_chars=50) as c:
        long_q = c.post("/api/search", json={"question": "问" * 51})
        assert long_q.status_code == 422 and "limit is 50" in long_q.json()["detail"][0]["msg"]
        big_k = c.post("/api/search", json={"question": "试用期", "k": 11})
        assert big_k.status_code == 422 and "limit is 10" in big_k.json()["detail"][0]["msg"]
        turns = [{"role": "user", "content": "hi"}] * 3
        for path in ("/api/chat", "/api/chat/stream"):
            history = c.post(path, json={"question": "试用期", "history": turns})
            assert history.status_code == 422 and "3 turns" in history.json()["detail"][0]["msg"], path
        assert c.post("/api/search", json={"question": "试用期", "k": 10}).status_code == 200


def test_settings_parse_comma_separated_keys_and_reject_weak_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HINDSIGHT_API_KEYS", f"{KEY}, {KEY}-2")
    monkeypatch.setenv("HINDSIGHT_CORS_ORIGINS", "https://a.example,https://b.example")
    settings = Settings()
    assert settings.api_keys == [KEY, f"{KEY}-2"]
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("HINDSIGHT_API_KEYS", "short")
    with pytest.raises(ValueError, match="at least 16"):
        Settings()


@pytest.mark.parametrize("path", [
    "/api/documents/..%2F..%2Fetc%2Fpasswd",
    "/api/documents/../../etc/passwd",
    "/api/documents/%2e%2e%2fmanifest.json",
    "/api/documents/.hidden",
    "/api/documents/a%00b",
    "/sources/..%2F..%2Fetc%2Fpasswd",
])
def test_document_ids_cannot_traverse_paths(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in {404, 422}, response.text
    assert "root:" not in response.text and "build_id" not in response.text


def test_source_pages_need_a_session_and_sign_in_returns_to_them(locked: TestClient) -> None:
    target = "/sources/trial-conversion?start=0&end=10"
    bounced = locked.get(target, follow_redirects=False)
    assert bounced.status_code == 303
    assert bounced.headers["location"] == "/auth/login?next=%2Fsources%2Ftrial-conversion%3Fstart%3D0%26end%3D10"
    form = locked.get(bounced.headers["location"]).text
    assert 'name="next" value="/sources/trial-conversion?start=0&amp;end=10"' in form
    signed = locked.post("/auth/login", data={"key": KEY, "next": target}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == target
    assert locked.get(target).status_code == 200
    locked.cookies.clear()
    evil = locked.post("/auth/login", data={"key": KEY, "next": "//evil.example/x"}, follow_redirects=False)
    assert evil.headers["location"] == "/"  # no open redirect
