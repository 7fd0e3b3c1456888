"""Links into the web chat's source view, the one place its URL is written.

`/sources/{doc_id}` shows a whole document with the cited passage highlighted and, when a link
names one, the quoted sentence inside it (the web panel's two marks). Slack, the OpenAI-compatible
Sources block, the MCP search text and the CLI all link there: an internal postmortem has no
public URL, and a link that lands on the quoted sentence is how a reader checks a point that
shares its [n] with others (round-17 trial: "items 2–5 under the same [n] can't be checked
without opening the document").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

SOURCE_PAGE = "/sources/"


def source_view_url(base_url: str, doc_id: str, start: int, end: int,
                    sentence: tuple[int, int] | None = None) -> str:
    """The source view of doc_id with [start, end) highlighted, and the sentence inside it."""
    query: dict[str, int] = {"start": start, "end": end}
    if sentence is not None:
        query |= {"sentence_start": sentence[0], "sentence_end": sentence[1]}
    return f"{base_url.rstrip('/')}{SOURCE_PAGE}{quote(doc_id, safe='')}?{urlencode(query)}"


def citation_view_url(base_url: str, citation: Mapping[str, Any], sentence: Mapping[str, Any] | None = None) -> str:
    """The source view of an answer's citation (JSON), landing on the quoted sentence when the
    sentence (an answer sentence's JSON) quotes that passage."""
    start, end = int(citation.get("start") or 0), int(citation.get("end") or 0)
    return source_view_url(base_url, str(citation["doc_id"]), start, end, quoted_span(citation, sentence))


def quoted_span(citation: Mapping[str, Any], sentence: Mapping[str, Any] | None) -> tuple[int, int] | None:
    """[start, end) of the sentence when it is a verbatim quote from inside the citation's passage
    (extractive answers); None for an LLM's sentence, a label, or a quote of another passage."""
    if not sentence or sentence.get("doc_id") != citation.get("doc_id"):
        return None
    s_start, s_end = sentence.get("start"), sentence.get("end")
    start, end = citation.get("start") or 0, citation.get("end") or 0
    if not isinstance(s_start, int) or not isinstance(s_end, int) or not start <= s_start < s_end <= end:
        return None
    return s_start, s_end
