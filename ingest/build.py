"""`hindsight ingest`: corpus → chunks → vectors → FAISS + BM25, incremental and atomic.

The build is published through assistant/store (atomic `current` swap), so a failed or killed
run leaves the previous index serving.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.core.settings import Settings
from assistant.core.types import LEXICAL_TEXT
from assistant.embed.embedder import backend_version
from assistant.index.factory import vector_store
from assistant.index.indexes import LexicalIndex
from assistant.index.pgvector import VectorStoreError
from assistant.store.build_store import (
    FORMAT_VERSION,
    QUESTION_VECTORS,
    compatible_build,
    model_digest,
    read_answerability_file,
    read_offtopic_vectors,
)
from assistant.store.build_store import read_questions as read_build_questions
from assistant.store.build_writer import (
    StoreBusy,
    drop_staging,
    new_manifest,
    publish_build,
    writer_lock,
)
from ingest.doc_questions import attach, questions_digest, read_questions
from ingest.loaders import LoadError, SourceFile, load_document, scan
from ingest.plan import Plan, PreviousBuild, plan_documents
from ingest.push import PgVectorMirror, ensure_pushed

if TYPE_CHECKING:  # assemble pulls llama-index (chunker); imported only when something changed
    from llama_index.core.schema import Document

    from assistant.embed.embedder import Embedder
    from assistant.store.build_writer import BuildParts


class IngestError(RuntimeError):
    """Ingestion cannot run at all (no corpus, another ingest running)."""


@dataclass
class IngestReport:
    """What an ingest did: counts by status, failures with reasons, and time taken."""

    documents: int = 0
    chunks: int = 0
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failures: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # links out, hidden files: not read
    question_problems: list[dict[str, str]] = field(default_factory=list)  # corpus/questions/ lines skipped
    embedded: int = 0
    seconds: float = 0.0
    build_id: str | None = None
    published: bool = False

    @property
    def ok(self) -> bool:
        return self.chunks > 0

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["ok"] = self.ok
        return data


def build_params(settings: Settings) -> dict[str, Any]:
    """Everything that must match for a previous build's chunks and vectors to be reused."""
    return {
        "format": FORMAT_VERSION,
        "embedder": {
            "backend": settings.embedder, "model": settings.embedder_model,
            "version": backend_version(settings.embedder),
        },
        "chunking": {
            "splitter": "ChineseChunker/1",
            "chunk_size": settings.chunk_size,
            "chunk_overlap": settings.chunk_overlap,
        },
        "lexical": list(LexicalIndex.DIRS),
    }


def run_ingest(
    settings: Settings,
    embedder_factory: Callable[[], Embedder],
    rebuild: bool = False,
    progress: bool = True,
) -> IngestReport:
    """Bring the index in line with the corpus; embed only what is new or changed."""
    started = time.perf_counter()
    corpus = settings.corpus_dir
    if not corpus.is_dir():
        raise IngestError(f"corpus directory not found: {corpus}")
    try:
        with writer_lock(settings.index_dir):
            report = _ingest_locked(settings, embedder_factory, rebuild, progress)
    except StoreBusy as exc:
        raise IngestError(str(exc)) from exc
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _ingest_locked(
    settings: Settings, embedder_factory: Callable[[], Embedder], rebuild: bool, progress: bool
) -> IngestReport:
    drop_staging(settings.index_dir)  # a killed run's leftovers; we hold the lock
    found = scan(settings.corpus_dir)
    sources = found.files
    params = build_params(settings)
    previous = None if rebuild else _previous_build(settings.index_dir, params)
    model = _answerability_model(settings)
    same_model = previous is not None and previous.manifest.get("answerability") == model_digest(model)
    # A new recipe for the lexical text (e.g. more facets) rebuilds BM25 and reuses every vector.
    same_lexical = previous is not None and previous.manifest.get("lexical_text") == LEXICAL_TEXT
    # An edited questions file republishes the build, re-embedding only the questions that are new.
    same_questions = previous is not None and previous.manifest.get("questions") == questions_digest(settings.corpus_dir)
    if previous and same_model and same_lexical and same_questions and previous.same_sources(sources):
        _ensure_vector_rows(settings, previous)
        report = _unchanged_report(previous)
        report.skipped = found.skipped
        return report
    plan = plan_documents(sources, previous, _load)
    report = _report_from_plan(plan, previous, sources)
    report.skipped = found.skipped
    if not plan.ready:
        return report
    # lazy: llama-index (chunker) is only needed when something changed; unchanged re-ingest stays fast
    from ingest.assemble import assemble

    embedder: Embedder = embedder_factory()
    parts: BuildParts = assemble(plan.ready, previous, embedder, settings, progress)
    parts.answerability = model
    parts.offtopic_vectors = _offtopic_vectors(model, previous if same_model else None, embedder)
    report.question_problems = _attach_questions(settings.corpus_dir, parts, previous, embedder)
    report.embedded = parts.embedded
    report.documents, report.chunks = len(parts.documents), len(parts.chunks)
    if parts.chunks:
        report.build_id = _publish(settings, params, parts, plan.failures, embedder, sources)
        report.published = True
    return report


def _answerability_model(settings: Settings) -> dict[str, Any] | None:
    """The fitted answerability model every build carries (None when the file is absent)."""
    try:
        return read_answerability_file(settings.answerability_file)
    except ValueError as exc:
        raise IngestError(str(exc)) from exc


def _offtopic_vectors(model: dict[str, Any] | None, same: PreviousBuild | None, embedder: Embedder) -> np.ndarray | None:
    """The model's off-topic reference questions embedded as queries, by this build's embedder;
    a previous build with the same model already has them."""
    texts = [str(t) for t in (model or {}).get("offtopic") or []]
    if not texts:
        return None
    kept = read_offtopic_vectors(same.path) if same is not None else None
    if kept is not None and len(kept) == len(texts):
        return kept
    return np.asarray(embedder.embed_batch(texts, "query"), dtype=np.float32)


def _attach_questions(corpus: Path, parts: BuildParts, previous: PreviousBuild | None, embedder: Embedder) -> list[dict[str, str]]:
    """The corpus's questions files attached to the new chunks and embedded as queries (a question
    the previous build embedded is reused); returns the lines skipped, with why."""
    questions, problems = read_questions(corpus)
    attached, unplaced = attach(questions, parts.chunks)
    if attached:
        kept = _previous_question_vectors(previous)
        texts = list(dict.fromkeys(q.question for q in attached if q.question not in kept))
        if texts:
            kept.update(zip(texts, np.asarray(embedder.embed_batch(texts, "query"), dtype=np.float32), strict=True))
            parts.embedded += len(texts)
        parts.questions = attached
        parts.question_vectors = np.stack([kept[q.question] for q in attached]).astype(np.float32)
    return problems + unplaced


def _previous_question_vectors(previous: PreviousBuild | None) -> dict[str, np.ndarray]:
    """question → vector from the previous build (same embedder: the build params say so)."""
    if previous is None:
        return {}
    questions = read_build_questions(previous.path)
    if not questions:
        return {}
    vectors = np.load(previous.path / QUESTION_VECTORS)
    return {q.question: vectors[i] for i, q in enumerate(questions)}


def _load(source: SourceFile) -> Document | LoadError:
    try:
        return load_document(source)
    except LoadError as exc:
        return exc


def _report_from_plan(plan: Plan, previous: PreviousBuild | None, sources: list[SourceFile]) -> IngestReport:
    report = IngestReport(failures=plan.failures)
    for item in plan.ready:
        getattr(report, item.status).append(item.doc_id)
    if previous:
        present = {item.doc_id for item in plan.ready}
        report.removed = sorted(set(previous.documents) - present)
    return report


def _unchanged_report(previous: PreviousBuild) -> IngestReport:
    manifest = previous.manifest
    return IngestReport(
        documents=manifest["counts"]["documents"],
        chunks=manifest["counts"]["chunks"],
        unchanged=sorted(previous.documents),
        failures=[{"path": p, "reason": f["reason"]} for p, f in manifest.get("failures", {}).items()],
        build_id=manifest["build_id"],
    )


def _previous_build(index_dir: Path, params: dict[str, Any]) -> PreviousBuild | None:
    found = compatible_build(index_dir, params)
    return PreviousBuild(*found) if found else None


def _publish(
    settings: Settings,
    params: dict[str, Any],
    parts: BuildParts,
    failures: list[dict[str, str]],
    embedder: Embedder,
    sources: list[SourceFile],
) -> str:
    hashes = {s.relpath: s.content_hash for s in sources}
    manifest = new_manifest(parts, {
        "params": params,
        "embedder": embedder.identity(),
        "lexical": list(LexicalIndex.DIRS),
        "lexical_text": LEXICAL_TEXT,
        "answerability": model_digest(parts.answerability),
        "questions": questions_digest(settings.corpus_dir),
        "failures": {f["path"]: {"reason": f["reason"], "hash": hashes.get(f["path"])} for f in failures},
    })
    store = vector_store(settings)
    if store is None:
        return publish_build(settings.index_dir, parts, manifest)
    with closing(store):
        try:
            return publish_build(settings.index_dir, parts, manifest, PgVectorMirror(store))
        except VectorStoreError as exc:  # `current` is untouched: the previous build serves on
            raise IngestError(f"build {manifest['build_id']} not published, pushing its vectors failed: {exc}") from exc


def _ensure_vector_rows(settings: Settings, previous: PreviousBuild) -> None:
    """A build published before pgvector was switched on gets its rows pushed once."""
    store = vector_store(settings)
    if store is not None:
        with closing(store):
            ensure_pushed(store, previous.path, previous.manifest["build_id"])


def summary_line(report: IngestReport) -> str:
    """One human line for the end of an ingest."""
    return (
        f"{report.documents} documents, {report.chunks} chunks | new {len(report.new)}, "
        f"changed {len(report.changed)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, failed {len(report.failures)} | "
        f"embedded {report.embedded} texts in {report.seconds:.1f}s"
        + (f" | {len(report.question_problems)} question lines skipped" if report.question_problems else "")
    )


def dumps(report: IngestReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2)
