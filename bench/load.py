"""Bounded HTTP load on 127.0.0.1: N concurrent clients, capped in requests and seconds.

Every request carries a distinct question (a real one plus a request number), so the
server's query-embedding cache never answers: this is the uncached worst case.
Also measures /healthz while a full `hindsight ingest --rebuild` runs against the served index.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import HINDSIGHT, ROOT, bench_env, questions, server, summary, table


@dataclass
class LoadResult:
    clients: int
    workers: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0


async def _client(http: httpx.AsyncClient, path: str, qs: list[str], counter: list[int],
                  limit: int, deadline: float, result: LoadResult) -> None:
    while time.monotonic() < deadline:
        n = counter[0]
        if n >= limit:
            return
        counter[0] += 1
        started = time.perf_counter()
        try:
            response = await http.post(path, json={"question": f"{qs[n % len(qs)]} {n}"})
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok:
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
        else:
            result.errors += 1


async def run_load(url: str, clients: int, workers: int, path: str = "/api/search",
                   requests: int = 300, seconds: float = 20.0) -> LoadResult:
    """Drive `clients` concurrent clients until `requests` are sent or `seconds` pass."""
    result = LoadResult(clients, workers)
    qs = questions()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        started = time.perf_counter()
        deadline = time.monotonic() + seconds
        counter = [0]
        await asyncio.gather(*(_client(http, path, qs, counter, requests, deadline, result)
                               for _ in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


def healthz_during_ingest(url: str, env: dict[str, str], interval: float = 0.1) -> dict[str, Any]:
    """Poll /healthz while a full rebuild runs on the served index; count failures."""
    latencies: list[float] = []
    errors, builds = 0, set()
    ingest = subprocess.Popen([*HINDSIGHT, "ingest", "--rebuild", "--quiet"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=10) as client:
        while ingest.poll() is None:
            t0 = time.perf_counter()
            try:
                response = client.get("/healthz")
                response.raise_for_status()
                builds.add(response.json()["index"]["build_id"])
                latencies.append((time.perf_counter() - t0) * 1000)
            except (httpx.HTTPError, KeyError, TypeError):
                errors += 1
            time.sleep(interval)
        time.sleep(1.5)  # the holder checks the `current` link once a second
        builds.add(client.get("/healthz").json()["index"]["build_id"])
    return {"ingest_s": time.perf_counter() - started, "ingest_rc": ingest.returncode,
            "polls": len(latencies) + errors, "errors": errors, "latency": summary(latencies),
            "max_ms": max(latencies, default=float("nan")), "builds_seen": len(builds)}


def measure(index_dir: Path, data_dir: Path, corpus_dir: Path, levels: tuple[int, ...] = (1, 8, 32, 64),
            workers: tuple[int, ...] = (1, 2), requests: int = 300, seconds: float = 20.0) -> dict[str, Any]:
    env = bench_env(index_dir, data_dir, corpus_dir)
    results: list[LoadResult] = []
    for w in workers:
        with server(env, workers=w) as url:
            for clients in levels:
                results.append(asyncio.run(run_load(url, clients, w, requests=requests, seconds=seconds)))
    with server(env, workers=1) as url:
        health = healthz_during_ingest(url, env)
    return {"load": results, "healthz": health}


def render(result: dict[str, Any]) -> str:
    rows = []
    for r in result["load"]:
        s = summary(r.latencies_ms)
        rows.append([r.workers, r.clients, len(r.latencies_ms), r.errors, r.throughput,
                     s["p50"], s["p95"], s["p99"]])
    h = result["healthz"]
    lat = h["latency"]
    return (
        "POST /api/search, uncached questions (ms):\n\n"
        + table(["workers", "clients", "ok", "errors", "req/s", "p50", "p95", "p99"], rows)
        + "\n\n/healthz polled every 100 ms while `hindsight ingest --rebuild` ran on the served index:\n\n"
        + table(["ingest s", "polls", "errors", "p50 ms", "p95 ms", "max ms", "build ids seen"],
                [[h["ingest_s"], h["polls"], h["errors"], lat["p50"], lat["p95"], h["max_ms"],
                  h["builds_seen"]]])
    )
