"""Slack's Web API down or hanging: requests are still acknowledged, nothing hangs, errors are logged."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import assistant.surfaces.slack.client as slack_client
from assistant.core.settings import Settings
from assistant.service.pipeline import Pipeline
from hindsight.app import create_app
from testing.fake_slack import FakeSlack, mention_envelope, signed_post, slack_settings
from testing.live_server import free_port


def _closed_port() -> int:
    return free_port()  # nothing listens there


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers: a hung Slack API."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    listener.close()


def _client(real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path, port: int) -> TestClient:
    with FakeSlack() as fake:  # only to build settings; the API URL is then pointed elsewhere
        settings = slack_settings(real_settings, tmp_path, fake,
                                  slack_api_base_url=f"http://127.0.0.1:{port}/api/")
    return TestClient(create_app(settings, pipeline=real_pipeline))


def _mention(client: TestClient, event_id: str) -> int:
    body = json.dumps(mention_envelope("试用期客户不断提出新需求怎么办？", "9.1", event_id)).encode()
    return int(signed_post(client, "/slack/events", body, "application/json").status_code)


@pytest.mark.timeout(60)
def test_slack_api_refusing_connections_is_logged_not_fatal(
    real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hindsight.slack")
    with _client(real_settings, real_pipeline, tmp_path, _closed_port()) as client:
        assert _mention(client, "EvDown1") == 200
        assert client.app.state.slack_bot.drain(timeout=30)  # the background job finished
        assert client.get("/healthz").status_code == 200  # the app is fine
    failures = [r for r in caplog.records if r.name == "hindsight.slack" and r.levelno >= logging.ERROR]
    assert failures and failures[0].exc_info  # the failed post is logged with its cause


@pytest.mark.timeout(60)
def test_hung_slack_api_is_bounded_by_the_client_timeout(
    real_settings: Settings, real_pipeline: Pipeline, tmp_path: Path, silent_server: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(slack_client, "TIMEOUT_SECONDS", 1)
    with _client(real_settings, real_pipeline, tmp_path, silent_server) as client:
        assert _mention(client, "EvHung1") == 200  # acknowledged although Slack never answers
        assert client.app.state.slack_bot.drain(timeout=30)  # the worker gave up, it did not hang
