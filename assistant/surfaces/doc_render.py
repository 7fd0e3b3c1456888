"""A document's Markdown as safe HTML (markdown-it-py, raw HTML off) with cited spans highlighted.

The spans are character offsets into the Markdown source. Sentinel characters from the Private
Use Area are inserted at those offsets before rendering; afterwards each stretch of text between
a pair becomes <mark>, closed and reopened around tags, so a span crossing paragraphs or list
items still yields well-formed HTML.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

# Two sentinel pairs: the cited passage, and the quoted sentence inside it.
OPEN = ("\ue000", "\ue002")
CLOSE = ("\ue001", "\ue003")
SENTINELS = re.compile("[\ue000-\ue003]")
TAG = re.compile(r"(<[^>]*>)")
# Task-list items ("- [ ] do x") shown as boxes rather than as bracket text.
TASK_ITEM = re.compile(r"<li>(<mark[^>]*>)?\[([ xX])\] ?")
# Block syntax at a line start: a mark placed before it would turn "## x" into a paragraph.
BLOCK_PREFIX = re.compile(r"(?:[ \t]*(?:#{1,6}[ \t]+|[-*+][ \t]+(?:\[[ xX]\][ \t]+)?|\d{1,9}[.)][ \t]+|>[ \t]?))*")


@dataclass(frozen=True)
class Span:
    """[start, end) of the source text, highlighted with css_class."""

    start: int
    end: int
    css_class: str


def cited_span(text: str, start: int | None, end: int | None, css_class: str) -> Span | None:
    """The span [start, end) to highlight; None when none was asked for; ValueError if outside text."""
    if start is None and end is None:
        return None
    lo = 0 if start is None else start
    hi = len(text) if end is None else end
    if not 0 <= lo <= hi <= len(text):
        raise ValueError(f"span [{lo}, {hi}) is not inside the document (0..{len(text)} characters)")
    return Span(lo, hi, css_class) if hi > lo else None


def markdown() -> MarkdownIt:
    """CommonMark + tables and strikethrough; raw HTML is shown as text and images are not loaded."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable("image")
    return md


def render_markdown(text: str, passage: Span | None = None, sentence: Span | None = None) -> str:
    """HTML of text with passage (and sentence, when inside it) wrapped in <mark> elements."""
    text = SENTINELS.sub("", text)  # a document that contains a sentinel must not fake a mark
    spans = [s for s in (passage, sentence) if s is not None and 0 <= s.start < s.end <= len(text)]
    classes = {OPEN[i]: s.css_class for i, s in enumerate(spans)}
    marked = _insert_sentinels(text, spans)
    html = markdown().render(marked)
    return _task_boxes(_marks_from_sentinels(html, classes))


def _task_boxes(html: str) -> str:
    def box(match: re.Match[str]) -> str:
        done = match.group(2) != " "
        return f'<li class="task">{"☑" if done else "☐"} {match.group(1) or ""}'

    return TASK_ITEM.sub(box, html)


def _insert_sentinels(text: str, spans: list[Span]) -> str:
    inserts: list[tuple[int, int, str]] = []
    for i, span in enumerate(spans):
        inserts.append((_after_block_syntax(text, span.start), 1, OPEN[i]))
        inserts.append((span.end, 0, CLOSE[i]))
    out, pos = [], 0
    # At one offset closings come first, then the passage opens before (outside) the sentence.
    for at, _, char in sorted(inserts, key=lambda t: (t[0], t[1], char_rank(t[2]))):
        out.append(text[pos:at])
        out.append(char)
        pos = at
    out.append(text[pos:])
    return "".join(out)


def char_rank(char: str) -> int:
    return OPEN.index(char) if char in OPEN else 0


def _after_block_syntax(text: str, start: int) -> int:
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip(" \t"):
        return start
    match = BLOCK_PREFIX.match(text, line_start)
    return max(start, match.end()) if match else start


def _marks_from_sentinels(html: str, classes: dict[str, str]) -> str:
    active: list[str] = []
    out: list[str] = []
    first = {name: True for name in classes.values()}
    for part in TAG.split(html):
        if part.startswith("<"):
            _toggle(active, part, classes)
            out.append(SENTINELS.sub("", part))
            continue
        for piece in re.split("([\ue000-\ue003])", part):
            if piece and SENTINELS.fullmatch(piece):
                _toggle(active, piece, classes)
            elif piece:
                out.append(_wrap(piece, active, first))
    return "".join(out)


def _toggle(active: list[str], chunk: str, classes: dict[str, str]) -> None:
    for char in SENTINELS.findall(chunk):
        if char in classes:
            active.append(classes[char])
        else:
            name = classes.get(OPEN[CLOSE.index(char)])
            if name in active:
                active.remove(name)


def _wrap(text: str, active: list[str], first: dict[str, bool]) -> str:
    if not text.strip():  # whitespace between block tags: a <mark> there would be misplaced
        return text
    for name in reversed(active):
        anchor = ' id="cited" tabindex="-1"' if name == "passage" and first[name] else ""
        if name == "sentence-mark" and first[name]:
            anchor = ' id="cited-sentence"'
        first[name] = False
        text = f'<mark class="{name}"{anchor}>{text}</mark>'
    return text
