"""Ingestion throughput: cold build, unchanged re-run and one changed document, via the real CLI.

Each run is a fresh `hindsight ingest` process, so the wall time includes interpreter start-up
and imports (what a user waits for) and the peak RSS is that process's own.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.common import HINDSIGHT, ROOT, ChildRun, bench_env, run_child, table

CHANGED_PARAGRAPH = "\n\n## 补充\n\n这是基准测试追加的一段新内容，用来触发一次增量重建。它只改动一个文档。\n"


def _ingest(env: dict[str, str], *extra: str) -> tuple[ChildRun, dict[str, Any]]:
    run = run_child([*HINDSIGHT, "ingest", "--json", *extra], env=env)
    if run.returncode != 0:
        raise RuntimeError(f"ingest failed ({run.returncode}): {run.stdout[-500:]}")
    return run, json.loads(run.stdout)


def _row(name: str, run: ChildRun, report: dict[str, Any]) -> list[Any]:
    docs, chunks = report["documents"], report["chunks"]
    return [name, docs, chunks, report["embedded"], run.seconds, docs / run.seconds,
            chunks / run.seconds, run.peak_mib]


def measure(root: Path, corpus: Path = ROOT / "corpus", repeats: int = 3) -> dict[str, Any]:
    """Run the three scenarios on a copy of the corpus in root; root/index is left built."""
    shutil.copytree(corpus, root / "corpus")
    env = bench_env(root / "index", root / "data", root / "corpus")
    rows = [_row("cold build", *_ingest(env, "--rebuild"))]
    unchanged = [_ingest(env) for _ in range(repeats)]
    median = sorted(unchanged, key=lambda r: r[0].seconds)[len(unchanged) // 2]
    rows.append(_row(f"unchanged re-run (median of {repeats})", *median))
    target = sorted((root / "corpus").rglob("*.md"))[0]
    target.write_text(target.read_text(encoding="utf-8") + CHANGED_PARAGRAPH, encoding="utf-8")
    rows.append(_row("one changed document", *_ingest(env)))
    seconds = statistics.median(r[0].seconds for r in unchanged)
    return {"rows": rows, "unchanged_seconds": seconds}


HEADERS = ["scenario", "docs", "chunks", "texts embedded", "wall s", "docs/s", "chunks/s", "peak RSS MiB"]


def render(result: dict[str, Any]) -> str:
    return table(HEADERS, result["rows"])


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="hindsight-bench-ingest-") as tmp:
        print(render(measure(Path(tmp))))
