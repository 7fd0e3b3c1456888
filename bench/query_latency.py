"""Query latency per stage (in-process, from the answer trace) and end to end through HTTP.

Search and ask use disjoint halves of the evaluation questions, each asked once, so every
request misses the query-embedding cache: these are cold-query numbers.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.core.settings import Settings
from assistant.service.pipeline import build_pipeline
from bench.common import bench_env, questions, server, summary, table

STAGES = ["normalize_ms", "embed_ms", "faiss_ms", "bm25_ms", "fusion_ms", "answer_ms"]


def in_process(index_dir: Path, qs: list[str]) -> dict[str, dict[str, list[float]]]:
    """Per-stage and total ms for pipeline.search and pipeline.answer over real questions."""

    pipeline = build_pipeline(Settings(index_dir=index_dir, threads=1))
    for q in ("warm-up", "预热"):
        pipeline.answer(q)
    out: dict[str, dict[str, list[float]]] = {"search": {}, "ask": {}}
    for kind, subset in (("search", qs[::2]), ("ask", qs[1::2])):
        for q in subset:
            started = time.perf_counter()
            if kind == "search":
                trace: dict[str, Any] = {}
                pipeline.search(q, trace=trace)
            else:
                trace = pipeline.answer(q).trace
            trace["total_ms"] = (time.perf_counter() - started) * 1000
            for stage in [*STAGES, "total_ms"]:
                if stage in trace:
                    out[kind].setdefault(stage, []).append(float(trace[stage]))
    return out


def over_http(url: str, qs: list[str]) -> dict[str, list[float]]:
    """Client-side ms for /api/search and /api/chat, one request at a time."""
    out: dict[str, list[float]] = {"/api/search": [], "/api/chat": []}
    with httpx.Client(base_url=url, timeout=60) as client:
        client.post("/api/chat", json={"question": "warm-up"})
        for path, subset in (("/api/search", qs[::2]), ("/api/chat", qs[1::2])):
            for q in subset:
                started = time.perf_counter()
                response = client.post(path, json={"question": q})
                response.raise_for_status()
                out[path].append((time.perf_counter() - started) * 1000)
    return out


def measure(index_dir: Path, data_dir: Path, limit: int | None = None) -> dict[str, Any]:
    qs = questions(limit)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    stages = in_process(index_dir, qs)
    with server(bench_env(index_dir, data_dir)) as url:
        http = over_http(url, qs)
    return {"stages": stages, "http": http}


def render(result: dict[str, Any]) -> str:
    rows = []
    for kind, stages in result["stages"].items():
        for stage, values in stages.items():
            s = summary(values)
            rows.append([kind, stage.removesuffix("_ms"), s["p50"], s["p95"], s["p99"], s["n"]])
    http_rows = []
    for path, values in result["http"].items():
        s = summary(values)
        http_rows.append([path, s["p50"], s["p95"], s["p99"], s["n"]])
    return (
        "In-process, per stage (ms):\n\n"
        + table(["call", "stage", "p50", "p95", "p99", "n"], rows)
        + "\n\nThrough HTTP (real uvicorn on 127.0.0.1, one client, ms):\n\n"
        + table(["endpoint", "p50", "p95", "p99", "n"], http_rows)
    )


if __name__ == "__main__":
    import sys
    import tempfile

    index = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("index")
    with tempfile.TemporaryDirectory() as tmp:
        print(render(measure(index.resolve(), Path(tmp))))
