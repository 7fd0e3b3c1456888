"""Bounded HTTP load on 127.0.0.1: N concurrent clients, capped in requests and seconds.

Every request of the whole run carries a distinct question (a real one plus a run-wide
request number), so the server's query-embedding cache never answers: the uncached worst case.
(Until 2026-11-30 the number restarted at 0 for every row, so later rows on the same server
re-sent earlier rows' questions; with 2 workers each process's 256-entry cache held its half
of them, which is where the 146 req/s at 32 clients came from.)
Each row is printed beside the embedding-bound limit measured in the same run: cores ÷ the
time one uncached query embedding takes on one core.
Also measures /healthz while a full `hindsight ingest --rebuild` runs against the served index.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assistant.core.settings import Settings
from assistant.embed.embedder import create_embedder
from bench.common import HINDSIGHT, ROOT, bench_env, questions, server, summary, table


@dataclass
class LoadResult:
    clients: int
    workers: int
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    sent: int = 0
    bound: dict[str, float] | None = None  # the embedding bound measured right before this row

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
        result.sent += 1
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
                   requests: int = 300, seconds: float = 20.0, first: int = 0,
                   qs: list[str] | None = None) -> LoadResult:
    """Drive `clients` concurrent clients until `requests` are sent or `seconds` pass.

    Request numbers start at `first`: give each row of a run its own range, or questions repeat.
    """
    result = LoadResult(clients, workers)
    qs = qs or questions()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        started = time.perf_counter()
        deadline = time.monotonic() + seconds
        counter = [first]
        await asyncio.gather(*(_client(http, path, qs, counter, first + requests, deadline, result)
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
    embedder = _probe_embedder(index_dir)
    limit = embed_bound(index_dir, embedder=embedder)
    sent = 0
    for w in workers:
        with server(env, workers=w) as url:
            for clients in levels:
                bound = embed_bound(index_dir, 20, embedder)
                results.append(asyncio.run(run_load(url, clients, w, requests=requests, seconds=seconds,
                                                    first=sent)))
                results[-1].bound = bound
                sent += results[-1].sent
    with server(env, workers=1) as url:
        health = healthz_during_ingest(url, env)
    return {"load": results, "healthz": health, "embed": limit}


def _probe_embedder(index_dir: Path) -> Any:

    embedder = create_embedder(Settings(index_dir=index_dir, threads=1))
    embedder.embed_batch(["warm-up"], "query")
    return embedder


def embed_bound(index_dir: Path, n: int = 40, embedder: Any = None) -> dict[str, float]:
    """Per-query embedding ms (median, one thread, uncached questions) and cores ÷ that, in req/s.

    Measured with the server idle between rows; on a shared box, measure it before every row.
    """
    embedder = embedder or _probe_embedder(index_dir)
    qs = questions()
    times = []
    for i in range(n):
        started = time.perf_counter()
        embedder.embed_batch([f"{qs[i % len(qs)]} embed-bound {i}"], "query")
        times.append((time.perf_counter() - started) * 1000)
    ms = summary(times)["p50"]
    cores = os.cpu_count() or 1
    return {"embed_ms": ms, "cores": cores, "limit_rps": cores * 1000 / ms}


def render(result: dict[str, Any]) -> str:
    return render_load(result["load"], result["embed"]) + "\n\n" + render_healthz(result["healthz"])


def render_load(load: list[LoadResult], embed: dict[str, float],
                questions_note: str = "every question distinct in the whole run") -> str:
    """The load rows beside the embedding-bound limit of the same run, as a ratio."""
    rows = []
    for r in load:
        s, bound = summary(r.latencies_ms), (r.bound or embed)
        rows.append([r.workers, r.clients, len(r.latencies_ms), r.errors, r.throughput, bound["embed_ms"],
                     bound["limit_rps"], f"{r.throughput / bound['limit_rps']:.2f}", s["p50"], s["p95"], s["p99"]])
    return (
        f"POST /api/search, {questions_note} (ms). The embedding bound is measured in the same run, "
        f"right before each row: {embed['cores']} cores ÷ one uncached query embedding on one thread "
        f"(p50; {embed['embed_ms']:.1f} ms at the start of the run):\n\n"
        + table(["workers", "clients", "ok", "errors", "req/s", "embed ms", "embed-bound req/s", "ratio",
                 "p50", "p95", "p99"], rows))


def render_healthz(h: dict[str, Any]) -> str:
    lat = h["latency"]
    return (
        "/healthz polled every 100 ms while `hindsight ingest --rebuild` ran on the served index:\n\n"
        + table(["ingest s", "polls", "errors", "p50 ms", "p95 ms", "max ms", "build ids seen"],
                [[h["ingest_s"], h["polls"], h["errors"], lat["p50"], lat["p95"], h["max_ms"],
                  h["builds_seen"]]])
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.load --index-dir DIR [--workers 1,2] [--clients 1,8,32]`: the load table alone.

    --restart-numbering reproduces the old bench (numbers restart per row, so questions repeat).
    """

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--clients", default="1,8,32,64")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--restart-numbering", action="store_true")
    parser.add_argument("--env", action="append", default=[], help="extra KEY=VALUE for the server")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hindsight-load-") as tmp:
        env = {**bench_env(args.index_dir, Path(tmp)), **dict(e.split("=", 1) for e in args.env)}
        embedder = _probe_embedder(args.index_dir)
        embed = embed_bound(args.index_dir, embedder=embedder)
        rows, sent = [], 0
        for w in (int(x) for x in args.workers.split(",")):
            with server(env, workers=w) as url:
                for clients in (int(x) for x in args.clients.split(",")):
                    first = 0 if args.restart_numbering else sent
                    bound = embed_bound(args.index_dir, 20, embedder)
                    rows.append(asyncio.run(run_load(url, clients, w, requests=args.requests,
                                                     seconds=args.seconds, first=first)))
                    rows[-1].bound = bound
                    sent += rows[-1].sent
    note = ("questions numbered from 0 in every row (the old bench: later rows repeat earlier ones)"
            if args.restart_numbering else "every question distinct in the whole run")
    print(render_load(rows, embed, note))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
