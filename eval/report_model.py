"""The report's data model, built once from a run; report.md and report.html both render it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from assistant.text import normalize
from eval.harness import DRILL_K, Record, cited_gold
from eval.questions import SPLITS
from eval.runner import ConfigResult, RunResult

HEADLINE = ["hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10", "citation_recall", "citation_precision",
            "key_facts", "abstain_recall", "false_abstain_rate", "noise_rate", "language_match"]
BREAKDOWN = ["questions", "hit@1", "hit@5", "recall@5", "mrr@10", "ndcg@10", "citation_recall",
             "citation_precision", "lead_evidence", "support_recall", "support_precision", "key_facts", "abstain_rate",
             "abstain_recall", "abstain_precision", "false_abstain_rate", "noise_rate", "language_match",
             "answer_chars", "total_ms_p50"]
SHORT = {"citation_recall": "cite_R", "citation_precision": "cite_P", "support_recall": "support_R",
         "abstain_precision": "abst_P", "abstain_recall": "abst_R", "false_abstain_rate": "false_abst",
         "abstain_rate": "abst_rate", "key_facts": "facts", "noise_rate": "noise", "language_match": "lang_ok",
         "answer_chars": "chars", "lead_evidence": "lead_ev", "support_precision": "support_P", "total_ms_p50": "p50 ms"}
CHARTS_BY_GROUP = {"by_type": ["hit@5", "citation_recall", "key_facts", "abstain_rate"],
                   "by_lang": ["hit@5", "key_facts", "noise_rate", "language_match"]}


def fmt(value: Any) -> str:
    """A table cell: 3 decimals for floats, – for missing."""
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


@dataclass
class Table:
    """A titled table of pre-formatted cells; the first column is a label."""

    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Chart:
    """Grouped bars: one value (0..1) per group and series."""

    title: str
    groups: list[str]
    series: list[tuple[str, list[float | None]]]


@dataclass
class QuestionRow:
    """One question as the first configuration answered it, plus every configuration's outcome."""

    id: str
    split: str
    type: str
    lang: str
    question: str
    answerable: bool
    abstained: bool
    abstain_reason: str
    answer: str
    citations: list[dict[str, Any]]
    gold: list[dict[str, Any]]  # doc_id, span, cited (held by a cited passage), rank (retrieval)
    key_facts: list[str]
    passages: list[dict[str, Any]]  # top DRILL_K hits, each with "ranges" of gold text to mark
    unsupported: list[str]
    noise: list[str]
    failures: list[str]
    per_config: list[list[str]] = field(default_factory=list)


@dataclass
class ReportData:
    """Everything a report shows."""

    name: str
    first: str
    skipped: dict[str, str]
    tables: list[Table]
    charts: list[Chart]
    questions: list[QuestionRow]


def headline(run: RunResult) -> Table:
    """Per configuration, dev and test side by side: the headline metrics and total latency."""
    rows = []
    for c in run.configs:
        total = c.summary["latency"]["total_ms"]
        for split in SPLITS:
            metrics = c.summary["splits"][split]
            rows.append([c.name, split, *(fmt(metrics.get(k)) for k in HEADLINE), fmt(total["p50"]),
                         fmt(total["p95"])])
    header = ["config", "split", *(SHORT.get(k, k) for k in HEADLINE), "p50 ms", "p95 ms"]
    return Table("Configurations (dev | test)", header, rows)


def breakdown(config: ConfigResult, group: str, label: str) -> Table:
    """Every metric per question type or language (all questions of both splits)."""
    rows = [[name, *(fmt(v.get(k)) for k in BREAKDOWN)] for name, v in config.summary[group].items()]
    return Table(f"By {label} ({config.name}, dev + test)", [label, *(SHORT.get(k, k) for k in BREAKDOWN)], rows)


def latency(config: ConfigResult) -> Table:
    rows = [[s, fmt(v["p50"]), fmt(v["p95"])] for s, v in config.summary["latency"].items()]
    return Table(f"Latency ({config.name}, ms)", ["stage", "p50", "p95"], rows)


def charts(run: RunResult) -> list[Chart]:
    """Headline metrics per configuration (test split), and chosen metrics per type and language."""
    out = [Chart("Metrics per configuration (test split)", HEADLINE,
                 [(c.name, [c.summary["splits"]["test"].get(k) for k in HEADLINE]) for c in run.configs])]
    for group, keys in CHARTS_BY_GROUP.items():
        names = list(dict.fromkeys(g for c in run.configs for g in c.summary[group]))
        for key in keys:
            out.append(Chart(f"{key} {group.replace('_', ' ')}", names,
                             [(c.name, [c.summary[group].get(g, {}).get(key) for g in names]) for c in run.configs]))
    return out


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


def question_row(record: Record, configs: list[ConfigResult]) -> QuestionRow:
    """The per-question view of one record, with the other configurations compared."""
    q, answer = record.question, record.answer
    ranks = {(s["doc_id"], s["span"]): s["rank"] for s in record.span_ranks}
    gold = [{**g, "rank": ranks.get((g["doc_id"], g["span"]))} for g in cited_gold(record)]
    passages = [{**h, "rank": i, "ranges": highlight_ranges(h["text"], q.gold.get(h["doc_id"], []))}
                for i, h in enumerate(record.hits[:DRILL_K], start=1)]
    return QuestionRow(
        q.id, q.split, q.type, q.lang, q.question, q.answerable, record.abstained,
        str(answer.get("trace", {}).get("abstain_reason") or ""), answer.get("answer", record.error or ""), list(answer.get("citations", [])), gold, q.key_facts,
        passages, record.unsupported, record.noise, record.failures, _per_config(q.id, configs))


def _per_config(qid: str, configs: list[ConfigResult]) -> list[list[str]]:
    rows = []
    for c in configs:
        r = next((x for x in c.records if x.question.id == qid), None)
        if r is not None:
            first = min((s["rank"] for s in r.span_ranks if s["rank"]), default=None)
            rows.append([c.name, fmt(first), str(r.abstained), fmt(r.metrics.get("key_facts")),
                         fmt(r.metrics.get("citation_recall")), "; ".join(r.failures) or "ok"])
    return rows


def build(run: RunResult, name: str) -> ReportData:
    """The report of a run: tables, charts and the first configuration's questions."""
    tables = [headline(run)]
    questions: list[QuestionRow] = []
    first = run.configs[0] if run.configs else None
    if first is not None:
        tables += [breakdown(first, "by_type", "type"), breakdown(first, "by_lang", "language"), latency(first)]
        questions = [question_row(r, run.configs) for r in first.records]
    return ReportData(name, first.name if first else "", run.skipped, tables, charts(run), questions)
