"""The document library: what is in the corpus and the index, and the changes a librarian makes.

Every change edits the corpus directory (never the index) and queues an incremental ingest;
the index holder picks up the published build, so the change is searchable without a restart.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.core.settings import Settings
from assistant.store.build_store import LoadedIndex
from hindsight.library.jobs import IngestJob, IngestJobs
from ingest.corpus_files import (
    FOLDER_BY_TYPE,
    CorpusWriteError,
    add_file,
    move_to_trash,
    safe_filename,
)
from ingest.loaders import discover
from ingest.postmortem_form import PostmortemForm

Status = Literal["indexed", "failed", "pending", "removing"]


@dataclass
class LibraryEntry:
    """One document as the library page and `hindsight docs list` show it."""

    path: str
    status: Status
    doc_id: str | None = None
    title: str = ""
    doc_type: str | None = None
    date: str | None = None
    tags: list[str] = field(default_factory=list)
    chunks: int = 0
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def list_library(settings: Settings, index: LoadedIndex | None) -> list[LibraryEntry]:
    """Corpus files with their ingest status, plus indexed documents whose file is gone."""
    manifest = index.manifest if index is not None else {}
    by_path = {entry["path"]: (doc_id, entry) for doc_id, entry in manifest.get("documents", {}).items()}
    failures = manifest.get("failures", {})
    entries = []
    sources = discover(settings.corpus_dir) if settings.corpus_dir.is_dir() else []
    for source in sources:
        known = by_path.pop(source.relpath, None)
        failed = failures.get(source.relpath)
        if known and known[1]["hash"] == source.content_hash:
            entries.append(_indexed(source.relpath, known[0], known[1], index))
        elif failed and failed.get("hash") == source.content_hash:
            entries.append(LibraryEntry(source.relpath, "failed", title=source.relpath, reason=failed["reason"]))
        else:
            entries.append(LibraryEntry(source.relpath, "pending", title=source.relpath))
    for path, (doc_id, entry) in by_path.items():
        gone = _indexed(path, doc_id, entry, index)
        gone.status = "removing"
        entries.append(gone)
    return sorted(entries, key=lambda e: (e.doc_type or "", e.date or "", e.path), reverse=True)


def _indexed(path: str, doc_id: str, entry: dict[str, Any], index: LoadedIndex | None) -> LibraryEntry:
    doc = index.documents.get(doc_id) if index is not None else None
    meta = doc.metadata if doc is not None else {}
    tags = meta.get("tags") or []
    return LibraryEntry(
        path, "indexed", doc_id, str(entry.get("title") or doc_id), entry.get("doc_type"),
        _date(meta), [str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
        int(entry.get("chunks") or 0),
    )


def _date(meta: dict[str, Any]) -> str | None:
    value = meta.get("date") or meta.get("published")
    return str(value)[:10] if value else None


class Library:
    """Library writes: each edits the corpus, then queues the ingest that publishes it."""

    def __init__(self, settings: Settings, jobs: IngestJobs) -> None:
        self.settings = settings
        self.jobs = jobs

    def upload(self, filename: str, data: bytes, doc_type: str = "document") -> IngestJob:
        """Save an uploaded file into the corpus folder of its type; CorpusWriteError if refused."""
        folder = FOLDER_BY_TYPE.get(doc_type)
        if folder is None:
            raise CorpusWriteError(f"unknown document type {doc_type!r}; one of {sorted(FOLDER_BY_TYPE)}")
        relpath = f"{folder}/{safe_filename(filename)}"
        add_file(self.settings.corpus_dir, relpath, data, self.settings.max_upload_bytes)
        return self.jobs.submit("add", relpath)

    def add_postmortem(self, form: PostmortemForm) -> IngestJob:
        """Write the postmortem as postmortems/<id>.md and ingest it."""
        data = form.to_markdown().encode("utf-8")
        add_file(self.settings.corpus_dir, form.relpath, data, self.settings.max_upload_bytes)
        return self.jobs.submit("add", form.relpath)

    def delete(self, relpath: str) -> IngestJob:
        """Move a document's file to the trash (data_dir/trash) and ingest without it."""
        move_to_trash(self.settings.corpus_dir, relpath, self.settings.trash_dir)
        return self.jobs.submit("delete", relpath)
