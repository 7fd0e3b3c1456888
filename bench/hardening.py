"""Re-runnable hardening proof on a real server: mixed load, publish during load, kill -9 during ingest.

    python -m bench.hardening [--clients 32] [--seconds 60] [--out results.md]

1. Load: `clients` concurrent clients for `seconds` against `hindsight serve` on 127.0.0.1; each
   searches, asks in its own conversation (the first ask starts it, later ones continue it) and
   rates the answer. Meanwhile a document is added and `hindsight ingest` publishes a new build. Any non-2xx
   or transport error counts as an error; every response must come from one build.
2. Conversation cap: one client tries to start 3 × the per-minute cap of conversations; the rest
   must be 429 with Retry-After, and the database must hold no more than clients + cap.
3. kill -9 during ingest: a rebuild is SIGKILLed once it is writing its staging build; the server
   keeps serving the same build, and the next ingest completes and leaves no staging directory.
Results are Markdown tables (docs/security.md keeps the last run). Nothing here is a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import HINDSIGHT, ROOT, bench_env, questions, server, table

CAP = 60  # per-client new conversations per minute (the Settings default)


def key(n: int) -> str:
    """Client n's API key: with keys on, the cap counts each client (not the shared 127.0.0.1)."""
    return f"bench-hardening-client-{n:04d}"


@dataclass
class Mixed:
    """What the mixed load saw: statuses per route, errors, and which builds answered."""

    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    builds: set[str] = field(default_factory=set)
    conversations: set[str] = field(default_factory=set)
    client: int = 0


async def _one_client(http: httpx.AsyncClient, n: int, qs: list[str], deadline: float, shared: Mixed) -> None:
    seen = Mixed(shared.statuses, shared.errors, shared.builds, shared.conversations, client=n)
    conversation: str | None = None
    i = 0
    while time.monotonic() < deadline:
        question = f"{qs[(n * 7 + i) % len(qs)]} {n}-{i}"
        i += 1
        search = await _call(http, "search", seen, json={"question": question, "k": 5})
        if search is not None:
            seen.builds.add(search.headers.get("x-index-build", ""))
        body: dict[str, Any] = {"question": question}
        if conversation:
            body["conversation_id"] = conversation
        chat = await _call(http, "chat", seen, json=body)
        if chat is None:
            continue
        answer = chat.json()
        conversation = answer["conversation_id"]
        seen.conversations.add(conversation)
        seen.builds.add(answer.get("trace", {}).get("build_id", ""))
        await _call(http, "feedback", seen, json={
            "rating": 1 if i % 2 else -1, "comment": f"=cmd|' /C calc'!A{i}", "message_id": answer["message_id"],
            "conversation_id": conversation, "question": question, "answer": answer["answer"]})


async def _call(http: httpx.AsyncClient, route: str, seen: Mixed, **kwargs: Any) -> httpx.Response | None:
    path = {"search": "/api/search", "chat": "/api/chat", "feedback": "/api/feedback"}[route]
    try:
        response = await http.post(path, headers={"Authorization": f"Bearer {key(seen.client)}"}, **kwargs)
    except httpx.HTTPError as exc:
        seen.statuses[f"{route} {type(exc).__name__}"] += 1
        seen.errors.append(f"{route}: {type(exc).__name__}")
        return None
    seen.statuses[f"{route} {response.status_code}"] += 1
    if not response.is_success:
        seen.errors.append(f"{route}: {response.status_code} {response.text[:200]}")
        return None
    return response


async def mixed_load(url: str, clients: int, seconds: float) -> Mixed:
    """clients × (search, chat in its conversation, feedback) until seconds have passed."""
    seen = Mixed()
    qs = questions()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as http:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(_one_client(http, n, qs, deadline, seen) for n in range(clients)))
    return seen


def publish_during(env: dict[str, str], corpus: Path, delay: float) -> subprocess.Popen[bytes]:
    """After delay seconds add a document and ingest (incremental: only it is embedded), publishing
    a new build while the load runs. A shell runs it so the caller does not wait."""
    doc = corpus / "articles" / "hardening-publish-marker.md"
    text = "---\ntitle: publish marker\n---\n试用期发布标记：这篇文档在负载期间加入。\n"
    cmd = f"sleep {delay}; printf '%s' '{text}' > '{doc}'; exec {' '.join(HINDSIGHT)} ingest --quiet"
    return subprocess.Popen(["sh", "-c", cmd], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def cap_probe(url: str) -> Counter[int]:
    """One client starting 3 × CAP conversations as fast as it can: statuses seen."""
    statuses: Counter[int] = Counter()
    with httpx.Client(base_url=url, timeout=120, headers={"Authorization": f"Bearer {key(9999)}"}) as http:
        for i in range(3 * CAP):
            response = http.post("/api/chat", json={"question": f"试用期 {i}"})
            statuses[response.status_code] += 1
            if response.status_code == 429:
                assert int(response.headers["retry-after"]) >= 1
    return statuses


def kill_during_ingest(url: str, env: dict[str, str], index_dir: Path) -> dict[str, Any]:
    """SIGKILL a rebuild once its staging build exists; the served build must not change."""
    auth = {"Authorization": f"Bearer {key(0)}"}
    before = httpx.get(f"{url}/healthz").json()["index"]["build_id"]
    proc = subprocess.Popen([*HINDSIGHT, "ingest", "--rebuild", "--quiet"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while not list((index_dir / "builds").glob(".tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    killed_while_staging = proc.poll() is None
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1.5)  # the server re-checks the `current` link once a second
    after = httpx.get(f"{url}/healthz").json()
    search = httpx.post(f"{url}/api/search", json={"question": "试用期"}, headers=auth, timeout=60)
    rerun = subprocess.run([*HINDSIGHT, "ingest", "--quiet"], env=env, cwd=ROOT, capture_output=True)
    return {"killed_while_staging": killed_while_staging, "same_build": after["index"]["build_id"] == before,
            "health": after["status"], "search": search.status_code, "rerun_rc": rerun.returncode,
            "staging_left": len(list((index_dir / "builds").glob(".tmp-*")))}


def count_conversations(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "hindsight.sqlite3") as db:
        return int(db.execute("SELECT count(*) FROM conversations").fetchone()[0])


def run(clients: int, seconds: float, root: Path) -> str:
    corpus, index, data = root / "corpus", root / "index", root / "data"
    shutil.copytree(ROOT / "corpus", corpus)
    env = {**bench_env(index, data, corpus, conversation_cap=True), "OMP_NUM_THREADS": "1",
           "HINDSIGHT_API_KEYS": ",".join(key(n) for n in [*range(clients), 9999])}
    subprocess.run([*HINDSIGHT, "ingest", "--quiet"], env=env, cwd=ROOT, check=True)
    with server(env) as url:
        publisher = publish_during(env, corpus, seconds / 6)
        started = time.perf_counter()
        seen = asyncio.run(mixed_load(url, clients, seconds))
        elapsed = time.perf_counter() - started
        publisher.wait()
        stored = count_conversations(data)
        cap = cap_probe(url)
        capped_total = count_conversations(data) - stored
        kill = kill_during_ingest(url, env, index)
    return _render(clients, elapsed, seen, stored, cap, capped_total, kill, publisher.returncode)


def _render(clients: int, elapsed: float, seen: Mixed, stored: int, cap: Counter[int], capped_total: int,
            kill: dict[str, Any], publish_rc: int) -> str:
    by_route = [[k, v] for k, v in sorted(seen.statuses.items())]
    builds = len(seen.builds - {""})
    return "\n\n".join([
        f"Mixed load: {clients} clients for {elapsed:.0f} s (search → chat in own conversation → feedback), "
        f"an incremental `ingest` published a new build during the run (exit {publish_rc}):",
        table(["route status", "count"], by_route),
        table(["errors", "builds answering", "conversations used", "conversations stored"],
              [[len(seen.errors), builds, len(seen.conversations), stored]]),
        "First errors: " + ("; ".join(seen.errors[:5]) or "none"),
        f"Conversation cap ({CAP}/min per client): one client tried {3 * CAP} new conversations:",
        table(["200", "429", "other", "new rows stored"],
              [[cap[200], cap[429], sum(v for k, v in cap.items() if k not in (200, 429)), capped_total]]),
        "kill -9 during `ingest --rebuild`:",
        table(list(kill), [list(kill.values())]),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="hindsight-hardening-") as tmp:
        report = run(args.clients, args.seconds, Path(tmp))
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
