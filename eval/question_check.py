"""Lint the question set against the corpus: schema, verbatim gold spans, key facts, labels.

Every rule here is a rule of eval/QUESTIONS.md; `check_lines` returns one readable problem per
broken rule (prefixed with the line number and id), so a bad line fails the test that runs it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.text import CJK, normalize
from eval.questions import TYPES
from ingest.loaders import split_front_matter

LANGS = ("zh-Hans", "zh-Hant", "en")
KEYS = {"id", "question", "lang", "type", "answerable", "gold", "key_facts"}
OPTIONAL_KEYS = {"filters"}
ID = re.compile(r"q\d{3,}")
SPAN_CHARS = (8, 60)
FACT_CHARS = (2, 12)
MAX_SPANS = 3
MAX_FACTS = 4
MAX_GOLD_DOCS = 3
# Markdown syntax a span must not carry: it would not survive cleaning, or it is not evidence.
MARKUP = re.compile(r"\*\*|__|`|^#|\[|\]\(|^\s*[-*>] |^\s*\d+\. |\|")


@dataclass(frozen=True)
class CorpusDoc:
    """A corpus document as the loader sees it: its body text and front-matter."""

    doc_id: str
    body: str
    meta: dict[str, Any]


def load_corpus(corpus_dir: Path) -> dict[str, CorpusDoc]:
    """Indexed documents of corpus_dir by front-matter id (README/TEMPLATE are not documents)."""
    docs: dict[str, CorpusDoc] = {}
    for path in sorted(corpus_dir.rglob("*.md")):
        if path.name in ("README.md", "TEMPLATE.md"):
            continue
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        doc_id = str(meta.get("id") or path.stem)
        docs[doc_id] = CorpusDoc(doc_id, body, meta)
    return docs


def check_lines(lines: Iterable[str], corpus: dict[str, CorpusDoc]) -> list[str]:
    """All problems of a questions file given as lines; an empty list means the set is sound."""
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        try:
            data = json.loads(line)
        except ValueError as exc:
            problems.append(f"line {number}: not JSON ({exc})")
            continue
        if not isinstance(data, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        label = f"line {number} ({data.get('id')})"
        try:
            found = check_question(data, corpus)
        except (TypeError, AttributeError, KeyError) as exc:  # wrong JSON types in odd places
            found = [f"malformed question: {exc!r}"]
        expected_id = f"q{number:03d}"
        if data.get("id") != expected_id:
            found.append(f"id {data.get('id')!r} out of sequence, expected {expected_id!r}")
        if data.get("id") in seen:
            found.append("duplicate id")
        seen.add(str(data.get("id")))
        problems.extend(f"{label}: {p}" for p in found)
    return problems


def check_question(data: dict[str, Any], corpus: dict[str, CorpusDoc]) -> list[str]:
    """Problems of one parsed question (schema, labels, gold, key facts)."""
    problems = _check_schema(data)
    if problems:
        return problems
    problems += _check_language(data["question"], data["lang"])
    if not data["answerable"]:
        if data["type"] != "out_of_scope" or data["gold"] or data["key_facts"]:
            problems.append("an unanswerable question is out_of_scope with empty gold and key_facts")
        return problems
    if data["type"] == "out_of_scope":
        problems.append("out_of_scope question marked answerable")
    problems += _check_gold(data["gold"], data["type"], data.get("filters"), corpus)
    if not problems:
        gold_text = normalize("\n".join(corpus[g["doc_id"]].body for g in data["gold"]))
        problems += _check_key_facts(data["key_facts"], gold_text)
    return problems


def _check_schema(data: dict[str, Any]) -> list[str]:
    problems = [f"missing key {k!r}" for k in sorted(KEYS - data.keys())]
    problems += [f"unknown key {k!r}" for k in sorted(data.keys() - KEYS - OPTIONAL_KEYS)]
    if problems:
        return problems
    if not isinstance(data["id"], str) or not ID.fullmatch(data["id"]):
        problems.append(f"id {data['id']!r} is not q + digits")
    question = data["question"]
    if not isinstance(question, str) or not question.strip() or "\n" in question:
        problems.append("question must be one non-empty line")
    if data["lang"] not in LANGS:
        problems.append(f"lang {data['lang']!r} not in {LANGS}")
    if data["type"] not in TYPES:
        problems.append(f"type {data['type']!r} not in {TYPES}")
    if not isinstance(data["answerable"], bool):
        problems.append("answerable must be true or false")
    if not isinstance(data["gold"], list) or not isinstance(data["key_facts"], list):
        problems.append("gold and key_facts must be lists")
    filters = data.get("filters")
    if filters is not None and (not isinstance(filters, dict) or set(filters) != {"doc_type"}):
        problems.append("filters may only be {\"doc_type\": ...}")
    return problems


def _check_language(question: str, lang: str) -> list[str]:
    """The lang label matches the question's script (English has no CJK; Hant differs from t2s)."""
    has_cjk = bool(CJK.search(question))
    if lang == "en":
        return ["lang en but the question has Chinese characters"] if has_cjk else []
    if not has_cjk:
        return [f"lang {lang} but the question has no Chinese characters"]
    # normalize() also folds width (？→?), so compare against the width-folded question.
    traditional = normalize(question) != unicodedata.normalize("NFKC", question).lower()
    if lang == "zh-Hant" and not traditional:
        return ["lang zh-Hant but the question has no traditional characters"]
    if lang == "zh-Hans" and traditional:
        return ["lang zh-Hans but the question has traditional characters"]
    return []


def _check_gold(
    gold: list[Any], qtype: str, filters: dict[str, Any] | None, corpus: dict[str, CorpusDoc]
) -> list[str]:
    if not 1 <= len(gold) <= MAX_GOLD_DOCS:
        return [f"an answerable question needs 1-{MAX_GOLD_DOCS} gold documents, has {len(gold)}"]
    if qtype == "multi" and len(gold) < 2:
        return ["a multi question needs gold in 2-3 documents"]
    problems: list[str] = []
    doc_ids = [g.get("doc_id") if isinstance(g, dict) else None for g in gold]
    if len(set(doc_ids)) != len(doc_ids):
        problems.append("a gold document is listed twice")
    for entry in gold:
        if not isinstance(entry, dict) or set(entry) != {"doc_id", "spans"}:
            problems.append("gold entries are {\"doc_id\": ..., \"spans\": [...]}")
            continue
        doc = corpus.get(entry["doc_id"])
        if doc is None:
            problems.append(f"gold document {entry['doc_id']!r} is not in the corpus")
            continue
        if filters and doc.meta.get("doc_type") != filters.get("doc_type"):
            problems.append(f"gold document {doc.doc_id} is excluded by the question's filters")
        problems += _check_spans(entry["spans"], doc)
    return problems


def _check_spans(spans: Any, doc: CorpusDoc) -> list[str]:
    if not isinstance(spans, list) or not 1 <= len(spans) <= MAX_SPANS:
        return [f"{doc.doc_id}: 1-{MAX_SPANS} spans per gold document"]
    problems: list[str] = []
    for span in spans:
        if not isinstance(span, str):
            problems.append(f"{doc.doc_id}: span {span!r} is not a string")
        elif not SPAN_CHARS[0] <= len(span) <= SPAN_CHARS[1]:
            problems.append(f"{doc.doc_id}: span {span!r} has {len(span)} characters, not 8-60")
        elif "\n" in span or span != span.strip():
            problems.append(f"{doc.doc_id}: span {span!r} spans lines or has outer whitespace")
        elif MARKUP.search(span):
            problems.append(f"{doc.doc_id}: span {span!r} carries Markdown markup")
        elif span not in doc.body:
            problems.append(f"{doc.doc_id}: span {span!r} is not verbatim in the document")
    if len(set(spans)) != len(spans):
        problems.append(f"{doc.doc_id}: a span is listed twice")
    return problems


def _check_key_facts(facts: list[Any], gold_text: str) -> list[str]:
    if not 1 <= len(facts) <= MAX_FACTS:
        return [f"an answerable question needs 1-{MAX_FACTS} key facts, has {len(facts)}"]
    problems: list[str] = []
    for fact in facts:
        if not isinstance(fact, str):
            problems.append(f"key fact {fact!r} is not a string")
            continue
        alternatives = fact.split("|")
        if any(not FACT_CHARS[0] <= len(a) <= FACT_CHARS[1] for a in alternatives):
            problems.append(f"key fact {fact!r}: each alternative has 2-12 characters")
        elif not any(normalize(a) in gold_text for a in alternatives):
            problems.append(f"key fact {fact!r} is not in the normalised gold text")
    return problems
