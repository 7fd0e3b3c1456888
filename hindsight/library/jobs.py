"""Background ingest after a library change: one worker thread, queued jobs, progress a page can poll.

Several changes that queue up while an ingest runs are covered by the next single ingest (it
reads the whole corpus), so a burst of uploads costs one incremental build, not one each.
Job records are small JSON files under data_dir/library-jobs, so every server worker process
(`serve --workers 2`) reports the same progress, whichever process runs the ingest; when two
processes want to ingest at once, the second waits for the first's lock.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from assistant.core.settings import Settings
from assistant.embed.embedder import Embedder
from ingest.build import IngestError, IngestReport, run_ingest

log = logging.getLogger("hindsight.library")
JobState = Literal["queued", "running", "done", "failed"]
KEEP_JOBS = 200
LOCK_WAIT_SECONDS = 300.0


@dataclass
class IngestJob:
    """One library change and the ingest that makes it searchable."""

    id: str
    action: str
    target: str
    state: JobState = "queued"
    message: str = "waiting for the ingest worker"
    build_id: str | None = None
    created_at: str = field(default_factory=lambda: _now())
    finished_at: str | None = None
    failures: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class JobRecords:
    """Job records as JSON files, one per job, replaced atomically on every change."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, job: IngestJob) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        temp = self.directory / f".{job.id}.{os.getpid()}.tmp"
        temp.write_text(json.dumps(job.to_json(), ensure_ascii=False), encoding="utf-8")
        os.replace(temp, self.directory / f"{job.id}.json")

    def get(self, job_id: str) -> IngestJob | None:
        try:
            return IngestJob(**json.loads((self.directory / f"{job_id}.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    def recent(self, limit: int) -> list[IngestJob]:
        """The newest jobs first; older records beyond KEEP_JOBS are pruned."""
        jobs = [j for j in (self.get(p.stem) for p in self._files()) if j is not None]
        jobs.sort(key=lambda j: j.created_at, reverse=True)
        for old in jobs[KEEP_JOBS:]:
            (self.directory / f"{old.id}.json").unlink(missing_ok=True)
        return jobs[:limit]

    def _files(self) -> list[Path]:
        return sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []


class IngestJobs:
    """Queue of library jobs served by one daemon thread; on_published runs after each new build."""

    def __init__(
        self, settings: Settings, embedder: Callable[[], Embedder], on_published: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.records = JobRecords(settings.data_dir / "library-jobs")
        self._make_embedder = embedder
        self._embedder: Embedder | None = None  # the worker's own: never shared with queries
        self.on_published = on_published
        self._pending: list[IngestJob] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, action: str, target: str) -> IngestJob:
        """Queue an ingest for a change already made to the corpus."""
        job = IngestJob(uuid.uuid4().hex[:12], action, target)
        self.records.save(job)
        with self._wake:
            self._pending.append(job)
            self._start()
            self._wake.notify()
        return job

    def get(self, job_id: str) -> IngestJob | None:
        return self.records.get(job_id)

    def recent(self, limit: int = 20) -> list[IngestJob]:
        return self.records.recent(limit)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="library-ingest", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    self._wake.wait()
                batch, self._pending = self._pending, []
            self._run(batch)

    def _run(self, batch: list[IngestJob]) -> None:
        self._update(batch, "running", "reading, chunking and embedding the changed files")
        try:
            report = self._ingest()
        except (IngestError, OSError, RuntimeError, ValueError) as exc:
            log.exception("library ingest failed")
            self._finish(batch, "failed", f"ingest failed: {exc}", None)
            return
        if report.published:
            self.on_published()
        self._finish(batch, "done", _summary(report), report)

    def _ingest(self) -> IngestReport:
        """run_ingest, waiting while another process (a CLI ingest, another worker) holds the lock."""
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                return run_ingest(self.settings, self._worker_embedder, progress=False)
            except IngestError as exc:
                if "another ingest is running" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def _worker_embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._make_embedder()
        return self._embedder

    def _update(self, batch: list[IngestJob], state: JobState, message: str) -> None:
        for job in batch:
            job.state, job.message = state, message
            self.records.save(job)

    def _finish(self, batch: list[IngestJob], state: JobState, message: str, report: IngestReport | None) -> None:
        for job in batch:
            job.state, job.message, job.finished_at = state, message, _now()
            if report is not None:
                job.build_id = report.build_id
                job.failures = [f for f in report.failures if f["path"] == job.target]
                if job.failures:
                    job.state, job.message = "failed", f"{job.target}: {job.failures[0]['reason']}"
            self.records.save(job)


def _summary(report: IngestReport) -> str:
    changed = len(report.new) + len(report.changed) + len(report.removed)
    if not report.published:
        return "nothing to change: the index was already up to date"
    return (f"searchable now: build {report.build_id}, {report.documents} documents, "
            f"{report.chunks} chunks ({changed} changed, {report.embedded} texts embedded)")
