"""Slack request → reply latency with the extractive answerer, through a real `hindsight serve`.

Each run POSTs a signed app_mention (a distinct evaluation question, so no query-cache hits) and
clocks (a) the acknowledgement Slack sees and (b) the time until the fake Slack Web API on
127.0.0.1 receives the bot's chat.postMessage. One question at a time.

    python -m bench.slack_latency [INDEX_DIR] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from assistant.store.build_store import current_build
from bench.common import HINDSIGHT, ROOT, bench_env, questions, server, summary, table
from testing.fake_slack import (
    PUBLIC,
    SECRET,
    TOKEN,
    FakeSlack,
    mention_envelope,
    slack_signature_headers,
)


def ensure_index(index_dir: Path, env: dict[str, str]) -> None:
    """Ingest the repo corpus into index_dir unless a build is already there."""
    if current_build(index_dir) is None:
        subprocess.run([*HINDSIGHT, "ingest", "--corpus", str(ROOT / "corpus"), "--index", str(index_dir),
                        "--quiet"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def one_mention(client: httpx.Client, slack: FakeSlack, question: str, i: int) -> tuple[float, float]:
    """(ack ms, reply ms) for one signed app_mention."""
    ts = f"{1_800_000_000 + i}.000100"
    body = json.dumps(mention_envelope(question, ts=ts, event_id=f"EvBench{i}")).encode()
    headers = {"Content-Type": "application/json", **slack_signature_headers(SECRET, body)}
    before = len(slack.calls("chat.postMessage"))
    started = time.monotonic()
    response = client.post("/slack/events", content=body, headers=headers)
    acked = time.monotonic()
    response.raise_for_status()
    post = slack.wait_for("chat.postMessage", before + 1, timeout=60)[-1]
    assert post.body["thread_ts"] == ts, post.body
    return (acked - started) * 1000, (post.at - started) * 1000


def measure(index_dir: Path, data_dir: Path, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"ack": [], "reply": []}
    qs = questions()[-(runs + 1):]  # the tail of the question set, one warm-up + `runs` cold ones
    with FakeSlack() as slack:
        env = {**bench_env(index_dir, data_dir), "OMP_NUM_THREADS": "1",
               "HINDSIGHT_SLACK_SIGNING_SECRET": SECRET, "HINDSIGHT_SLACK_BOT_TOKEN": TOKEN,
               "HINDSIGHT_SLACK_API_BASE_URL": slack.api_url, "HINDSIGHT_PUBLIC_BASE_URL": PUBLIC}
        ensure_index(index_dir, env)
        with server(env) as url, httpx.Client(base_url=url, timeout=30) as client:
            one_mention(client, slack, qs[0], 0)  # warm-up: auth.test, first DB writes
            for i, question in enumerate(qs[1:], start=1):
                ack, reply = one_mention(client, slack, question, i)
                out["ack"].append(ack)
                out["reply"].append(reply)
    return out


def render(result: dict[str, list[float]]) -> str:
    labels = {"ack": "signed POST → 200 ack", "reply": "signed POST → chat.postMessage received"}
    rows: list[list[Any]] = []
    for key, values in result.items():
        s = summary(values)
        rows.append([labels[key], s["p50"], s["p95"], max(values), s["n"]])
    return ("Slack app_mention latency (extractive answerer, real uvicorn + fake Slack API, ms):\n\n"
            + table(["span", "p50", "p95", "max", "n"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", nargs="?", type=Path, help="index dir (default: a fresh build of corpus/)")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = args.index.resolve() if args.index else Path(tmp) / "index"
        print(render(measure(index, Path(tmp) / "data", args.runs)))


if __name__ == "__main__":
    main()
