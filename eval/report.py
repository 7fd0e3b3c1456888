"""Reports of a run: summary.json, report.md, report.html (self-contained), and the console table.

report.md and report.html render the same data model (eval.report_model); neither reads the other.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from eval.harness import Record, cited_gold
from eval.report_html import render_html
from eval.report_model import QuestionRow, ReportData, Table, build, headline, highlight_ranges
from eval.runner import RunResult


def render_table(table: Table, markdown: bool = False) -> str:
    """Aligned plain-text table, or a Markdown table."""
    rows = [table.header, *table.rows]
    if markdown:
        lines = ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
        lines.insert(1, "|" + "|".join(" --- " if i == 0 else " --: " for i in range(len(rows[0]))) + "|")
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(r, widths, strict=True))) for r in rows)


def console_table(run: RunResult) -> str:
    """The headline table as the CLI prints it."""
    return render_table(headline(run))


def _question_line(q: QuestionRow) -> str:
    gold = " ".join(("✓" if g["cited"] else "✗") + g["span"][:20] for g in q.gold) or "out of scope"
    answer = "(abstained) " if q.abstained else ""
    answer += " ".join(q.answer.split())[:160]
    cited = ", ".join(f"[{c['n']}] {c['doc_id']} {c.get('start')}–{c.get('end')}" for c in q.citations) or "–"
    cells = [q.id, q.split, f"{q.type}/{q.lang}", q.question, answer, cited, gold, "; ".join(q.failures)]
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def markdown(data: ReportData) -> str:
    """report.md: every table of the model, then each question the first configuration gets wrong."""
    lines = [f"# Evaluation run `{data.name}`", ""]
    for name, reason in data.skipped.items():
        lines.append(f"- skipped `{name}`: {reason}")
    for table in data.tables:
        lines += ["", f"## {table.title}", "", render_table(table, markdown=True)]
    wrong = [q for q in data.questions if q.failures]
    if data.first:
        lines += ["", f"## What `{data.first}` gets wrong ({len(wrong)} of {len(data.questions)})", "",
                  "| id | split | type/lang | question | answer | cited | gold spans (✓ cited) | failures |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        lines += [_question_line(q) for q in wrong]
    return "\n".join(lines) + "\n"


def record_json(record: Record) -> dict[str, Any]:
    """The per-question part of summary.json (passage texts left out to keep it small)."""
    q, answer = record.question, record.answer
    return {
        "id": q.id, "split": q.split, "type": q.type, "lang": q.lang, "answerable": q.answerable,
        "metrics": record.metrics, "span_ranks": record.span_ranks, "gold_cited": cited_gold(record),
        "retrieved": [{
            "rank": i, "chunk_id": h.get("chunk_id"), "doc_id": h["doc_id"], "start": h.get("start"),
            "end": h.get("end"), "score": h.get("score"),
            "gold": bool(highlight_ranges(h["text"], q.gold.get(h["doc_id"], []))),
        } for i, h in enumerate(record.hits, start=1)],
        "abstained": record.abstained, "answer": answer.get("answer"),
        "citations": [{"n": c["n"], "chunk_id": c.get("chunk_id"), "doc_id": c["doc_id"]}
                      for c in answer.get("citations", [])],
        "related": [{"n": c["n"], "chunk_id": c.get("chunk_id"), "doc_id": c["doc_id"], "snippet": c.get("snippet")}
                    for c in answer.get("related", [])],
        "unsupported": record.unsupported, "noise": record.noise, "failures": record.failures,
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


def write_reports(run: RunResult, out_dir: Path, name: str, questions_file: str) -> dict[str, Any]:
    """Write summary.json, report.md and report.html into out_dir; returns the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_json(run, name, questions_file)
    data = build(run, name)
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "report.md").write_text(markdown(data), encoding="utf-8")
    (out_dir / "report.html").write_text(render_html(data), encoding="utf-8")
    return summary
