"""What the LLM path costs beyond the model, and what verification catches on scripted replies.

The fake OpenAI-compatible server (testing/fake_llm.py) answers instantly, so the
difference LLM-path total − extractive total is Hindsight's own overhead: prompt building, the
real llama-index/openai client and its HTTP round trip, and citation verification. The query
cache is cleared before every call so both paths embed the question.

    python -m bench.llm_overhead [--index DIR] [-n 20]

Without --index the seed corpus is indexed into a temporary directory first (~1 min).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from assistant.core.settings import Settings
from assistant.embed.embedder import create_embedder
from assistant.service.pipeline import build_pipeline
from assistant.text import split_sentences
from bench.common import ROOT, questions, table
from ingest.build import run_ingest
from testing.fake_llm import FakeLLMServer, Reply, quote_passage_one


def _index(index_dir: Path | None, tmp: Path) -> Path:
    if index_dir:
        return index_dir

    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=tmp / "index", data_dir=tmp / "data")
    run_ingest(settings, lambda: create_embedder(settings), progress=False)
    return settings.index_dir


def quote_and_paraphrase(body: dict[str, Any]) -> Reply:
    """Passage 1 quoted, plus an English sentence citing it (lexical fails: the semantic signal runs)."""
    return Reply(quote_passage_one(body).content + " This is what the first source reports. [1]")


def overhead(pipelines: dict[str, Any], qs: list[str]) -> list[list[Any]]:
    """p50 ms per path and of the per-question difference to extractive."""

    totals: dict[str, list[float]] = {name: [] for name in pipelines}
    extra: dict[str, list[float]] = {"llm_ms": [], "verify_ms": []}
    for q in qs:
        for name, pipeline in pipelines.items():
            pipeline.embedder._query_cache.clear()
            started = time.perf_counter()
            answer = pipeline.answer(q)
            totals[name].append((time.perf_counter() - started) * 1000)
            info = answer.trace.get("llm", {})
            if name == "llm (quote)":
                for key in extra:
                    extra[key].append(info.get(key, float("nan")))
    base = np.array(totals["extractive"])
    rows = [[name, float(np.median(v)), float(np.median(np.array(v) - base)) if name != "extractive" else 0.0]
            for name, v in totals.items()]
    rows += [[f"  of which {key} (quote)", float(np.nanmedian(v)), ""] for key, v in extra.items()]
    return rows


def streamed_first_delta(pipeline: Any, qs: list[str]) -> list[list[Any]]:

    first, total = [], []
    for q in qs:
        pipeline.embedder._query_cache.clear()
        started = time.perf_counter()
        seen = None
        for _item in pipeline.answer_stream(q):
            seen = seen or time.perf_counter()
        first.append(((seen or started) - started) * 1000)
        total.append((time.perf_counter() - started) * 1000)
    return [["stream: first delta", float(np.median(first)), ""], ["stream: final", float(np.median(total)), ""]]


CASES: list[tuple[str, Reply | str]] = [
    ("correct citations", "{q1}[1] {q2}[2]"),
    ("wrong number [9] + correct", "{q1}[9] {q2}[2]"),
    ("only wrong numbers", "{q1}[9]"),
    ("uncited claim + correct", "{q1}[1] 所有项目都应该采用区块链技术。"),
    ("invented English claim cites [2]", "{q1}[1] The moon is made of green cheese. [2]"),
    ("invented Chinese claim cites [1]", "完全编造的一句话，和资料毫无关系的火星殖民计划。[1]"),
    ("plausible false Chinese claim cites [1]", "{q1}[1] 客户最终选择了我们的方案并追加了五百万元预算。[1]"),
    ("garbage text", "}}{{ ### ??"),
    ("empty reply", ""),
    ("HTTP 500", Reply(status=500)),
    ("slow reply (> timeout)", Reply("x", delay=5)),
]


def scripted(pipeline: Any, server: FakeLLMServer, question: str) -> list[list[Any]]:
    """What verification did with each scripted reply."""

    hits = pipeline.search(question)
    firsts = []
    for hit in hits[:2]:  # a real sentence of each passage (not a heading line)
        spans = [(s, e) for s, e in split_sentences(hit.chunk.text) if hit.chunk.text[e - 1] in "。！？.!?"]
        s, e = (spans or split_sentences(hit.chunk.text))[0]
        firsts.append(hit.chunk.text[s:e])
    rows = []
    for name, reply in CASES:
        server.enqueue(reply if isinstance(reply, Reply) else reply.format(q1=firsts[0], q2=firsts[1]))
        answer = pipeline.answer(question)
        info = answer.trace.get("llm", {})
        v = info.get("verdicts", {})
        rows.append([name, answer.answerer, v.get("supported", "–"), v.get("unsupported", "–"),
                     v.get("uncited", "–"), ",".join(map(str, info.get("removed_citations", []))) or "–",
                     info.get("fallback_reason", "–")])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path)
    parser.add_argument("-n", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer() as quote, \
            FakeLLMServer(quote_and_paraphrase) as para:
        base = Settings(index_dir=_index(args.index, Path(tmp)), data_dir=Path(tmp) / "data", llm_timeout=2.0)
        embedder = create_embedder(base)
        pipelines = {"extractive": build_pipeline(base, embedder)}
        for name, srv in (("llm (quote)", quote), ("llm (quote + paraphrase)", para)):
            pipelines[name] = build_pipeline(base.model_copy(update={"llm_base_url": srv.openai_url}), embedder)
        answerable = [q for q in questions() if not pipelines["extractive"].answer(q).abstained][: args.n]
        for pipeline in pipelines.values():  # warm-up: client construction, first HTTP connection
            pipeline.answer(answerable[0])
        print(f"## LLM path overhead (fake server answers instantly; {len(answerable)} questions, p50)\n")
        rows = overhead(pipelines, answerable) + streamed_first_delta(pipelines["llm (quote)"], answerable)
        print(table(["path", "total ms", "minus extractive ms"], rows))
        print("\n## What verification caught on scripted replies\n")
        print(table(["case", "answerer", "supported", "unsupported", "uncited", "removed", "fallback reason"],
                    scripted(pipelines["llm (quote)"], quote, answerable[0])))


if __name__ == "__main__":
    main()
