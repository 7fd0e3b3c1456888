"""Typed records that travel through the pipeline; each result carries its evidence."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters and fragments that track a reader, not name a page: WeChat's (chksm, scene …, "#rd")
# and the common campaign ones. A source's link drops them when shown (round-13 trial); the corpus
# keeps the URL it was fetched from.
TRACKING = re.compile(r"^(?:utm_\w+|chksm|scene|subscene|sessionid|clicktime|enterid|isappinstalled|from|spm|share_\w+)$")
TRACKING_FRAGMENTS = {"rd", "wechat_redirect"}


def display_url(url: str | None) -> str | None:
    """A source's link as shown to a reader: the same page without tracking parameters."""
    if not url:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)]
    fragment = "" if parts.fragment in TRACKING_FRAGMENTS else parts.fragment
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="=/"), fragment))


@dataclass(frozen=True)
class Chunk:
    """One retrievable passage: a verbatim slice [start, end) of its document's text."""

    chunk_id: str
    doc_id: str
    text: str
    start: int
    end: int
    section: str
    title: str
    url: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    sentence_ids: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["sentence_ids"] = list(self.sentence_ids)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Chunk:
        return cls(**{**data, "sentence_ids": tuple(data.get("sentence_ids", ()))})

    def search_text(self) -> str:
        """What the embedder sees for a chunk: its title and section give it context."""
        return f"{self.title}\n{self.section}\n{self.text}"

    def lexical_text(self) -> str:
        """What the lexical indexes see: the search text plus its document's facets. A postmortem's
        body rarely names its own industry or customer ("零售" is only in its front matter), yet
        users ask "零售项目怎么避免延期？". Not embedded: in the vectors the facets cost as many dev
        questions as they gained (docs/retrieval.md, round 7b)."""
        facets = " ".join(_facet_values(self.metadata))
        return f"{self.title}\n{self.section}\n{facets}\n{self.text}" if facets else self.search_text()


# Document metadata a user names a project by (postmortem front matter, article tags).
FACETS = ("industry", "customer_segment", "project", "phase", "outcome")
# A postmortem's outcome is an English code; users ask in the words corpus/postmortems/README.md
# gives for it ("哪些项目丢单了？", "试用期 丢单 原因"), which no postmortem body writes.
OUTCOME_LABELS = {"lost": "丢单", "stalled": "停滞", "delivered-late": "延期交付", "delivered": "已交付",
                  "cancelled": "取消"}
LEXICAL_TEXT = "+".join(("title", "section", *FACETS, "outcome-labels", "text"))  # in the manifest: a change republishes


def _facet_values(metadata: dict[str, Any]) -> list[str]:
    values = [metadata.get(key) for key in FACETS]
    words = [str(item) for value in values if value for item in (value if isinstance(value, list) else [value])]
    label = OUTCOME_LABELS.get(str(metadata.get("outcome")))
    return [*words, label] if label else words


@dataclass(frozen=True)
class Sentence:
    """A sentence of a document, the unit the extractive answerer quotes."""

    doc_id: str
    start: int
    end: int


@dataclass(frozen=True)
class ChunkQuestion:
    """A question a chunk answers, curated beside its document (corpus/questions/, doc2query), with
    the verbatim quote of the document that answers it and the question's language."""

    chunk_id: str
    question: str
    quote: str
    lang: str


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the per-retriever ranks behind it."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    bm25_rank: int | None = None
    dense_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The passage as the API shows it: where it is, what it says, how it ranked."""
        c = self.chunk
        return {
            "chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title, "url": display_url(c.url),
            "section": c.section, "text": c.text, "score": round(self.score, 6),
            "start": c.start, "end": c.end, "doc_type": c.metadata.get("doc_type"),
            "dense_rank": self.dense_rank, "bm25_rank": self.bm25_rank,
        }


NO_SECTION = {"", "—", "-", "–"}
# The postmortem template's five sections, in order: (form field, heading). The form writes them
# (ingest/postmortem_form.py); answering reads their roles (assistant/answer/extractive.py).
POSTMORTEM_SECTIONS = (
    ("background", "背景"), ("timeline", "经过"), ("root_cause", "根因"),
    ("lessons", "教训"), ("actions", "行动项"),
)
SNIPPET_CHARS = 60


def section_path(chunk: Chunk) -> list[str]:
    """The chunk's heading path without placeholders or a heading that repeats the title."""
    return section_parts(chunk.section, chunk.title)


def section_parts(section: str, title: str) -> list[str]:
    """A "h1 > h2 > …" heading path as a list, without placeholders or a heading that repeats the title."""
    parts = [p.strip() for p in section.split(" > ")]
    return [p for p in parts if p not in NO_SECTION and p != title.strip()]


@dataclass
class Citation:
    """A numbered source in an answer: the cited passage, verbatim at [start, end) of doc_id.

    `section_path` and `snippet` (the cited evidence, shortened) let a reader tell two
    citations of one document apart. `display_title` is the title as the answer's own labels
    write it (《…》 in the question's script); empty means the title as published.
    """

    n: int
    hit: Hit
    section_path: list[str] = field(default_factory=list)
    snippet: str = ""
    display_title: str = ""

    def __post_init__(self) -> None:
        if not self.section_path:
            self.section_path = section_path(self.hit.chunk)
        if not self.snippet:
            self.snippet = _shorten(" ".join(self.hit.chunk.text.split()))

    def to_json(self) -> dict[str, Any]:
        """The hit's passage fields plus its number, section path, snippet and publication."""
        meta = self.hit.chunk.metadata
        data = {"n": self.n, **self.hit.to_json()}
        data["section_path"] = list(self.section_path)
        data["snippet"] = self.snippet
        data["display_title"] = self.display_title or data["title"]
        for rank in ("dense_rank", "bm25_rank"):
            data.pop(rank)
        data["source"] = meta.get("source") or meta.get("author")
        data["published"] = meta.get("published") or meta.get("date")
        return data


def _shorten(text: str, limit: int = SNIPPET_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


ANSWER_KINDS = ("lead", "point", "label", "frame")


@dataclass
class AnswerSentence:
    """One sentence of an answer, the citation numbers it carries, and whether they support it.

    kind: "lead" (the direct answer, cited), "point" (a distinct cited point), "label" (an
    uncited section label) or "frame" (an uncited framing line, e.g. for English questions).
    """

    text: str
    citations: list[int]
    supported: bool = True
    support: float = 1.0
    # For extractive answers: where the sentence sits in its source document.
    doc_id: str | None = None
    start: int | None = None
    end: int | None = None
    kind: str = "point"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    """An answer with its citations, per-sentence verdicts and a trace of how it was made."""

    text: str
    citations: list[Citation]
    sentences: list[AnswerSentence]
    abstained: bool
    answerer: str
    trace: dict[str, Any] = field(default_factory=dict)
    # An abstention's closest passages, offered as "possibly related": no sentence cites them.
    related: list[Citation] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "citations": [c.to_json() for c in self.citations],
            "sentences": [s.to_json() for s in self.sentences],
            "abstained": self.abstained,
            "answerer": self.answerer,
            "trace": self.trace,
            "related": [c.to_json() for c in self.related],
        }
