"""`hindsight ingest`: corpus → chunks → vectors → FAISS + BM25, incremental and atomic.

A build is written into a fresh directory and published by atomically replacing the
`current` symlink, so a failed or killed run leaves the previous index serving.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.core.settings import Settings
from assistant.index.indexes import LexicalIndex
from assistant.store.build_store import (
    BUILDS,
    CURRENT,
    FORMAT_VERSION,
    IndexUnavailable,
    current_build,
    model_digest,
    read_answerability_file,
    read_manifest,
)
from ingest.loaders import LoadError, SourceFile, discover, load_document
from ingest.plan import Plan, PreviousBuild, plan_documents

if TYPE_CHECKING:  # the writer pulls llama-index (chunker); imported only when something changed
    from llama_index.core.schema import Document

    from assistant.embed.embedder import Embedder
    from ingest.writer import BuildParts

KEEP_BUILDS = 2


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
        "embedder": {"backend": settings.embedder, "model": settings.embedder_model},
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
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with _ingest_lock(settings.index_dir):
        report = _ingest_locked(settings, embedder_factory, rebuild, progress)
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _ingest_locked(
    settings: Settings, embedder_factory: Callable[[], Embedder], rebuild: bool, progress: bool
) -> IngestReport:
    sources = discover(settings.corpus_dir)
    params = build_params(settings)
    previous = None if rebuild else _previous_build(settings.index_dir, params)
    model = _answerability_model(settings)
    same_model = previous is not None and previous.manifest.get("answerability") == model_digest(model)
    if previous and same_model and previous.same_sources(sources):
        return _unchanged_report(previous)
    plan = plan_documents(sources, previous, _load)
    report = _report_from_plan(plan, previous, sources)
    if not plan.ready:
        return report
    from ingest.writer import assemble

    embedder: Embedder = embedder_factory()
    parts: BuildParts = assemble(plan.ready, previous, embedder, settings, progress)
    parts.answerability = model
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
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        manifest = read_manifest(build)
    except IndexUnavailable:
        return None  # A corrupt previous build is rebuilt from scratch, never trusted.
    if manifest.get("params") != params:
        return None
    return PreviousBuild(build, manifest)


def _publish(
    settings: Settings,
    params: dict[str, Any],
    parts: BuildParts,
    failures: list[dict[str, str]],
    embedder: Embedder,
    sources: list[SourceFile],
) -> str:
    builds = settings.index_dir / BUILDS
    builds.mkdir(exist_ok=True)
    build_id = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    staging = builds / f".tmp-{build_id}"
    hashes = {s.relpath: s.content_hash for s in sources}
    manifest = {
        "format": FORMAT_VERSION,
        "build_id": build_id,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "params": params,
        "embedder": embedder.identity(),
        "lexical": list(LexicalIndex.DIRS),
        "answerability": model_digest(parts.answerability),
        "counts": {
            "documents": len(parts.documents),
            "chunks": len(parts.chunks),
            "sentences": len(parts.sentences),
        },
        "documents": parts.doc_entries,
        "failures": {f["path"]: {"reason": f["reason"], "hash": hashes.get(f["path"])} for f in failures},
    }
    from ingest.writer import write_build

    write_build(staging, parts, manifest)
    final = builds / build_id
    staging.rename(final)
    _swap_current(settings.index_dir, final)
    _collect_garbage(builds, keep=final)
    return build_id


def _swap_current(index_dir: Path, build: Path) -> None:
    """Point `current` at build with one atomic rename; readers see old or new, never neither."""
    tmp_link = index_dir / f".{CURRENT}.{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(Path(BUILDS) / build.name)
    os.replace(tmp_link, index_dir / CURRENT)
    _fsync_dir(index_dir)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _collect_garbage(builds: Path, keep: Path) -> None:
    """Keep the newest builds (the previous one may still be served) and drop staging leftovers."""
    finished = sorted((p for p in builds.iterdir() if not p.name.startswith(".")), reverse=True)
    for old in finished[KEEP_BUILDS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in builds.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


@contextmanager
def _ingest_lock(index_dir: Path) -> Iterator[None]:
    """One ingest at a time per index directory (the lock dies with the process)."""
    with (index_dir / ".ingest.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IngestError(f"another ingest is running on {index_dir}") from exc
        yield




def summary_line(report: IngestReport) -> str:
    """One human line for the end of an ingest."""
    return (
        f"{report.documents} documents, {report.chunks} chunks | new {len(report.new)}, "
        f"changed {len(report.changed)}, unchanged {len(report.unchanged)}, "
        f"removed {len(report.removed)}, failed {len(report.failures)} | "
        f"embedded {report.embedded} texts in {report.seconds:.1f}s"
    )


def dumps(report: IngestReport) -> str:
    return json.dumps(report.to_json(), ensure_ascii=False, indent=2)
