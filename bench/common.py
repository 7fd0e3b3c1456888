"""Shared bench helpers: percentiles, Markdown tables, child-process timing and a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from testing.live_server import free_port, stop_process, wait_ready

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "eval" / "questions.jsonl"
HINDSIGHT = [sys.executable, "-m", "hindsight.cli"]


def questions(limit: int | None = None) -> list[str]:
    """The evaluation questions (Chinese and English) as realistic queries."""
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows][:limit]


def pct(values: Sequence[float], q: float) -> float:
    """Percentile q (0-100) of values; NaN when empty."""
    return float(np.percentile(values, q)) if len(values) else float("nan")


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99), "n": len(values)}


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table; floats get sensible precision."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}" if abs(v) < 1 else f"{v:.1f}"
        return str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


@dataclass
class ChildRun:
    """A finished child process: wall time, peak RSS and its output."""

    seconds: float
    peak_mib: float
    returncode: int
    stdout: str


def run_child(cmd: Sequence[str], env: dict[str, str] | None = None) -> ChildRun:
    """Run cmd, returning wall time and the child's own peak RSS (os.wait4 rusage)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ChildRun(time.perf_counter() - started, usage.ru_maxrss / 1024, proc.returncode, out)


def bench_env(
    index_dir: Path, data_dir: Path, corpus_dir: Path | None = None, conversation_cap: bool = False
) -> dict[str, str]:
    """The server's environment for a bench. The per-client cap on new conversations (60/min)
    is an abuse guard: one bench client asking 60+ fresh questions would measure 429s, not
    answers, so it is off unless the bench is about the cap (bench/hardening.py)."""
    env = {**os.environ, "HINDSIGHT_INDEX_DIR": str(index_dir), "HINDSIGHT_DATA_DIR": str(data_dir)}
    if not conversation_cap:
        env["HINDSIGHT_MAX_NEW_CONVERSATIONS_PER_MINUTE"] = "0"
    if corpus_dir is not None:
        env["HINDSIGHT_CORPUS_DIR"] = str(corpus_dir)
    return env


@contextmanager
def server(env: dict[str, str], workers: int = 1, timeout: float = 90.0,
           pids: list[int] | None = None) -> Iterator[str]:
    """A real `hindsight serve` on 127.0.0.1; yields its base URL and stops it afterwards.

    `pids` (if given) receives the server's process id (with one worker, the serving process).
    """
    port = free_port()
    cmd = [*HINDSIGHT, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids.append(proc.pid)
    try:
        wait_ready(proc, f"{url}/healthz", timeout)
        yield url
    finally:
        stop_process(proc)


@contextmanager
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL 16 + pgvector (pgserver wheel's binaries); yields its SQLAlchemy URL."""
    import pgserver  # lazy: test/bench-only dependency

    script = ROOT / "scripts" / "start-postgres.sh"
    env = {**os.environ, "PG_BINDIR": str(Path(pgserver.__file__).parent / "pginstall" / "bin")}
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=120, env=env, check=True)
    directory, url = proc.stdout.split()[-2:]
    try:
        yield url
    finally:
        subprocess.run(["bash", str(script), "--stop", directory], timeout=60, check=False, env=env)
