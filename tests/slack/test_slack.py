"""Slack Events API end to end: signed requests in, Block Kit replies recorded by a fake Slack API."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from hindsight.app import create_app
from testing.fake_slack import (
    BOT_USER_ID,
    PUBLIC,
    SECRET,
    TOKEN,
    FakeSlack,
    drain,
    mention_envelope,
    signed_post,
    slack_settings,
    slack_signature_headers,
)

QUESTION = "试用期客户不断提出新需求怎么办？"


def post_event(client: TestClient, envelope: dict[str, Any], **headers: str) -> Any:
    return signed_post(client, "/slack/events", json.dumps(envelope).encode(), "application/json", **headers)


def test_url_verification_echoes_the_challenge(app: TestClient) -> None:
    response = post_event(app, {"type": "url_verification", "token": "t", "challenge": "c-123"})
    assert response.status_code == 200
    assert response.json() == {"challenge": "c-123"}


def test_mention_gets_one_threaded_cited_reply_and_retries_get_none(app: TestClient, slack: FakeSlack) -> None:
    envelope = mention_envelope(QUESTION, ts="1700000000.000100", event_id="Ev1")
    first = post_event(app, envelope)
    assert first.status_code == 200 and first.json()["status"] == "accepted"
    [post] = slack.wait_for("chat.postMessage")
    retry = post_event(app, envelope, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    assert retry.status_code == 200 and retry.json()["status"].startswith("duplicate")
    drain(app)
    assert len(slack.calls("chat.postMessage")) == 1

    assert post.authorization == f"Bearer {TOKEN}"
    assert post.body["channel"] == "C1" and post.body["thread_ts"] == "1700000000.000100"
    blocks = post.body["blocks"]
    kinds = [b["type"] for b in blocks]
    assert kinds[0] == "section" and "divider" in kinds and kinds[-1] == "actions"
    answer = blocks[0]["text"]["text"]
    assert "需求" in answer and f"<{PUBLIC}/sources/" in answer  # [n] markers link to their spans
    sources = [b["elements"][0]["text"] for b in blocks if b["type"] == "context"]
    assert sources and sources[0].startswith("*1.* <" + PUBLIC + "/sources/trial-conversion?start=")
    assert "&amp;end=" in sources[0]
    buttons = blocks[-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["hindsight_feedback_up", "hindsight_feedback_down"]
    assert json.loads(buttons[0]["value"])["m"] > 0


def test_same_message_delivered_twice_under_new_event_ids_is_answered_once(app: TestClient, slack: FakeSlack) -> None:
    # A DM that mentions the bot can arrive as both app_mention and message.im.
    post_event(app, mention_envelope(QUESTION, ts="1700000001.000100", event_id="EvA"))
    dm = mention_envelope(QUESTION, ts="1700000001.000100", event_id="EvB", type="message", channel_type="im")
    assert post_event(app, dm).json()["status"].startswith("duplicate")
    drain(app)
    assert len(slack.calls("chat.postMessage")) == 1


@pytest.mark.parametrize("headers_for", [
    lambda body: {"X-Slack-Signature": "v0=" + "0" * 64, "X-Slack-Request-Timestamp": str(int(time.time()))},
    lambda body: {},
])
def test_bad_or_missing_signature_is_401(app: TestClient, slack: FakeSlack, headers_for: Any) -> None:
    body = json.dumps(mention_envelope(QUESTION, ts="1.1", event_id="EvBad")).encode()
    response = app.post("/slack/events", content=body,
                        headers={"Content-Type": "application/json", **headers_for(body)})
    assert response.status_code == 401
    assert "signature" in response.json()["detail"].lower()
    drain(app)
    assert slack.calls() == []


def test_wrong_secret_and_stale_timestamp_are_401(app: TestClient, slack: FakeSlack) -> None:
    body = json.dumps(mention_envelope(QUESTION, ts="1.2", event_id="EvStale")).encode()
    wrong = signed_post(app, "/slack/events", body, "application/json", secret="not-the-secret")
    stale = signed_post(app, "/slack/events", body, "application/json", timestamp=int(time.time()) - 301)
    assert (wrong.status_code, stale.status_code) == (401, 401)
    assert "stale" in stale.json()["detail"]
    headers = {"Content-Type": "application/json", **slack_signature_headers(SECRET, body)}
    tampered = app.post("/slack/events", content=body.replace(b"EvStale", b"EvStalf"), headers=headers)
    assert tampered.status_code == 401
    drain(app)
    assert slack.calls() == []


@pytest.mark.parametrize("event", [
    {"bot_id": "B999"},
    {"subtype": "bot_message"},
    {"subtype": "message_changed"},
    {"type": "message", "channel_type": "channel"},
])
def test_bots_edits_and_channel_chatter_are_ignored(app: TestClient, slack: FakeSlack, event: dict[str, Any]) -> None:
    response = post_event(app, mention_envelope(QUESTION, ts="1.3", event_id="EvBot", **event))
    assert response.json()["status"].startswith("ignored")
    drain(app)
    assert slack.calls("chat.postMessage") == []


def test_the_bots_own_user_is_ignored(app: TestClient, slack: FakeSlack) -> None:
    post_event(app, mention_envelope(QUESTION, ts="1.4", event_id="EvSelf", user=BOT_USER_ID))
    drain(app)
    assert slack.calls("auth.test") and slack.calls("chat.postMessage") == []


def test_dm_is_answered_in_its_thread(app: TestClient, slack: FakeSlack) -> None:
    dm = mention_envelope("How do we stop scope creep during a paid trial?", ts="1700000002.000200",
                          event_id="EvDM", type="message", channel_type="im", channel="D1")
    dm["event"]["text"] = "How do we stop scope creep during a paid trial?"
    post_event(app, dm)
    [post] = slack.wait_for("chat.postMessage")
    assert (post.body["channel"], post.body["thread_ts"]) == ("D1", "1700000002.000200")


def test_follow_up_in_thread_keeps_the_conversation(app: TestClient, slack: FakeSlack) -> None:
    root = "1700000003.000300"
    post_event(app, mention_envelope(QUESTION, ts=root, event_id="EvT1"))
    slack.wait_for("chat.postMessage")
    post_event(app, mention_envelope("银行项目为什么丢单？", ts="1700000003.000400", thread_ts=root, event_id="EvT2"))
    posts = slack.wait_for("chat.postMessage", 2)
    assert {p.body["thread_ts"] for p in posts} == {root}
    conversation = app.get(f"/api/conversations/slack:T1:C1:{root}").json()
    assert conversation["source"] == "slack"
    assert [m["role"] for m in conversation["messages"]] == ["user", "assistant", "user", "assistant"]
    assert conversation["messages"][2]["content"] == "银行项目为什么丢单？"


def test_off_topic_question_posts_the_abstention(app: TestClient, slack: FakeSlack) -> None:
    post_event(app, mention_envelope("What is the boiling point of mercury in kelvin?", ts="1.5", event_id="EvOff"))
    [post] = slack.wait_for("chat.postMessage")
    blocks = post.body["blocks"]
    assert blocks[0]["text"]["text"] == "No relevant content was found in the sources."
    assert [b["type"] for b in blocks] == ["section", "actions"]


def test_empty_mention_gets_usage_help(app: TestClient, slack: FakeSlack) -> None:
    post_event(app, mention_envelope("", ts="1.6", event_id="EvEmpty"))
    [post] = slack.wait_for("chat.postMessage")
    assert "/hindsight" in post.body["text"] and post.body["thread_ts"] == "1.6"


def test_disabled_without_signing_secret(fake_settings: Settings, slack: FakeSlack) -> None:
    with TestClient(create_app(fake_settings)) as client:
        for path in ("/slack/events", "/slack/commands", "/slack/interactions"):
            response = signed_post(client, path, b"{}", "application/json")
            assert response.status_code == 404  # the feature does not exist on this server
            assert "HINDSIGHT_SLACK_SIGNING_SECRET" in response.json()["detail"]


def test_unavailable_index_is_reported_in_the_thread(fake_settings: Settings, tmp_path: Path, slack: FakeSlack) -> None:
    settings = slack_settings(fake_settings, tmp_path, slack)  # nothing was ingested
    with TestClient(create_app(settings)) as client:
        post_event(client, mention_envelope(QUESTION, ts="1.7", event_id="EvNoIndex"))
        [post] = slack.wait_for("chat.postMessage")
    assert "could not answer" in post.body["text"] and "IndexUnavailable" in post.body["text"]
