"""Draft the curated questions of documents that have none, with the configured LLM.

`hindsight questions` (docs/retrieval.md round 9). People write corpus/questions/<doc_id>.jsonl
(ingest/doc_questions.py); a document added later has none until someone does, and retrieval then
finds it only through its text. With an OpenAI-compatible or Ollama LLM configured
(HINDSIGHT_LLM_BASE_URL), this drafts them: each passage of the document goes to the LLM with a
request for questions in a product manager's words, each with the verbatim quote that answers it.
A line that is not the format, or whose quote the document does not hold, is dropped; the rest is
written for a person to review, and the next `hindsight ingest` uses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.llm.client import LLMClient, LLMError, Message
from ingest.doc_questions import QUESTIONS_DIR, DocQuestion, holds, parse_line, write_questions
from ingest.loaders import LoadError, load_document, scan

PASSAGE_CHARS = 600  # about one chunk: short enough for a small model's context, long enough to ask about
SYSTEM = ("You write the questions a passage answers, for a search index. Reply with JSON lines only: "
          "one object per line, no prose, no code fences.")
REQUEST = """From 《{title}》:
<passage>
{text}
</passage>
Write {n} questions a product manager would ask that this passage answers, in their own words, not the
passage's. About half in simplified Chinese, some in traditional Chinese, about a third in English.
For each, copy the exact sentence or clause of the passage that answers it. One line each:
{{"question": "...", "quote": "<exact text of the passage>", "lang": "zh-Hans" | "zh-Hant" | "en"}}"""
OBJECT = re.compile(r"\{.*\}")


@dataclass
class Drafted:
    """What drafting did for one document: questions kept and dropped, where they went, or why not."""

    doc_id: str
    kept: int = 0
    dropped: int = 0
    path: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def draft_corpus(
    corpus_dir: Path, client: LLMClient, doc_ids: list[str] | None = None, per_passage: int = 4,
    force: bool = False,
) -> list[Drafted]:
    """Draft questions for every document without a questions file (or the given ones); an existing
    file is kept unless force."""
    results = []
    for source in scan(corpus_dir).files:
        try:
            document = load_document(source)
        except LoadError:
            continue  # ingest reports unreadable files; there is nothing to ask about here
        doc_id = str(document.metadata["doc_id"])
        if doc_ids is not None and doc_id not in doc_ids:
            continue
        if not force and (corpus_dir / QUESTIONS_DIR / f"{doc_id}.jsonl").exists():
            continue
        results.append(draft_document(corpus_dir, client, doc_id, str(document.metadata.get("title") or doc_id),
                                      document.text, per_passage))
    return results


def draft_document(corpus_dir: Path, client: LLMClient, doc_id: str, title: str, text: str, per_passage: int) -> Drafted:
    """Ask the LLM about each passage; write the well-formed questions with verbatim quotes."""
    result = Drafted(doc_id)
    kept: dict[str, DocQuestion] = {}
    for passage in passages(text):
        try:
            reply = client.chat([Message("system", SYSTEM),
                                 Message("user", REQUEST.format(title=title, text=passage, n=per_passage))])
        except LLMError as exc:
            result.error = f"LLM: {exc}"
            break
        found, dropped = parse_reply(reply, doc_id, passage)
        result.dropped += dropped
        for question in found:
            kept.setdefault(question.question, question)
    if kept and result.error is None:
        result.path = str(write_questions(corpus_dir, doc_id, list(kept.values())))
        result.kept = len(kept)
    return result


def passages(text: str, size: int = PASSAGE_CHARS) -> list[str]:
    """The text's paragraphs, joined up to about `size` characters (a longer paragraph stays whole)."""
    out: list[str] = []
    current = ""
    for paragraph in (p.strip() for p in re.split(r"\n\s*\n", text)):
        if not paragraph:
            continue
        if current and len(current) + len(paragraph) > size:
            out.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    return [*out, current] if current else out


def parse_reply(reply: str, doc_id: str, passage: str) -> tuple[list[DocQuestion], int]:
    """The reply's well-formed question lines whose quote the passage holds, and how many were dropped."""
    kept: list[DocQuestion] = []
    dropped = 0
    for line in reply.splitlines():
        match = OBJECT.search(line)
        if match is None:
            continue  # prose or fences around the lines
        row, _ = parse_line(match.group())
        if row is None or not holds(passage, row["quote"]) or row["quote"] in row["question"]:
            dropped += 1
            continue
        kept.append(DocQuestion(doc_id, row["question"].strip(), row["quote"].strip(), row["lang"]))
    return kept, dropped
