"""report.html: one self-contained page (inline CSS, SVG charts, a few lines of JS; no CDN).

Renders eval.report_model.ReportData. Every piece of corpus, question or answer text goes through
html.escape before it is placed in the page.
"""

from __future__ import annotations

from html import escape
from typing import Any

from eval.report_model import Chart, QuestionRow, ReportData, Table

COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
          "#9c755f", "#bab0ac", "#8cd17d", "#86bcb6"]
CSS = """
body{font:14px/1.5 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}
td:first-child,th:first-child,.questions td,.questions th{text-align:left}mark{background:#ffe066}
details{border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:6px 10px}
details.fail>summary{color:#b00}.passage{white-space:pre-wrap;background:#f7f7f7;padding:6px;margin:4px 0}
.passage.gold{border-left:4px solid #59a14f}.cmp td:last-child{text-align:left}.bad{color:#b00}.muted{color:#777}
.hit{color:#287a28}.questions td{max-width:360px;font-size:13px}svg text{font:11px system-ui,sans-serif}
"""
JS = """
document.getElementById('only-fail').addEventListener('change',function(e){
  document.querySelectorAll('tr.q, #drill details').forEach(function(d){
    d.style.display=(e.target.checked&&!d.classList.contains('fail'))?'none':'';});});
"""


def table_html(table: Table, cls: str = "") -> str:
    """A model table as an HTML table with its title."""
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f'<h2>{escape(table.title)}</h2><table class="{cls}"><tr>{head}</tr>{body}</table>'


def bar_chart(chart: Chart) -> str:
    """Grouped vertical bars (values in 0..1), one colour per series, as inline SVG."""
    groups, series = chart.groups, chart.series
    bar, gap, height, top = max(2, min(12, 60 // max(1, len(series)))), 14, 160, 24
    group_w = max(44, bar * len(series) + gap)  # room for the rotated group label
    width = 40 + group_w * len(groups) + 160
    parts = [f'<svg role="img" aria-label="{escape(chart.title)}" width="{width}" height="{height + top + 80}">',
             f'<text x="4" y="14" font-weight="bold">{escape(chart.title)}</text>']
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


def marked(text: str, ranges: list[tuple[int, int]]) -> str:
    """Escaped text with the given ranges wrapped in <mark>."""
    out, at = [], 0
    for start, end in ranges:
        if start < at:
            continue
        out += [escape(text[at:start]), "<mark>", escape(text[start:end]), "</mark>"]
        at = end
    out.append(escape(text[at:]))
    return "".join(out)


def _gold(q: QuestionRow) -> str:
    if not q.gold:
        return '<span class="muted">out of scope</span>'
    return "<br>".join(f'<span class="{"hit" if g["cited"] else "bad"}">{"✓" if g["cited"] else "✗"} '
                       f'{escape(g["span"])}</span> <span class="muted">(rank {g["rank"] or "–"})</span>'
                       for g in q.gold)


def _cited(citations: list[dict[str, Any]], limit: int = 120) -> str:
    return "<br>".join(f'[{c["n"]}] {escape(c["doc_id"])} {c.get("start")}–{c.get("end")}: '
                       f'<span class="muted">{escape(c.get("text", "")[:limit])}</span>' for c in citations) or "–"


def _abstained(q: QuestionRow) -> str:
    if not q.abstained:
        return "no"
    return "yes" + (f'<br><span class="muted">{escape(q.abstain_reason)}</span>' if q.abstain_reason else "")


def question_table(questions: list[QuestionRow]) -> str:
    """Question, answer, cited passages, which gold spans the citations hold, abstained, failures."""
    head = "".join(f"<th>{h}</th>" for h in ("id", "split", "type/lang", "question", "answer", "cited passages",
                                               "gold spans (✓ cited)", "abstained", "failures"))
    rows = []
    for q in questions:
        cls = "q fail" if q.failures else "q"
        rows.append(
            f'<tr class="{cls}"><td><a href="#{escape(q.id)}">{escape(q.id)}</a></td><td>{q.split}</td>'
            f"<td>{escape(q.type)}/{escape(q.lang)}</td><td>{escape(q.question)}</td>"
            f"<td>{escape(q.answer)}</td><td>{_cited(q.citations)}</td><td>{_gold(q)}</td>"
            f"<td>{_abstained(q)}</td><td class=\"bad\">{escape('; '.join(q.failures))}</td></tr>")
    return f'<table class="questions"><tr>{head}</tr>{"".join(rows)}</table>'


def _details(q: QuestionRow, first: str) -> str:
    cmp = Table("", ["config", "first gold rank", "abstained", "key facts", "cite R", "failures"], q.per_config)
    passages = "".join(
        f'<div class="passage{" gold" if p["ranges"] else ""}"><b>#{p["rank"]}</b> <span class="muted">'
        f'{escape(p["doc_id"])} {p.get("start")}–{p.get("end")} · {escape(str(p.get("title", "")))}</span>\n'
        f'{marked(p["text"], p["ranges"])}</div>' for p in q.passages) or '<p class="muted">no passages</p>'
    lists = "".join(f"<p><b>{title}</b></p><ul>" + "".join(f'<li class="bad">{escape(s)}</li>' for s in items)
                    + "</ul>" for title, items in (("Not supported by their citations", q.unsupported),
                                                   ("Noise sentences", q.noise)) if items)
    return (f'<details class="{"fail" if q.failures else "ok"}" id="{escape(q.id)}"><summary><b>{escape(q.id)}</b> '
            f'[{q.split}/{escape(q.type)}/{escape(q.lang)}] {escape(q.question)} — '
            f'{escape("; ".join(q.failures) or "ok")}</summary>'
            f'<p><b>Key facts</b>: {escape(" · ".join(q.key_facts)) or "–"}</p>'
            f'{table_html(cmp, "cmp").removeprefix("<h2></h2>")}<p><b>Top passages ({escape(first)})</b></p>{passages}'
            f'<p><b>Answer</b>{" (abstained)" if q.abstained else ""}:</p><div class="passage">{escape(q.answer)}</div>'
            f"<p><b>Citations</b></p><p>{_cited(q.citations, 300)}</p>{lists}</details>")


def render_html(data: ReportData) -> str:
    """The whole self-contained report page."""
    skipped = "".join(f"<li>skipped {escape(k)}: {escape(v)}</li>" for k, v in data.skipped.items())
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Hindsight eval '
            f'{escape(data.name)}</title><style>{CSS}</style></head><body>'
            f"<h1>Evaluation run {escape(data.name)}</h1><ul>{skipped}</ul>"
            + "".join(table_html(t) for t in data.tables)
            + "<h2>Charts</h2>" + "\n".join(bar_chart(c) for c in data.charts)
            + f"<h2 id=\"questions\">Questions ({escape(data.first)})</h2>"
            '<label><input type="checkbox" id="only-fail"> only questions with failures</label>'
            + question_table(data.questions)
            + '<div id="drill">' + "\n".join(_details(q, data.first) for q in data.questions)
            + f"</div><script>{JS}</script></body></html>\n")
