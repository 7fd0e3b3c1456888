"""The question set: one JSON object per line (schema in eval/QUESTIONS.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SPLITS = ("dev", "test")
TYPES = (
    "fact", "why", "how", "multi", "paraphrase", "postmortem", "metadata", "list", "compare",
    "out_of_scope",
)


def split_of(qid: str) -> str:
    """The fixed dev/test split: even first byte of sha256(id) is dev. Tune on dev, report test."""
    return "dev" if hashlib.sha256(qid.encode("utf-8")).digest()[0] % 2 == 0 else "test"


class QuestionError(ValueError):
    """A question file that cannot be used; the message names the line and the problem."""


@dataclass(frozen=True)
class Question:
    """One evaluation question with its gold evidence (doc_id -> verbatim spans) and key facts."""

    id: str
    question: str
    type: str
    lang: str
    answerable: bool
    gold: dict[str, list[str]] = field(default_factory=dict)
    key_facts: list[str] = field(default_factory=list)
    filters: dict[str, Any] | None = None

    @property
    def split(self) -> str:
        """"dev" (thresholds, weights and rules are fitted here) or "test" (reported, gated)."""
        return split_of(self.id)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Question:
        answerable = bool(data.get("answerable", True))
        gold = {g["doc_id"]: list(g["spans"]) for g in data.get("gold") or []}
        if answerable and not gold:
            raise ValueError("an answerable question needs gold spans")
        if not str(data.get("question", "")).strip():
            raise ValueError("empty question")
        return cls(
            id=str(data["id"]), question=data["question"], type=data.get("type", "fact"),
            lang=data.get("lang", ""), answerable=answerable, gold=gold,
            key_facts=list(data.get("key_facts") or []), filters=data.get("filters") or None,
        )


def load_questions(path: Path, limit: int | None = None) -> list[Question]:
    """Parse a questions file; any malformed line raises QuestionError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QuestionError(f"cannot read questions file {path}: {exc}") from exc
    questions: list[Question] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            question = Question.from_json(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionError(f"{path}:{number}: {exc}") from exc
        if question.id in seen:
            raise QuestionError(f"{path}:{number}: duplicate id {question.id}")
        seen.add(question.id)
        questions.append(question)
    if not questions:
        raise QuestionError(f"{path}: no questions")
    return questions[:limit] if limit else questions


def load_probe(path: Path) -> list[Question]:
    """The held-out probe (eval/abstention_probe.jsonl), labelled answerable or not by kind
    ("answerable", "near-miss", "off-topic"); an answerable line carries one gold quote and no key
    facts. Someone who never saw questions.jsonl wrote it, so it is a second opinion on abstention
    and retrieval, never fitted on. Ids are "probe-<line>".
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QuestionError(f"cannot read probe file {path}: {exc}") from exc
    probe: list[Question] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            answerable = bool(data["answerable"])
            # An answerable line's evidence is "doc_id: verbatim quote", its one gold span.
            doc_id, quote = str(data["evidence"]).split(": ", 1) if answerable else ("", "")
            probe.append(Question(id=f"probe-{number}", question=str(data["question"]), type=str(data["kind"]),
                                  lang=str(data.get("lang", "")), answerable=answerable,
                                  gold={doc_id: [quote]} if answerable else {}))
        except (ValueError, KeyError, TypeError) as exc:
            raise QuestionError(f"{path}:{number}: {exc}") from exc
    return probe
