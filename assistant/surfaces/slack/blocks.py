"""Render an answer JSON as a Slack Block Kit message: mrkdwn answer, linked sources, 👍/👎 buttons."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import quote

from assistant.answer.related import related_heading
from assistant.surfaces.links import citation_view_url
from assistant.text import CJK

MARKER = re.compile(r"\[(\d{1,3})\]")
SECTION_LIMIT = 2900  # Slack allows 3000 characters per section text; keep a margin.
FEEDBACK_BLOCK = "hindsight_feedback"
FEEDBACK_UP = "hindsight_feedback_up"
FEEDBACK_DOWN = "hindsight_feedback_down"


def escape(text: str) -> str:
    """Escape &, < and > as Slack requires; corpus text is untrusted (no <!channel>, no fake links)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# RFC 3986 reserved and unreserved characters, plus %; everything else (|, <, >, space…) is
# percent-encoded, since Slack ends the URL of <url|label> at the first | or >.
URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def safe_url(url: str) -> str:
    """url percent-encoded so no character can end the <url|label> part early, then escaped."""
    return escape(quote(url, safe=URL_SAFE))


def link(url: str, label: str) -> str:
    """A mrkdwn link whose url and label cannot break out of the <url|label> syntax."""
    target = safe_url(url)
    return f"<{target}|{escape(label.replace('|', '¦')).strip() or target}>"


def answer_mrkdwn(text: str, citations: list[dict[str, Any]], base_url: str,
                  sentences: Sequence[dict[str, Any]] = ()) -> str:
    """The answer escaped for mrkdwn, each [n] turned into a link to source n: to the quoted
    sentence inside its passage when the marker ends a verbatim quote (links.citation_view_url)."""
    by_n = {c["n"]: c for c in citations}
    owner = _sentence_at(text, sentences)
    out: list[str] = []
    last = 0
    for match in MARKER.finditer(text):
        out.append(escape(text[last:match.start()]))
        citation = by_n.get(int(match.group(1)))
        url = citation_view_url(base_url, citation, owner(match.start())) if citation else ""
        out.append(link(url, f"[{citation['n']}]") if citation else escape(match.group()))
        last = match.end()
    out.append(escape(text[last:]))
    return "".join(out)


def _sentence_at(text: str, sentences: Sequence[dict[str, Any]]) -> Callable[[int], dict[str, Any] | None]:
    """A lookup from an offset in the answer text to the answer sentence written there: the
    sentences appear in order (base.render_pieces), each with its own markers after it."""
    starts: list[int] = []
    found: list[dict[str, Any]] = []
    cursor = 0
    for sentence in sentences:
        at = text.find(str(sentence.get("text") or ""), cursor) if sentence.get("text") else -1
        if at >= 0:
            starts.append(at)
            found.append(sentence)
            cursor = at + len(str(sentence["text"]))

    def owner(offset: int) -> dict[str, Any] | None:
        i = bisect_right(starts, offset) - 1
        return found[i] if i >= 0 else None
    return owner


def split_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split mrkdwn into pieces under limit, at line breaks where possible, never inside a <link>."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > 0 else limit
        if text.count("<", 0, cut) != text.count(">", 0, cut):
            cut = text.rfind("<", 0, cut)  # back up to before the link that would be cut in two
        cut = cut if cut > 0 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    return [p for p in [*pieces, text] if p.strip()]


def section_label(citation: dict[str, Any], title: str) -> str:
    """The headings above the cited passage, without the title.

    `section` of an article whose headings start with its own title repeats the title
    ("To B大模型… — To B大模型… > 2. 经历 > c. 项目", round 7 trial); `section_path` leaves it
    out, and the OpenAI Sources block already labels sources this way.
    """
    path = citation.get("section_path") or ([citation["section"]] if citation.get("section") else [])
    return " › ".join(str(s) for s in path if s and str(s) != title)


def _source_line(citation: dict[str, Any], base_url: str) -> str:
    title = str(citation.get("title") or citation["doc_id"])[:150]
    shown = str(citation.get("display_title") or title)[:150]
    parts = [f"*{citation['n']}.* {link(citation_view_url(base_url, citation), shown)}"]
    details = [section_label(citation, title)] + [str(citation[k]) for k in ("source", "published") if citation.get(k)]
    details = [d for d in details if d]
    if details:
        parts.append(escape(" · ".join(details))[:300])
    url = citation.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        parts.append(link(url, "original"))
    return " — ".join(parts)


def _related_blocks(result: dict[str, Any], base_url: str, question: str) -> list[dict[str, Any]]:
    """An abstention's possibly related passages, or an answer's other sources (related.other_sources),
    each with the sentence closest to the question."""
    related = list(result.get("related") or [])
    if not related:
        return []
    heading = related_heading(question or str(result.get("answer")), answered=not result.get("abstained"))
    lines = [_source_line(c, base_url) + (f"\n_“{escape(str(c['snippet']))[:300]}”_" if c.get("snippet") else "")
             for c in related[:10]]
    return [{"type": "divider"}, {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(heading)}]},
            *({"type": "context", "elements": [{"type": "mrkdwn", "text": line}]} for line in lines)]


def feedback_value(result: dict[str, Any]) -> str:
    """What a feedback button carries back: the stored message and its conversation."""
    return json.dumps({"m": result.get("message_id"), "c": result.get("conversation_id")})


def _feedback_block(result: dict[str, Any], chinese: bool) -> dict[str, Any]:
    labels = ("👍 有帮助", "👎 没帮助") if chinese else ("👍 Helpful", "👎 Not helpful")
    value = feedback_value(result)
    return {"type": "actions", "block_id": FEEDBACK_BLOCK, "elements": [
        {"type": "button", "action_id": FEEDBACK_UP, "value": value,
         "text": {"type": "plain_text", "text": labels[0], "emoji": True}},
        {"type": "button", "action_id": FEEDBACK_DOWN, "value": value,
         "text": {"type": "plain_text", "text": labels[1], "emoji": True}},
    ]}


def answer_blocks(result: dict[str, Any], base_url: str, question: str = "",
                  show_question: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for an answer JSON from ChatService.ask."""
    citations = [] if result.get("abstained") else list(result.get("citations") or [])
    body = answer_mrkdwn(str(result.get("answer") or ""), citations, base_url, result.get("sentences") or ())
    blocks: list[dict[str, Any]] = []
    if show_question and question:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"*Q:* {escape(question)[:2900]}"}]})
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in split_sections(body)]
    if citations:
        blocks.append({"type": "divider"})
        blocks += [{"type": "context", "elements": [{"type": "mrkdwn", "text": _source_line(c, base_url)}]}
                   for c in citations[:20]]
    blocks += _related_blocks(result, base_url, question)
    blocks.append(_feedback_block(result, bool(CJK.search(question or str(result.get("answer"))))))
    fallback = escape(MARKER.sub("", str(result.get("answer") or "")))[:2900]
    return fallback, blocks


def notice_blocks(text: str) -> tuple[str, list[dict[str, Any]]]:
    """A plain one-section message (errors, usage help)."""
    return escape(text), [{"type": "section", "text": {"type": "mrkdwn", "text": escape(text)}}]
