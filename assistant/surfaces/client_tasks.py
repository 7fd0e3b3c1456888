"""Chat clients' background tasks (Open WebUI's titles, tags, follow-ups…), answered without retrieval.

Open WebUI sends the chat's own model prompts of its own: one user message that starts with
`### Task:`, quotes the recent chat in <chat_history> as `USER: …` / `ASSISTANT: …` lines, and
asks for JSON in an "### Output" section, e.g. `{ "title": "…" }`, `{ "tags": […] }`,
`{ "follow_ups": […] }`, `{ "queries": […] }`, or `{ "text": "…" }` for autocomplete (its
DEFAULT_*_PROMPT_TEMPLATEs in backend/open_webui/config.py). Answered as questions, they ran a
retrieval for nothing and the sidebar titled a chat "资料中没有提到 Generate。" (round 7 trial).

The templates are admin-editable and change between releases, so a task is recognised by that
structure (the header, and the first JSON key the prompt asks for), not by its wording. The
reply is JSON of the requested shape built from the chat itself: a title from the user's first
question, the last question as the one search query, and empty lists where Hindsight has
nothing useful to offer (it does not invent tags or follow-ups). An unknown kind gets `{}`,
which Open WebUI treats as "no result" rather than showing a corpus answer.
"""

from __future__ import annotations

import json
import re
from typing import Any

from assistant.text import CJK

TASK_HEADER = re.compile(r"\A\s*#{2,4}\s*Task\s*:", re.I)
CHAT_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.S | re.I)
# Autocomplete quotes the user's half-typed text: like the history, it is data, not the request.
# Its instructions also name the tag ("Continue the text in `<text>`"), so a block opens at the
# last <text> before its </text>.
QUOTED_TEXT = re.compile(r"<text>(?:(?!<text>).)*?</text>", re.S | re.I)
OUTPUT_HEADING = re.compile(r"^\s*#{2,4}\s*\**\s*Output", re.M | re.I)
JSON_KEY = re.compile(r'\{\s*"(\w+)"\s*:')
# Open WebUI's get_messages_content(): "ROLE: content" per message, a message's own newlines kept.
ROLE_LINE = re.compile(r"^(USER|ASSISTANT|SYSTEM)\s*:[ \t]*", re.M | re.I)
CITATION = re.compile(r"\[\d+(?:\s*[,，、-]\s*\d+)*\]")
TRAILING = "?？。.!！:：;；,，、 "
TITLE_CHARS = {"cjk": 24, "latin": 60}


def task_kind(prompt: str) -> str | None:
    """None when prompt is not a client task; else the JSON key it asks for ('' if none is found)."""
    if not TASK_HEADER.match(prompt):
        return None
    request = QUOTED_TEXT.sub("", CHAT_HISTORY.sub("", prompt))
    heading = OUTPUT_HEADING.search(request)
    found = JSON_KEY.search(request, heading.start()) if heading else None
    found = found or JSON_KEY.search(request)
    return found.group(1) if found else ""


def task_reply(prompt: str, kind: str) -> dict[str, Any]:
    """The JSON object the task asked for, from the chat quoted in the prompt alone."""
    questions = _user_messages(prompt)
    if kind == "title":
        return {"title": title(questions[0]) if questions else ""}
    if kind == "queries":
        # The user's own last question: the query Hindsight would search for.
        return {"queries": [" ".join(questions[-1].split())] if questions else []}
    if kind in ("tags", "follow_ups"):
        return {kind: []}
    if kind == "text":  # autocomplete: "If unsure, return { "text": "" }"
        return {"text": ""}
    return {}


def task_content(prompt: str, kind: str) -> str:
    return json.dumps(task_reply(prompt, kind), ensure_ascii=False)


def _user_messages(prompt: str) -> list[str]:
    """The user messages quoted in the prompt's <chat_history>, oldest first."""
    history = CHAT_HISTORY.search(prompt)
    if not history:
        return []
    parts = ROLE_LINE.split(history.group(1))  # ['', role, content, role, content, …]
    pairs = zip(parts[1::2], parts[2::2], strict=False)
    return [content.strip() for role, content in pairs if role.upper() == "USER" and content.strip()]


def title(question: str) -> str:
    """The question as a sidebar title: one line, no [n] markers, no end punctuation, cut short."""
    flat = " ".join(CITATION.sub("", question).split()).strip(TRAILING)
    limit = TITLE_CHARS["cjk" if CJK.search(flat) else "latin"]
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if not CJK.search(flat) and " " in cut:
        cut = cut.rsplit(" ", 1)[0]  # a whole word
    return cut.rstrip(TRAILING) + "…"
