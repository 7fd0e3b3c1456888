"""Memory of one replica per dense backend: FAISS files in the process vs pgvector in the database.

`python -m bench.replicas --index-dir DIR --corpus-dir DIR`: serves the same build with each
backend (one worker), asks the evaluation questions once, then reads the process's RSS.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.common import HINDSIGHT, ROOT, bench_env, postgres, questions, server, summary, table


def rss_mib(pid: int) -> float:
    """Resident set size of a process (VmRSS), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_replica(env: dict[str, str], qs: list[str]) -> dict[str, Any]:
    pids: list[int] = []
    with server(env, pids=pids) as url, httpx.Client(base_url=url, timeout=60) as http:
        latencies = []
        for q in qs:
            response = http.post("/api/search", json={"question": q})
            response.raise_for_status()
            latencies.append(response.elapsed.total_seconds() * 1000)
        return {"rss_mib": rss_mib(pids[0]), "latency": summary(latencies)}


def measure(index_dir: Path, corpus_dir: Path) -> list[dict[str, Any]]:
    rows = []
    qs = questions()
    with tempfile.TemporaryDirectory(prefix="hindsight-replicas-") as tmp, postgres() as url:
        env = bench_env(index_dir, Path(tmp), corpus_dir)
        pg_env = {**env, "HINDSIGHT_VECTOR_STORE": "pgvector", "HINDSIGHT_PGVECTOR_URL": url}
        subprocess.run([*HINDSIGHT, "ingest", "--quiet"], env=pg_env, cwd=ROOT, check=True)  # push rows
        for name, backend_env in (("faiss (files, mmap)", env), ("pgvector (database)", pg_env)):
            rows.append({"backend": name, **one_replica(backend_env, qs)})
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    return table(["dense backend", "replica RSS MiB", "/api/search p50 ms", "p95 ms", "n"],
                 [[r["backend"], r["rss_mib"], r["latency"]["p50"], r["latency"]["p95"], r["latency"]["n"]]
                  for r in rows])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--corpus-dir", type=Path, default=ROOT / "corpus")
    args = parser.parse_args(argv)
    print(render(measure(args.index_dir, args.corpus_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
