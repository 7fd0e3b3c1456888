"""Source view rendering: Markdown becomes safe HTML and the cited span survives as <mark>."""

from __future__ import annotations

from assistant.surfaces.doc_render import Span, cited_span, render_markdown
from tests.test_web import Tree

DOC = "# 标题\n\n## 背景\n\n客户是**某银行**。我们先投入。\n\n- [ ] 行动一\n- [x] 行动二\n\n<script>alert(1)</script> ![x](http://e.com/i.png)\n"


def marked(html: str, css_class: str = "passage") -> str:
    return "".join(m.text for m in Tree(html).find("mark", class_=css_class))


def test_markdown_is_rendered_not_shown_raw() -> None:
    tree = Tree(render_markdown(DOC))
    assert [h.text for h in tree.find("h2")] == ["背景"]
    assert tree.find("strong")[0].text == "某银行"
    assert [li.text for li in tree.find("li", class_="task")] == ["☐ 行动一", "☑ 行动二"]
    assert not tree.find("script") and not tree.find("img")
    assert "<script>alert(1)</script>" in tree.find("p")[-1].text


def test_span_across_inline_markup_and_blocks_stays_well_formed() -> None:
    start, end = DOC.index("客户"), DOC.index("行动一") + 3
    html = render_markdown(DOC, Span(start, end, "passage"))
    assert html.count("<mark") == html.count("</mark>")
    assert marked(html) == "客户是某银行。我们先投入。行动一"  # the span's text, minus its syntax
    assert html.count('id="cited"') == 1


def test_sentence_mark_nests_inside_the_passage() -> None:
    start, end = DOC.index("客户"), DOC.index("入。") + 2
    s_start = DOC.index("我们")
    html = render_markdown(DOC, Span(start, end, "passage"), Span(s_start, end, "sentence-mark"))
    assert marked(html, "sentence-mark") == "我们先投入。"
    assert '<mark class="passage"><mark class="sentence-mark" id="cited-sentence">' in html


def test_span_at_a_heading_line_keeps_the_heading() -> None:
    start = DOC.index("## 背景")
    html = render_markdown(DOC, Span(start, start + 5, "passage"))
    assert Tree(html).find("h2")[0].text == "背景" and marked(html) == "背景"


def test_sentinel_characters_in_a_document_cannot_fake_a_mark() -> None:
    assert "<mark" not in render_markdown("a\ue000b\ue001c")


def test_cited_span_validates_offsets() -> None:
    assert cited_span("abc", None, None, "passage") is None
    assert cited_span("abc", 1, None, "passage") == Span(1, 3, "passage")
    for bad in ((2, 1), (0, 4)):
        try:
            cited_span("abc", *bad, "passage")
        except ValueError as exc:
            assert "not inside the document" in str(exc)
        else:
            raise AssertionError(f"{bad} accepted")
