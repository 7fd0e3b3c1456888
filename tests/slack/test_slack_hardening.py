"""Replays, malformed timestamps, hostile payloads and the disabled integration, over real HTTP routes."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from testing.fake_slack import SECRET, FakeSlack, drain, mention_envelope, slack_signature_headers

FORM = "application/x-www-form-urlencoded"
QUESTION = "试用期客户不断提出新需求怎么办？"


def replay(client: TestClient, path: str, body: bytes, content_type: str, times: int = 3,
           timestamp: int | None = None) -> list[Any]:
    """Send the very same signed request (same timestamp, same signature) several times."""
    headers = {"Content-Type": content_type, **slack_signature_headers(SECRET, body, timestamp)}
    return [client.post(path, content=body, headers=headers) for _ in range(times)]


def command_body(slack: FakeSlack, trigger_id: str = "1.2.3") -> bytes:
    form = {"team_id": "T1", "channel_id": "C1", "user_id": "UPM", "command": "/hindsight", "text": QUESTION,
            "response_url": slack.response_url("cmd"), "trigger_id": trigger_id}
    return urlencode(form).encode()


def click_body(slack: FakeSlack, action_ts: str = "2.2") -> bytes:
    payload = {"type": "block_actions", "user": {"id": "UPM"}, "team": {"id": "T1"}, "channel": {"id": "C1"},
               "trigger_id": f"t-{action_ts}", "container": {"type": "message", "message_ts": "1.1"},
               "message": {"text": "an answer"}, "response_url": slack.response_url("click"),
               "actions": [{"action_id": "hindsight_feedback_up", "value": "{}", "action_ts": action_ts}]}
    return urlencode({"payload": json.dumps(payload)}).encode()


def test_a_replayed_event_is_answered_once(app: TestClient, slack: FakeSlack) -> None:
    body = json.dumps(mention_envelope(QUESTION, ts="5.1", event_id="EvReplay")).encode()
    assert [r.status_code for r in replay(app, "/slack/events", body, "application/json")] == [200] * 3
    drain(app)
    assert len(slack.calls("chat.postMessage")) == 1


def test_a_replayed_slash_command_is_answered_once(app: TestClient, slack: FakeSlack) -> None:
    responses = replay(app, "/slack/commands", command_body(slack), FORM)
    assert [r.status_code for r in responses] == [200] * 3
    drain(app)
    assert len(slack.calls("response_url")) == 1
    # A retry Slack signs anew (new timestamp) carries the same trigger_id: still one answer.
    replay(app, "/slack/commands", command_body(slack), FORM, times=1, timestamp=int(time.time()) - 30)
    drain(app)
    assert len(slack.calls("response_url")) == 1
    replay(app, "/slack/commands", command_body(slack, trigger_id="9.9.9"), FORM, times=1)
    drain(app)
    assert len(slack.calls("response_url")) == 2  # a new invocation is answered


def test_a_replayed_click_is_stored_once(app: TestClient, slack: FakeSlack) -> None:
    responses = replay(app, "/slack/interactions", click_body(slack), FORM)
    assert [len(r.json()["feedback_ids"]) for r in responses] == [1, 0, 0]
    replay(app, "/slack/interactions", click_body(slack, action_ts="3.3"), FORM, times=1)
    drain(app)
    assert len(app.get("/api/feedback").json()) == 2


@pytest.mark.parametrize("timestamp", ["²", "１７００", "1" * 400, "9" * 4301, "1" * 13, "-1"])
@pytest.mark.parametrize("path", ["/slack/events", "/slack/commands", "/slack/interactions"])
def test_malformed_timestamps_are_401(app: TestClient, slack: FakeSlack, path: str, timestamp: str) -> None:
    body = b'{"type": "url_verification", "challenge": "c"}'
    headers = {"Content-Type": "application/json", **slack_signature_headers(SECRET, body),
               "X-Slack-Request-Timestamp": timestamp}
    response = app.post(path, content=body, headers={k: v.encode() for k, v in headers.items()})
    assert response.status_code == 401, response.text


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_signed_payloads_are_4xx(app: TestClient, slack: FakeSlack, depth: int) -> None:
    nested = "[" * depth + "]" * depth
    event = b'{"type": "event_callback", "event": ' + nested.encode() + b"}"
    [events] = replay(app, "/slack/events", event, "application/json", times=1)
    [clicks] = replay(app, "/slack/interactions", urlencode({"payload": nested}).encode(), FORM, times=1)
    assert (events.status_code, clicks.status_code) == (400, 400)
    assert "nested" in events.json()["detail"] and "nested" in clicks.json()["detail"]


def test_slack_routes_are_404_when_the_integration_is_off(client: TestClient) -> None:
    for path in ("/slack/events", "/slack/commands", "/slack/interactions"):
        response = client.post(path, content=b"{}", headers={"Content-Type": "application/json"})
        assert response.status_code == 404 and "HINDSIGHT_SLACK_SIGNING_SECRET" in response.json()["detail"]


def test_signed_url_verification_still_answers_the_challenge(app: TestClient) -> None:
    [ok] = replay(app, "/slack/events", b'{"type": "url_verification", "challenge": "c1"}', "application/json", 1)
    assert ok.json() == {"challenge": "c1"}
