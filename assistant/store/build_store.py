"""Read index builds: the on-disk layout, its manifest, and the `current` build loaded for serving.

assistant/store/build_writer.py is the only writer; this module is the only reader.

    <index_dir>/current -> builds/<build_id>
    <index_dir>/builds/<build_id>/
        manifest.json         embedder, dimension, chunking, tokenizer, per-document hashes, counts
        documents.jsonl       original text + metadata per document (what citations open)
        chunks.jsonl          one Chunk per line; row i ↔ row i of vectors.npy and the indexes
        vectors.npy           chunk vectors (float32, L2-normalised)
        sentences.jsonl       sentence spans (doc_id, start, end); row i ↔ sentence_vectors.npy
        sentence_vectors.npy
        dense.faiss           FAISS index over vectors.npy
        bm25/                 bm25s arrays + vocabulary over character bigrams (JSON/npy, no pickle)
        bm25-words/           the same over jieba words
        answerability.json    the fitted answerability model (assistant/answer/answerability.py)
        offtopic_vectors.npy  its off-topic reference questions (model["offtopic"]) embedded as queries
        questions.jsonl       questions each chunk answers (corpus/questions/, ingest/doc_questions.py)
        question_vectors.npy  row i ↔ questions.jsonl row i, embedded as queries
        bm25-questions/       bigram BM25 over each chunk's questions joined; row i ↔ chunk i
    (the three question parts only when the corpus has questions files)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.types import Chunk, ChunkQuestion, Sentence
from assistant.index.factory import DenseOpener, open_faiss
from assistant.index.indexes import Index, LexicalIndex
from assistant.index.pgvector import VectorStoreError
from assistant.text import CJK, fold_compact, normalize

FORMAT_VERSION = 1
CURRENT = "current"
BUILDS = "builds"
ANSWERABILITY = "answerability.json"
OFFTOPIC_VECTORS = "offtopic_vectors.npy"
QUESTIONS = "questions.jsonl"
QUESTION_VECTORS = "question_vectors.npy"
QUESTION_INDEX = "bm25-questions"


class IndexUnavailable(RuntimeError):
    """No usable index: missing, half-written or corrupt; the message says which."""


@dataclass
class StoredDocument:
    doc_id: str
    text: str
    metadata: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"doc_id": self.doc_id, "text": self.text, "metadata": self.metadata}


@dataclass
class LoadedIndex:
    """Everything retrieval and answering read, loaded once and shared read-only."""

    path: Path
    manifest: dict[str, Any]
    documents: dict[str, StoredDocument]
    chunks: list[Chunk]
    vectors: np.ndarray
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    dense: Index  # FAISS files or pgvector rows (assistant/index/factory.py)
    lexical: LexicalIndex
    words: LexicalIndex
    answerability: dict[str, Any] | None = None
    offtopic_vectors: np.ndarray | None = None  # the answerability model's off-topic references
    questions: list[ChunkQuestion] = field(default_factory=list)  # what chunks answer (corpus/questions/)
    question_vectors: np.ndarray | None = None  # row i ↔ questions[i]
    question_index: LexicalIndex | None = None  # BM25 over each chunk's questions, row i ↔ chunk i
    _search_texts: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def build_id(self) -> str:
        return str(self.manifest.get("build_id"))

    def search_text(self, row: int) -> str:
        """The normalised text the lexical indexes saw for a chunk (title, section, facets, passage); cached."""
        text = self._search_texts.get(row)
        if text is None:
            text = self._search_texts[row] = normalize(self.chunks[row].lexical_text())
        return text

    @cached_property
    def folded_documents(self) -> list[str]:
        """Every document's text normalised (text.normalize: simplified, lower case), once per build."""
        return [normalize(d.text) for d in self.documents.values()]

    @cached_property
    def question_rows(self) -> np.ndarray:
        """The chunk row of each question (row i ↔ questions[i])."""
        rows = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        return np.array([rows[q.chunk_id] for q in self.questions], dtype=np.int64)

    @cached_property
    def questions_of_chunk(self) -> dict[str, list[int]]:
        """The rows of questions.jsonl (and question_vectors) each chunk answers, by chunk id."""
        rows: dict[str, list[int]] = {}
        for i, q in enumerate(self.questions):
            rows.setdefault(q.chunk_id, []).append(i)
        return rows

    @cached_property
    def folded_quotes(self) -> list[str]:
        """Each question's quote as fold_compact folds it (row i ↔ questions[i]), once per build."""
        return [fold_compact(q.quote) for q in self.questions]

    @cached_property
    def questions_of_doc(self) -> dict[str, list[int]]:
        """The rows of questions.jsonl each document answers (through its chunks), by doc id; a
        question attached to several chunks of it (overlapping chunks hold its quote) counts once."""
        doc_of = {c.chunk_id: c.doc_id for c in self.chunks}
        rows: dict[str, dict[tuple[str, str], int]] = {}
        for i, q in enumerate(self.questions):
            rows.setdefault(doc_of[q.chunk_id], {}).setdefault((q.question, q.quote), i)
        return {doc_id: list(first.values()) for doc_id, first in rows.items()}

    @cached_property
    def byline_names(self) -> dict[str, tuple[str, ...]]:
        """The names each document's author and source go by, folded ("光子星球", "utechfun.com"), by doc id."""
        return {doc_id: names for doc_id, doc in self.documents.items() if (names := byline_names(doc.metadata))}

    @cached_property
    def aliases(self) -> dict[str, frozenset[str]]:
        """The pseudonyms the documents give their customers and rivals (化名“鲜达超市”, 化名，下称“华东集团”),
        folded, with the documents that name them."""
        found = {normalize(m.group(1)) for d in self.documents.values() for m in ALIAS.finditer(d.text)}
        return {a: frozenset(doc_id for doc_id, folded in zip(self.documents, self.folded_documents, strict=True)
                             if a in folded) for a in found if a}

    @cached_property
    def questioned_docs(self) -> frozenset[str]:
        """The documents with questions written for them (corpus/questions/)."""
        by_chunk = {c.chunk_id: c.doc_id for c in self.chunks}
        return frozenset(by_chunk[q.chunk_id] for q in self.questions)

    @cached_property
    def compact_documents(self) -> list[str]:
        """folded_documents without white space ("签 3 年排他" → "签3年排他"), once per build."""
        return [fold_compact(d.text) for d in self.documents.values()]


# A pseudonym as the postmortem template asks for it (corpus/postmortems/README.md): 化名“X”, 化名，下称“X”.
ALIAS = re.compile(r"化名[，,]?(?:下称)?[“\"]([^”\"]{2,12})[”\"]")
# Where a byline splits into names: "光子星球（转载于 utechfun.com）", "A & B / C", "人人都是产品经理（来源公众号：Alter聊科技）".
BYLINE_SPLIT = re.compile(r"[（）()&/,，、|]|转载于|轉載於|来源公众号[:：]?|來源公眾號[:：]?")
BYLINE_FIELDS = ("author", "source")


def byline_names(metadata: dict[str, Any]) -> tuple[str, ...]:
    """The folded names in a document's author and source fields, each of 3 letters or 2 Chinese characters or more."""
    names = []
    for field_name in BYLINE_FIELDS:
        value = metadata.get(field_name)
        for piece in BYLINE_SPLIT.split(str(value)) if value else []:
            name = normalize(piece).strip()
            if len(name) >= (2 if CJK.search(name) else 3) and name != "null":
                names.append(name)
    return tuple(dict.fromkeys(names))


def current_build(index_dir: Path) -> Path | None:
    """The directory `current` points at, or None when there is no index yet."""
    link = index_dir / CURRENT
    if not link.exists():
        return None
    return link.resolve()


def current_target(index_dir: Path) -> str | None:
    """Where `current` points (a relative path), read without following it; None if absent."""
    try:
        return os.readlink(index_dir / CURRENT)
    except OSError:
        return None


def compatible_build(index_dir: Path, params: dict[str, Any]) -> tuple[Path, dict[str, Any]] | None:
    """The current build and its manifest when it was built with these params, else None."""
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        manifest = read_manifest(build)
    except IndexUnavailable:
        return None  # A corrupt previous build is rebuilt from scratch, never trusted.
    return (build, manifest) if manifest.get("params") == params else None


def read_manifest(build: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"unreadable manifest in {build}: {exc}") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexUnavailable(f"index format {manifest.get('format')} != {FORMAT_VERSION}")
    return manifest


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_index(index_dir: Path, open_dense: DenseOpener = open_faiss) -> LoadedIndex:
    """Load the current build, checking that its parts agree with each other and the manifest."""
    build = current_build(index_dir)
    if build is None:
        raise IndexUnavailable(f"no index at {index_dir}; run `hindsight ingest`")
    manifest = read_manifest(build)
    try:
        loaded = _load_parts(build, manifest, open_dense)
    except VectorStoreError as exc:
        raise IndexUnavailable(f"dense index of build {build.name} unavailable: {exc}") from exc
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise IndexUnavailable(f"corrupt index {build.name}: {exc}") from exc
    _check_consistent(loaded)
    return loaded


def _load_parts(build: Path, manifest: dict[str, Any], open_dense: DenseOpener) -> LoadedIndex:
    docs = {d["doc_id"]: StoredDocument(**d) for d in read_jsonl(build / "documents.jsonl")}
    return LoadedIndex(
        path=build,
        manifest=manifest,
        documents=docs,
        chunks=[Chunk.from_json(c) for c in read_jsonl(build / "chunks.jsonl")],
        vectors=np.load(build / "vectors.npy", mmap_mode="r"),
        sentences=[Sentence(**s) for s in read_jsonl(build / "sentences.jsonl")],
        sentence_vectors=np.load(build / "sentence_vectors.npy", mmap_mode="r"),
        dense=open_dense(build, str(manifest.get("build_id"))),
        lexical=LexicalIndex.load(build, "bigram"),
        words=LexicalIndex.load(build, "jieba"),
        answerability=read_answerability_file(build / ANSWERABILITY),
        offtopic_vectors=read_offtopic_vectors(build),
        **_question_parts(build),
    )


def _question_parts(build: Path) -> dict[str, Any]:
    """The build's questions, their vectors and BM25 index; nothing for a build without them."""
    if not (build / QUESTIONS).is_file():
        return {}
    return {
        "questions": read_questions(build),
        "question_vectors": np.load(build / QUESTION_VECTORS),
        "question_index": LexicalIndex.load(build, "bigram", QUESTION_INDEX),
    }


def read_questions(build: Path) -> list[ChunkQuestion]:
    """The build's chunk questions ([] for a build without them)."""
    path = build / QUESTIONS
    return [ChunkQuestion(**row) for row in read_jsonl(path)] if path.is_file() else []


def questions_by_chunk(questions: list[ChunkQuestion]) -> dict[str, list[str]]:
    """Each chunk's questions, in file order."""
    joined: dict[str, list[str]] = {}
    for q in questions:
        joined.setdefault(q.chunk_id, []).append(q.question)
    return joined


def read_offtopic_vectors(build: Path) -> np.ndarray | None:
    """The build's embedded off-topic references, None for a build without them."""
    path = build / OFFTOPIC_VECTORS
    return np.load(path) if path.is_file() else None


def read_answerability_file(path: Path) -> dict[str, Any] | None:
    """A fitted answerability model (a JSON object), None when there is no such file."""
    if not path.is_file():
        return None
    try:
        model = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"unreadable answerability model {path}: {exc}") from exc
    if not isinstance(model, dict) or not isinstance(model.get("weights"), dict):
        raise ValueError(f"answerability model {path} has no 'weights' object")
    return model


def model_digest(model: dict[str, Any] | None) -> str | None:
    """A short fingerprint of a model, recorded in the manifest so a refit triggers a new build."""
    if model is None:
        return None
    return hashlib.sha256(json.dumps(model, sort_keys=True).encode()).hexdigest()[:16]


def _check_consistent(ix: LoadedIndex) -> None:
    counts = ix.manifest.get("counts", {})
    n = len(ix.chunks)
    problems = []
    if counts.get("chunks") != n:
        problems.append(f"manifest says {counts.get('chunks')} chunks, chunks.jsonl has {n}")
    if len(ix.vectors) != n or len(ix.dense) != n or len(ix.lexical) != n or len(ix.words) != n:
        rows = f"{len(ix.vectors)}/{len(ix.dense)}/{len(ix.lexical)}/{len(ix.words)}"
        problems.append(f"vectors/dense/bm25/bm25-words rows {rows} != {n}")
    if len(ix.sentence_vectors) != len(ix.sentences):
        problems.append("sentence vectors do not match sentences.jsonl")
    problems += _question_problems(ix)
    if problems:
        raise IndexUnavailable(f"inconsistent index {ix.path.name}: " + "; ".join(problems))


def _question_problems(ix: LoadedIndex) -> list[str]:
    if not ix.questions:
        return []
    problems = []
    if ix.question_vectors is None or len(ix.question_vectors) != len(ix.questions):
        problems.append("question vectors do not match questions.jsonl")
    if ix.question_index is None or len(ix.question_index) != len(ix.chunks):
        problems.append(f"{QUESTION_INDEX} rows do not match the chunks")
    known = {c.chunk_id for c in ix.chunks}
    if any(q.chunk_id not in known for q in ix.questions):
        problems.append("questions.jsonl names a chunk the build lacks")
    return problems
