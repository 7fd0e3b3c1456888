"""Background ingest after a library change: one worker, queued jobs, progress a page can poll.

Several changes that queue up while an ingest runs are covered by the next single ingest (it
reads the whole corpus), so a burst of uploads costs one incremental build, not one each.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from assistant.core.settings import Settings
from assistant.embed.embedder import Embedder
from ingest.build import IngestError, IngestReport, run_ingest

log = logging.getLogger("hindsight.library")
JobState = Literal["queued", "running", "done", "failed"]
KEEP_JOBS = 200


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
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class IngestJobs:
    """Queue of library jobs served by one daemon thread; on_published runs after each new build."""

    def __init__(
        self, settings: Settings, embedder: Callable[[], Embedder], on_published: Callable[[], None],
    ) -> None:
        self.settings = settings
        self._make_embedder = embedder
        self._embedder: Embedder | None = None  # the worker's own: never shared with queries
        self.on_published = on_published
        self._jobs: dict[str, IngestJob] = {}
        self._pending: list[IngestJob] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, action: str, target: str) -> IngestJob:
        """Queue an ingest for a change already made to the corpus."""
        job = IngestJob(uuid.uuid4().hex[:12], action, target)
        with self._wake:
            self._jobs[job.id] = job
            self._pending.append(job)
            self._forget_old()
            self._start()
            self._wake.notify()
        return job

    def get(self, job_id: str) -> IngestJob | None:
        return self._jobs.get(job_id)

    def recent(self, limit: int = 20) -> list[IngestJob]:
        return list(self._jobs.values())[-limit:][::-1]

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._work, name="library-ingest", daemon=True)
            self._thread.start()

    def _forget_old(self) -> None:
        for old in list(self._jobs)[:-KEEP_JOBS]:
            if self._jobs[old].state in ("done", "failed"):
                del self._jobs[old]

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    self._wake.wait()
                batch, self._pending = self._pending, []
            self._run(batch)

    def _run(self, batch: list[IngestJob]) -> None:
        for job in batch:
            job.state, job.message = "running", "reading, chunking and embedding the changed files"
        try:
            report = run_ingest(self.settings, self._worker_embedder, progress=False)
        except (IngestError, OSError, RuntimeError, ValueError) as exc:
            log.exception("library ingest failed")
            self._finish(batch, "failed", f"ingest failed: {exc}", None)
            return
        if report.published:
            self.on_published()
        self._finish(batch, "done", _summary(report), report)

    def _worker_embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._make_embedder()
        return self._embedder

    def _finish(self, batch: list[IngestJob], state: JobState, message: str, report: IngestReport | None) -> None:
        for job in batch:
            job.state, job.message, job.finished_at = state, message, _now()
            if report is not None:
                job.build_id = report.build_id
                job.failures = [f for f in report.failures if f["path"] == job.target]
                if job.failures:
                    job.state, job.message = "failed", f"{job.target}: {job.failures[0]['reason']}"


def _summary(report: IngestReport) -> str:
    changed = len(report.new) + len(report.changed) + len(report.removed)
    if not report.published:
        return "nothing to change: the index was already up to date"
    return (f"searchable now: build {report.build_id}, {report.documents} documents, "
            f"{report.chunks} chunks ({changed} changed, {report.embedded} texts embedded)")
