"""Questions each document answers, curated beside it: corpus/questions/<doc_id>.jsonl (doc2query).

A user rarely words a question the way the article words its answer ("客户为什么没续约？" against
"试用期结束后便接洽了服务更为成熟的大厂"), and an English question shares no word with a Chinese
passage. So every passage is also indexed under questions it answers: retrieval compares the user's
question with those (assistant/retrieve/retriever.py, docs/retrieval.md round 9). One JSON object a
line:

    {"question": "试用期结束后客户为什么没有续约？", "quote": "<a verbatim span of the document>", "lang": "zh-Hans"}

The quote ties the question to the chunks that hold it, whatever the chunking. This module owns the
format: reading, checking, and attaching questions to chunks. A bad line, an unknown document or a
quote the document lacks is reported and skipped; it never stops an ingest.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from assistant.core.types import Chunk, ChunkQuestion
from assistant.text import fold_compact

QUESTIONS_DIR = "questions"
LANGS = ("zh-Hans", "zh-Hant", "en")
KEYS = {"question", "quote", "lang"}


@dataclass(frozen=True)
class DocQuestion:
    """One line of a questions file: the question, the quote of doc_id that answers it, its language."""

    doc_id: str
    question: str
    quote: str
    lang: str


def question_files(corpus_dir: Path) -> list[Path]:
    """The questions files, one per document id, in name order (hidden files and links left out)."""
    folder = corpus_dir / QUESTIONS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.jsonl") if not p.name.startswith(".") and p.is_file() and not p.is_symlink())


def questions_digest(corpus_dir: Path) -> str | None:
    """A fingerprint of every questions file (name and bytes), None when there are none: an edit
    makes the next ingest publish a new build."""
    files = question_files(corpus_dir)
    if not files:
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def read_questions(corpus_dir: Path) -> tuple[list[DocQuestion], list[dict[str, str]]]:
    """Every well-formed line of every questions file, and a problem (path, reason) per bad line."""
    questions: list[DocQuestion] = []
    problems: list[dict[str, str]] = []
    for path in question_files(corpus_dir):
        rel = f"{QUESTIONS_DIR}/{path.name}"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append({"path": rel, "reason": f"unreadable: {exc}"})
            continue
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            row, reason = parse_line(line)
            if row is None:
                problems.append({"path": rel, "reason": f"line {number}: {reason}; skipped"})
                continue
            questions.append(DocQuestion(path.stem, row["question"].strip(), row["quote"], row["lang"]))
    return questions, problems


def parse_line(line: str) -> tuple[dict[str, str] | None, str]:
    """One line as a question row, or None and why not."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not JSON ({exc.msg})"
    if not isinstance(row, dict) or set(row) != KEYS:
        return None, f"needs exactly the keys {sorted(KEYS)}"
    if not all(isinstance(row[k], str) and row[k].strip() for k in KEYS):
        return None, "question, quote and lang must be non-empty strings"
    if row["lang"] not in LANGS:
        return None, f"lang {row['lang']!r} is not one of {list(LANGS)}"
    return row, ""


def attach(questions: list[DocQuestion], chunks: list[Chunk]) -> tuple[list[ChunkQuestion], list[dict[str, str]]]:
    """Each question once for every chunk of its document whose text holds its quote (matched
    folded: simplified, lower case, white space aside); a problem for each it cannot place."""
    by_doc: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    for chunk in chunks:
        by_doc[chunk.doc_id].append((chunk.chunk_id, fold_compact(chunk.text)))
    attached: list[ChunkQuestion] = []
    problems: list[dict[str, str]] = []
    for q in questions:
        rel = f"{QUESTIONS_DIR}/{q.doc_id}.jsonl"
        if q.doc_id not in by_doc:
            problems.append({"path": rel, "reason": f"no document {q.doc_id!r} in the build; its questions are skipped"})
            continue
        quote = fold_compact(q.quote)
        holders = [chunk_id for chunk_id, text in by_doc[q.doc_id] if quote in text]
        if not holders:
            problems.append({"path": rel, "reason": f"quote not in {q.doc_id}: {q.quote[:40]!r}; skipped"})
        attached += [ChunkQuestion(chunk_id, q.question, q.quote, q.lang) for chunk_id in holders]
    return attached, _once_per_document(problems)


def _once_per_document(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    """A missing document is one problem, not one per question."""
    return list({(p["path"], p["reason"]): p for p in problems}.values())


def holds(text: str, quote: str) -> bool:
    """Does the text hold the quote, as attach() matches it (folded, white space aside)?"""
    return fold_compact(quote) in fold_compact(text)


def write_questions(corpus_dir: Path, doc_id: str, questions: list[DocQuestion]) -> Path:
    """corpus/questions/<doc_id>.jsonl with these questions, written whole (temp file + rename)."""
    folder = corpus_dir / QUESTIONS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{doc_id}.jsonl"
    temp = folder / f".{doc_id}.jsonl.tmp"
    lines = [json.dumps({"question": q.question, "quote": q.quote, "lang": q.lang}, ensure_ascii=False) for q in questions]
    temp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    temp.replace(path)
    return path


