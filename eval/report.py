"""Reports of a run: summary.json, report.md, report.html (self-contained), and the console table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from assistant.text import normalize
from eval.harness import Record
from eval.runner import RunResult

TABLE = ["hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10", "citation_recall", "citation_precision",
         "key_facts", "abstain_precision", "abstain_recall"]
SHORT = {"citation_recall": "cite_R", "citation_precision": "cite_P", "abstain_precision": "abst_P",
         "abstain_recall": "abst_R", "key_facts": "facts"}


def fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def table_rows(run: RunResult) -> list[list[str]]:
    """Header + one row per configuration: the headline metrics and p50/p95 total latency."""
    rows = [["config", *(SHORT.get(k, k) for k in TABLE), "p50 ms", "p95 ms"]]
    for c in run.configs:
        total = c.summary["latency"]["total_ms"]
        rows.append([c.name, *(fmt(c.summary["metrics"].get(k)) for k in TABLE),
                     fmt(total["p50"]), fmt(total["p95"])])
    return rows


def render_table(rows: list[list[str]], markdown: bool = False) -> str:
    """Aligned plain-text table, or a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(r) + " |" for r in rows]
        lines.insert(1, "|" + "|".join(" --- " if i == 0 else " --: " for i in range(len(rows[0]))) + "|")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(r, widths, strict=True))) for r in rows)


def highlight_ranges(text: str, spans: list[str]) -> list[tuple[int, int]]:
    """[start, end) ranges of text matching any span after per-character folding."""
    folded, where = [], []
    for i, ch in enumerate(text):
        for f in normalize(ch):
            if not f.isspace():
                folded.append(f)
                where.append(i)
    haystack = "".join(folded)
    ranges = []
    for span in spans:
        needle = "".join(f for ch in span for f in normalize(ch) if not f.isspace())
        at = haystack.find(needle) if needle else -1
        if at >= 0:
            ranges.append((where[at], where[at + len(needle) - 1] + 1))
    return sorted(ranges)


def record_json(record: Record) -> dict[str, Any]:
    """The per-question part of summary.json (passage texts left out to keep it small)."""
    q, answer = record.question, record.answer
    gold = q.gold
    return {
        "id": q.id, "type": q.type, "lang": q.lang, "answerable": q.answerable,
        "metrics": record.metrics, "span_ranks": record.span_ranks,
        "retrieved": [{
            "rank": i, "chunk_id": h.get("chunk_id"), "doc_id": h["doc_id"], "start": h.get("start"),
            "end": h.get("end"), "score": h.get("score"),
            "gold": bool(highlight_ranges(h["text"], gold.get(h["doc_id"], []))),
        } for i, h in enumerate(record.hits, start=1)],
        "abstained": record.abstained, "answer": answer.get("answer"),
        "citations": [{"n": c["n"], "chunk_id": c.get("chunk_id"), "doc_id": c["doc_id"]}
                      for c in answer.get("citations", [])],
        "unsupported": record.unsupported, "failures": record.failures,
        "latency": record.latency, "error": record.error,
    }


def summary_json(run: RunResult, name: str, questions_file: str) -> dict[str, Any]:
    """The machine-readable summary of a run."""
    return {
        "run": name,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "questions_file": questions_file,
        "skipped": run.skipped,
        "configs": {c.name: {"description": c.description, "params": c.params, **c.summary}
                    for c in run.configs},
        "questions": {c.name: [record_json(r) for r in c.records] for c in run.configs},
    }


def markdown(run: RunResult, name: str) -> str:
    """report.md: the comparison table, per-type breakdown and the first configuration's misses."""
    lines = [f"# Evaluation run `{name}`", "", render_table(table_rows(run), markdown=True), ""]
    for name_, reason in run.skipped.items():
        lines.append(f"- skipped `{name_}`: {reason}")
    if not run.configs:
        return "\n".join(lines)
    first = run.configs[0]
    lines += ["", f"## By question type (`{first.name}`)", ""]
    keys = ["questions", "hit@1", "hit@5", "recall@5", "mrr@10", "key_facts", "abstain_rate"]
    rows = [["type", *keys]] + [[t, *(fmt(v.get(k)) for k in keys)] for t, v in first.summary["by_type"].items()]
    lines += [render_table(rows, markdown=True), "", f"## Latency (`{first.name}`, ms)", ""]
    rows = [["stage", "p50", "p95"]] + [[s, fmt(v["p50"]), fmt(v["p95"])] for s, v in first.summary["latency"].items()]
    lines += [render_table(rows, markdown=True), "", f"## What `{first.name}` gets wrong", ""]
    for record in first.records:
        if record.failures:
            lines.append(f"- **{record.question.id}** ({record.question.type}) {record.question.question} — "
                         + "; ".join(record.failures))
    return "\n".join(lines) + "\n"


def write_reports(run: RunResult, out_dir: Path, name: str, questions_file: str) -> dict[str, Any]:
    """Write summary.json, report.md and report.html into out_dir; returns the summary."""
    from eval.report_html import render_html

    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_json(run, name, questions_file)
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "report.md").write_text(markdown(run, name), encoding="utf-8")
    (out_dir / "report.html").write_text(render_html(run, name), encoding="utf-8")
    return summary
