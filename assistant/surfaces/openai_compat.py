"""OpenAI chat-completions ⇄ Hindsight: messages to a question and history, answers to content.

The content an OpenAI client shows is the plain answer text with its [n] markers followed by a
plain "Sources" block, so clients that know nothing of our extension still show where each
claim comes from; the same citations travel structured in the `hindsight` extension field.
The block reads the same as plain text (curl, an SDK) and as Markdown (Open WebUI, LibreChat).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from assistant.answer.base import in_question_script
from assistant.answer.related import related_headings
from assistant.surfaces.links import source_view_url
from assistant.surfaces.openai_models import ChatMessage, CitationOut, HindsightResult
from assistant.text import chinese_question, clip

SOURCES_HEADINGS = ("Sources:", "来源：")
# An assistant turn we wrote ends with our Sources block; history keeps only the answer.
# Round 7 put a blank line after the heading (and 來源： for traditional questions); turns a
# client stored before that still end in the old shape, so both are stripped.
SOURCES_BLOCK = re.compile(r"\n\n(?:Sources:|来源：|來源：)\n\n?\[1\] .*\Z", re.S)
SNIPPET_CHARS = 80
# Markdown's hard line break: invisible in plain text, a <br> in CommonMark. Chat UIs render
# the content as Markdown, where single newlines are soft breaks: without it a source's title,
# quote and link (and every source) ran together into one line (round 7 trial).
HARD_BREAK = "  \n"


class BadMessages(ValueError):
    """The messages do not end in a usable user question; str() is the reason."""


def message_text(message: ChatMessage) -> str:
    """The text of a message; multi-part content keeps its text parts only."""
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    kinds = {part.type for part in message.content} - {"text"}
    if kinds:
        raise BadMessages(f"only text content is supported, got {sorted(kinds)}")
    return "\n".join(part.text or "" for part in message.content)


def question_and_history(messages: list[ChatMessage], max_turns: int) -> tuple[str, list[dict[str, str]]]:
    """The last user message is the question; earlier user/assistant turns are the history.

    System prompts are ignored (Hindsight's own rules apply). Only the last max_turns turns
    are kept: chat clients resend the whole conversation on every turn, and an old turn
    matters less to a follow-up than a refused request would.
    """
    last = messages[-1]
    if last.role != "user":
        raise BadMessages(f"the last message must have role 'user', not {last.role!r}")
    question = message_text(last).strip()
    if not question:
        raise BadMessages("the last user message is empty")
    history = [
        {"role": m.role, "content": SOURCES_BLOCK.sub("", message_text(m)).strip()}
        for m in messages[:-1] if m.role in ("user", "assistant")
    ]
    history = [turn for turn in history if turn["content"]]
    return question, history[-max_turns:] if max_turns else []


def citations_out(citations: list[dict[str, Any]]) -> list[CitationOut]:
    """Structured citations from the answer JSON; a snippet is cut when the answerer gave none."""
    return [
        CitationOut.model_validate({**c, "snippet": c.get("snippet") or snippet(c.get("text") or "")})
        for c in citations
    ]


def snippet(text: str) -> str:
    return clip(" ".join(text.split()), SNIPPET_CHARS)


def source_label(citation: CitationOut) -> str:
    """Title › section path, without empty sections or a section that repeats the title."""
    sections = citation.section_path or ([citation.section] if citation.section else [])
    title = citation.title or citation.doc_id
    shown = citation.display_title or title
    return " › ".join([shown, *[s for s in sections if s and s not in (title, shown)]])


def sources_block(question: str, citations: list[CitationOut], base_url: str,
                  headings: tuple[str, str] = SOURCES_HEADINGS) -> str:
    """The Sources block appended to the content ('' when nothing is cited).

    Plain text that is also Markdown: the heading and each source are paragraphs, and a
    source's lines end in hard breaks. A source without a public URL (the postmortems) links
    to the source view at base_url: a bare doc_id gave a reader nothing to open (round 7).
    """
    if not citations:
        return ""
    heading = in_question_script(headings[1], question) if chinese_question(question) else headings[0]
    entries = []
    for c in citations:
        lines = [f"[{c.n}] {source_label(c)}"]
        if c.snippet:
            lines.append(f"    “{c.snippet}”")
        lines.append(f"    {c.url or source_view_url(base_url, c.doc_id, c.start or 0, c.end or 0)}")
        entries.append(HARD_BREAK.join(lines))
    return "\n\n" + "\n\n".join([heading, *entries])


def hindsight_result(body: dict[str, Any]) -> HindsightResult:
    """The extension object for an answer JSON from ChatService."""
    return HindsightResult(
        citations=citations_out(body.get("citations", [])), abstained=bool(body.get("abstained")),
        abstain_reason=(body.get("trace") or {}).get("abstain_reason"),
        notice=(body.get("trace") or {}).get("notice"), answerer=str(body.get("answerer")),
        conversation_id=body.get("conversation_id"), message_id=body.get("message_id"),
        related=citations_out(body.get("related", [])),
    )


def content_tail(question: str, result: HindsightResult, base_url: str) -> str:
    """What follows the answer text: the fallback notice (if any), then the Sources block, or an
    abstention's possibly related passages, or an answer's other sources (related.other_sources)."""
    notice = f"\n\n{result.notice}" if result.notice else ""
    return (notice + sources_block(question, result.citations, base_url)
            + sources_block(question, result.related, base_url, related_headings(not result.abstained)))


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"
