"""HTML → text with Markdown-style headings, so sections survive; bounded for hostile input."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

BLOCK = {"p", "div", "br", "li", "tr", "section", "article", "blockquote", "pre", "ul", "ol", "table"}
HEADINGS = {f"h{i}": i for i in range(1, 7)}
SKIP = {"script", "style", "noscript", "template", "svg", "head"}
MAX_DEPTH_SKIP = 10_000


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in SKIP:
            self._skip_depth = min(self._skip_depth + 1, MAX_DEPTH_SKIP)
        elif tag == "title":
            self._in_title = True
        elif tag in HEADINGS:
            self.parts.append("\n\n" + "#" * HEADINGS[tag] + " ")
        elif tag in BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP:
            self._skip_depth = max(self._skip_depth - 1, 0)
        elif tag == "title":
            self._in_title = False
        elif tag in HEADINGS or tag in BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data.strip()
        elif not self._skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> tuple[dict[str, Any], str]:
    """Metadata (title) and readable text of an HTML page."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    meta = {"title": parser.title} if parser.title else {}
    return meta, text.strip() + "\n"
