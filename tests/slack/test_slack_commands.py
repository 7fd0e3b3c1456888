"""/hindsight slash command and 👍/👎 interactions, signed, against the fake Slack API."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from testing.fake_slack import FakeSlack, drain, mention_envelope, signed_post

FORM = "application/x-www-form-urlencoded"
QUESTION = "试用期客户不断提出新需求怎么办？"


def command(client: TestClient, slack: FakeSlack, text: str) -> Any:
    form = {"token": "legacy", "team_id": "T1", "channel_id": "C1", "user_id": "UPM", "command": "/hindsight",
            "text": text, "response_url": slack.response_url("cmd1"), "trigger_id": "1.2.3"}
    return signed_post(client, "/slack/commands", urlencode(form).encode(), FORM)


def interaction(client: TestClient, payload: dict[str, Any]) -> Any:
    return signed_post(client, "/slack/interactions", urlencode({"payload": json.dumps(payload)}).encode(), FORM)


def click(action_id: str, value: str, slack: FakeSlack) -> dict[str, Any]:
    return {"type": "block_actions", "user": {"id": "UPM"}, "team": {"id": "T1"}, "channel": {"id": "C1"},
            "container": {"type": "message", "message_ts": "1.1"}, "message": {"text": "an answer"},
            "response_url": slack.response_url("click"),
            "actions": [{"action_id": action_id, "block_id": "hindsight_feedback", "value": value,
                         "type": "button", "action_ts": "2.2"}]}


def test_slash_command_acks_ephemerally_then_answers_on_response_url(app: TestClient, slack: FakeSlack) -> None:
    ack = command(app, slack, QUESTION)
    assert ack.status_code == 200
    assert ack.json()["response_type"] == "ephemeral" and ack.json()["text"].startswith("Searching")
    [posted] = slack.wait_for("response_url")
    assert posted.path == "/response/cmd1" and posted.body["response_type"] == "in_channel"
    blocks = posted.body["blocks"]
    assert QUESTION in blocks[0]["elements"][0]["text"]  # the asker's question is shown above the answer
    assert "需求" in blocks[1]["text"]["text"] and blocks[-1]["type"] == "actions"
    assert any("/sources/trial-conversion?" in b["elements"][0]["text"] for b in blocks if b["type"] == "context")
    assert slack.calls("chat.postMessage") == []


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_slash_command_gets_usage_help(app: TestClient, slack: FakeSlack, text: str) -> None:
    ack = command(app, slack, text)
    assert ack.json()["response_type"] == "ephemeral" and "/hindsight" in ack.json()["text"]
    drain(app)
    assert slack.calls() == []


def test_overlong_slash_command_is_refused_with_the_limit(app: TestClient, slack: FakeSlack) -> None:
    ack = command(app, slack, "问" * 1500)
    assert "limit is 1000" in ack.json()["text"]
    drain(app)
    assert slack.calls() == []


def test_feedback_buttons_store_feedback_with_source_slack(app: TestClient, slack: FakeSlack) -> None:
    signed_post(app, "/slack/events", json.dumps(mention_envelope(QUESTION, "1.1", "EvF")).encode(),
                "application/json")
    [post] = slack.wait_for("chat.postMessage")
    down = next(b for b in post.body["blocks"][-1]["elements"] if b["action_id"] == "hindsight_feedback_down")
    response = interaction(app, click("hindsight_feedback_down", down["value"], slack))
    assert response.status_code == 200 and len(response.json()["feedback_ids"]) == 1
    [row] = app.get("/api/feedback").json()
    assert (row["source"], row["rating"], row["question"]) == ("slack", -1, QUESTION)
    assert row["message_id"] == json.loads(down["value"])["m"] and row["conversation_id"] == "slack:T1:C1:1.1"
    assert row["citations"] and row["citations"][0]["doc_id"] == "trial-conversion"
    assert row["config"]["slack"]["user"] == "UPM"
    slack.wait_for("response_url")  # the clicker is thanked ephemerally


def test_click_on_an_unknown_message_still_keeps_the_vote(app: TestClient, slack: FakeSlack) -> None:
    response = interaction(app, click("hindsight_feedback_up", '{"m": 999, "c": "gone"}', slack))
    assert response.status_code == 200
    [row] = app.get("/api/feedback").json()
    assert (row["rating"], row["message_id"], row["answer"]) == (1, None, "an answer")


def test_other_actions_and_bad_payloads(app: TestClient, slack: FakeSlack) -> None:
    assert interaction(app, click("someone_elses_button", "x", slack)).json()["feedback_ids"] == []
    bad = signed_post(app, "/slack/interactions", b"payload=not-json", FORM)
    assert bad.status_code == 400 and "payload" in bad.json()["detail"]
    unsigned = app.post("/slack/interactions", content=b"payload={}", headers={"Content-Type": FORM})
    assert unsigned.status_code == 401
    assert app.get("/api/feedback").json() == []
