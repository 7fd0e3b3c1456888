"""Example questions for the chat's empty state, derived from whatever corpus is loaded.

Section headings that already read as questions ("为什么试用后丢单") come first; then document
titles framed as a question about their lessons. Nothing here knows any particular document.
"""

from __future__ import annotations

import re

from assistant.store.build_store import LoadedIndex
from assistant.surfaces.i18n import Lang

QUESTION_HEADING = re.compile(r"(为什么|為什麼|如何|怎么|怎麼|怎样|怎樣|是否|什么|什麼|哪些|why|how|what)|[？?]$", re.I)
TRAILING_NOTE = re.compile(r"\s*[（(][^（）()]{1,12}[）)]\s*$")


def example_questions(index: LoadedIndex, lang: Lang, limit: int = 3) -> list[str]:
    """Up to limit questions, at most one per document, spread over document types."""
    found: dict[str, str] = {}
    for chunk in index.chunks:
        heading = chunk.section.split(" > ")[-1].strip() if chunk.section else ""
        if chunk.doc_id not in found and 4 <= len(heading) <= 40 and QUESTION_HEADING.search(heading):
            found[chunk.doc_id] = heading.rstrip("？?") + ("？" if lang == "zh" else "?")
    for doc in sorted(index.documents.values(), key=lambda d: str(d.metadata.get("date") or ""), reverse=True):
        title = TRAILING_NOTE.sub("", str(doc.metadata.get("title") or "")).strip()
        if doc.doc_id not in found and 4 <= len(title) <= 60:
            found[doc.doc_id] = f"{title}：原因和教训是什么？" if lang == "zh" else f"What are the lessons of “{title}”?"
    return _spread(found, index, limit)


def _spread(found: dict[str, str], index: LoadedIndex, limit: int) -> list[str]:
    """Round-robin over document types so one type does not fill every slot."""
    by_type: dict[str, list[str]] = {}
    for doc_id, question in found.items():
        doc = index.documents.get(doc_id)
        by_type.setdefault(str(doc.metadata.get("doc_type") if doc else ""), []).append(question)
    picked: list[str] = []
    while len(picked) < limit and any(by_type.values()):
        for questions in by_type.values():
            if questions and len(picked) < limit:
                picked.append(questions.pop(0))
    return picked
