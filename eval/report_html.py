"""report.html: one self-contained page (inline CSS, SVG charts, a few lines of JS; no CDN).

Every piece of corpus or answer text goes through html.escape before it is placed in the page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from eval.harness import DRILL_K, Record
from eval.report import TABLE, fmt, highlight_ranges, render_table, table_rows
from eval.runner import ConfigResult, RunResult

COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
          "#9c755f", "#bab0ac", "#8cd17d", "#86bcb6"]
CSS = """
body{font:14px/1.5 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}mark{background:#ffe066}
details{border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:6px 10px}
details.fail>summary{color:#b00}.passage{white-space:pre-wrap;background:#f7f7f7;padding:6px;margin:4px 0}
.passage.gold{border-left:4px solid #59a14f}.cmp td:last-child{text-align:left}.unsupported{color:#b00}.muted{color:#777}
svg text{font:11px system-ui,sans-serif}
"""
JS = """
document.getElementById('only-fail').addEventListener('change',function(e){
  document.querySelectorAll('#drill details').forEach(function(d){
    d.style.display=(e.target.checked&&!d.classList.contains('fail'))?'none':'';});});
"""


def bar_chart(title: str, groups: list[str], series: list[tuple[str, list[float | None]]]) -> str:
    """Grouped vertical bars (values in 0..1), one colour per series, as inline SVG."""
    bar, gap, height, top = max(3, min(12, 90 // max(1, len(series)))), 18, 180, 24
    group_w = bar * len(series) + gap
    width = 40 + group_w * len(groups) + 160
    parts = [f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height + top + 70}">',
             f'<text x="4" y="14" font-weight="bold">{escape(title)}</text>']
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + height * (1 - tick)
        parts.append(f'<line x1="36" x2="{width - 160}" y1="{y}" y2="{y}" stroke="#eee"/>'
                     f'<text x="4" y="{y + 4}">{tick:.2f}</text>')
    for g, group in enumerate(groups):
        x0 = 40 + g * group_w
        for s, (name, values) in enumerate(series):
            value = values[g]
            if value is None:
                continue
            h = height * max(0.0, min(1.0, value))
            parts.append(f'<rect x="{x0 + s * bar}" y="{top + height - h:.1f}" width="{bar - 1}" height="{h:.1f}" '
                         f'fill="{COLORS[s % len(COLORS)]}"><title>{escape(name)} · {escape(group)}: '
                         f'{value:.3f}</title></rect>')
        parts.append(f'<text x="{x0}" y="{top + height + 14}" transform="rotate(30 {x0} {top + height + 14})">'
                     f'{escape(group)}</text>')
    for s, (name, _) in enumerate(series):
        y = top + 12 + s * 16
        parts.append(f'<rect x="{width - 150}" y="{y - 9}" width="10" height="10" fill="{COLORS[s % len(COLORS)]}"/>'
                     f'<text x="{width - 134}" y="{y}">{escape(name)}</text>')
    return "\n".join(parts) + "</svg>"


def charts(run: RunResult) -> str:
    """Metric per configuration, and hit@5 / key facts per question type."""
    configs = run.configs
    out = [bar_chart("Metrics per configuration", TABLE,
                     [(c.name, [c.summary["metrics"].get(k) for k in TABLE]) for c in configs])]
    types = list(dict.fromkeys(t for c in configs for t in c.summary["by_type"]))
    for key, title in (("hit@5", "hit@5 by question type"), ("key_facts", "Key-fact coverage by question type"),
                       ("abstain_rate", "Abstention rate by question type")):
        out.append(bar_chart(title, types, [(c.name, [c.summary["by_type"].get(t, {}).get(key) for t in types])
                                           for c in configs]))
    return "\n".join(out)


def highlighted(text: str, spans: list[str]) -> str:
    """Escaped text with the gold spans wrapped in <mark>."""
    out, at = [], 0
    for start, end in highlight_ranges(text, spans):
        if start < at:
            continue
        out += [escape(text[at:start]), "<mark>", escape(text[start:end]), "</mark>"]
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def _passages(record: Record) -> str:
    parts = []
    for rank, hit in enumerate(record.hits[:DRILL_K], start=1):
        spans = record.question.gold.get(hit["doc_id"], [])
        marked = highlighted(hit["text"], spans)
        cls = "passage gold" if "<mark>" in marked else "passage"
        parts.append(f'<div class="{cls}"><b>#{rank}</b> <span class="muted">{escape(hit["doc_id"])} '
                     f'{hit.get("start")}–{hit.get("end")} · {escape(str(hit.get("title", "")))}</span>\n{marked}</div>')
    return "".join(parts) or '<p class="muted">no passages</p>'


def _answer(record: Record) -> str:
    answer = record.answer
    cites = "".join(f'<li>[{c["n"]}] {escape(c["doc_id"])} {c.get("start")}–{c.get("end")}: '
                    f'{escape(c.get("text", "")[:300])}</li>' for c in answer.get("citations", []))
    unsupported = "".join(f'<li class="unsupported">{escape(s)}</li>' for s in record.unsupported)
    return (f'<p><b>Answer</b>{" (abstained)" if record.abstained else ""}:</p>'
            f'<div class="passage">{escape(answer.get("answer", record.error or ""))}</div>'
            f'<p><b>Citations</b></p><ul>{cites}</ul>'
            + (f"<p><b>Not supported by their citations</b></p><ul>{unsupported}</ul>" if unsupported else ""))


def _compare(qid: str, configs: list[ConfigResult]) -> str:
    rows = [["config", "first gold rank", "abstained", "key facts", "cite R", "failures"]]
    for c in configs:
        r = next((x for x in c.records if x.question.id == qid), None)
        if r is None:
            continue
        first = min((s["rank"] for s in r.span_ranks if s["rank"]), default=None)
        rows.append([c.name, fmt(first), str(r.abstained), fmt(r.metrics.get("key_facts")),
                     fmt(r.metrics.get("citation_recall")), "; ".join(r.failures) or "ok"])
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows[1:])
    return '<table class="cmp"><tr>' + "".join(f"<th>{escape(h)}</th>" for h in rows[0]) + f"</tr>{body}</table>"


def drill_down(run: RunResult) -> str:
    """One <details> per question: the first configuration in full, the others compared."""
    if not run.configs:
        return ""
    first, parts = run.configs[0], []
    for r in first.records:
        q = r.question
        status = "; ".join(r.failures) or "ok"
        gold = "".join(f"<li>{escape(d)}: " + " · ".join(f"“{escape(s)}”" for s in spans) + "</li>"
                       for d, spans in q.gold.items())
        parts.append(
            f'<details class="{"fail" if r.failures else "ok"}" id="{escape(q.id)}"><summary>'
            f'<b>{escape(q.id)}</b> [{escape(q.type)}/{escape(q.lang)}] {escape(q.question)} — '
            f'{escape(status)}</summary><p><b>Gold</b></p><ul>{gold or "<li>out of scope</li>"}</ul>'
            f'<p><b>Key facts</b>: {escape(" · ".join(q.key_facts)) or "–"}</p>'
            f'{_compare(q.id, run.configs)}<p><b>Top {DRILL_K} passages ({escape(first.name)})</b></p>'
            f"{_passages(r)}{_answer(r)}</details>")
    return "\n".join(parts)


def render_html(run: RunResult, name: str) -> str:
    """The whole self-contained report page."""
    table = render_table(table_rows(run), markdown=True).splitlines()
    head = [c.strip() for c in table[0].strip("|").split("|")]
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in table[2:]]
    html_table = ("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"
                  + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
                  + "</table>")
    skipped = "".join(f"<li>skipped {escape(k)}: {escape(v)}</li>" for k, v in run.skipped.items())
    first: Any = run.configs[0].name if run.configs else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hindsight eval '
            f'{escape(name)}</title><style>{CSS}</style></head><body><h1>Evaluation run {escape(name)}</h1>'
            f"{html_table}<ul>{skipped}</ul><h2>Charts</h2>{charts(run)}"
            f"<h2>Questions (passages from {escape(first)})</h2>"
            f'<label><input type="checkbox" id="only-fail"> only questions with failures</label>'
            f'<div id="drill">{drill_down(run)}</div><script>{JS}</script></body></html>\n')
