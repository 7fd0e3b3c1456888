"""Recognising chat clients' background task prompts, and the JSON each gets (no server needed)."""

from __future__ import annotations

import pytest

from assistant.surfaces.client_tasks import task_kind, task_reply, title


@pytest.mark.parametrize(("prompt", "kind"), [
    ("试用期结束后客户为什么转投大厂？", None),
    ("What does ### Task: mean?", None),  # only a prompt that opens with the header
    ('### Task:\nTitle it.\n### Output:\nJSON: { "title": "t" }', "title"),
    ('  ## task:\nTag it.\n### Output:\n{\n  "tags": ["a"]\n}', "tags"),  # spacing and case vary
    # The quoted chat is data: JSON a user pasted there is not what the task asks for.
    ('### Task:\nSuggest.\n### Output:\n{ "follow_ups": [] }\n<chat_history>\nUSER: {"title": 1}\n</chat_history>',
     "follow_ups"),
    ("### Task:\nSay something.", ""),
])
def test_a_task_is_known_by_its_header_and_the_json_key_it_asks_for(prompt: str, kind: str | None) -> None:
    assert task_kind(prompt) == kind


def test_the_quoted_chat_gives_the_first_and_last_user_questions() -> None:
    prompt = ("### Task:\n…\n<chat_history>\nUSER: 第一个问题？\nASSISTANT: 回答[1]\nUSER: 第二个\n问题\n"
              "</chat_history>")
    assert task_reply(prompt, "title") == {"title": "第一个问题"}
    assert task_reply(prompt, "queries") == {"queries": ["第二个 问题"]}
    assert task_reply("### Task:\nno history", "title") == {"title": ""}
    assert task_reply("### Task:\nno history", "queries") == {"queries": []}
    assert task_reply(prompt, "summary") == {}


def test_titles_are_one_short_line_without_markers() -> None:
    assert title("  为什么[1][2]\n会丢单？ ") == "为什么 会丢单"
    long_zh = title("试用期结束后客户为什么转投大厂而不是继续和我们合作下去呢？")
    assert len(long_zh) == 24 and long_zh.endswith("…")
    long_en = title("Why did the customer move to a bigger vendor after the trial period ended last year?")
    assert long_en == "Why did the customer move to a bigger vendor after the…"  # whole words
