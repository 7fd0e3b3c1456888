"""The web pages as pages: Jinja output parsed with an HTML parser, assets served, spans and escaping."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

from assistant.surfaces.links import source_view_url
from assistant.surfaces.routes.web import safe_url
from hindsight.app import create_app
from ingest.build import run_ingest
from testing.fakes import HashEmbedder
from tests.browser.corpus import XSS_DOC_ID, XSS_IMG, XSS_SCRIPT, write_markup_corpus
from tests.conftest import FIXTURE_CORPUS, make_settings

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)


class Tree(HTMLParser):
    """Every element with its attributes and all the text inside it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.stack: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for element in self.stack:
            element.text += data

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [e for e in self.elements if (tag is None or e.tag == tag)
                and all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def by_id(self, element_id: str) -> Element:
        (found,) = self.find(id=element_id)
        return found


def test_chat_page_is_complete_accessible_html(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    tree = Tree(response.text)
    assert tree.find("html")[0].attrs["lang"] == "zh-CN"
    assert tree.find("meta", name="viewport")
    ids = [e.attrs["id"] for e in tree.elements if "id" in e.attrs]
    assert len(ids) == len(set(ids))
    question = tree.by_id("question")
    assert question.tag == "textarea" and question.attrs["maxlength"] == "1000"
    assert tree.find("label", for_="question")
    assert tree.by_id("send").attrs["type"] == "submit"
    examples = [e.attrs["data-question"] for e in tree.find("button", class_="example")]
    assert len(examples) == 3 and "为什么试用后丢单？" in examples  # a heading of the fixture corpus
    assert {e.attrs["value"] for e in tree.find("input", name="doc_type")} == {"article", "postmortem"}
    assert "open" not in tree.by_id("filters").attrs  # filters start collapsed, conversations first
    order = [e.attrs.get("id") for e in tree.elements if e.attrs.get("id") in ("conversations", "filters")]
    assert order == ["conversations", "filters"]
    scripts = [s for s in tree.find("script") if s.attrs.get("type") != "application/json"]
    assert scripts and all(s.attrs.get("src", "").startswith("/static/") and not s.text.strip() for s in scripts)
    assert tree.by_id("source-panel").attrs.get("hidden") == ""
    assert any(e.attrs.get("href") == "/api/feedback?format=csv" for e in tree.find("a"))


def test_page_language_follows_the_browser(client: TestClient) -> None:
    english = Tree(client.get("/", headers={"Accept-Language": "en-US,en;q=0.9,zh;q=0.5"}).text)
    assert english.find("html")[0].attrs["lang"] == "en"
    assert english.by_id("send").text.strip() == "Send"
    assert all(e.attrs["data-question"].startswith("What") or "?" in e.attrs["data-question"]
               for e in english.find("button", class_="example"))
    chinese = Tree(client.get("/", headers={"Accept-Language": "zh-TW,zh;q=0.9,en;q=0.8"}).text)
    assert chinese.find("html")[0].attrs["lang"] == "zh-CN" and chinese.by_id("send").text.strip() == "发送"
    strings = json.loads(english.by_id("ui-strings").text)
    assert strings["send"] == "Send" and strings["copy"] == "Copy answer"


def test_every_referenced_asset_is_served(client: TestClient) -> None:
    urls: list[str] = []
    for page in ("/", "/library"):
        tree = Tree(client.get(page).text)
        urls += [e.attrs["src"] for e in tree.find("script") if "src" in e.attrs]
        urls += [e.attrs["href"] for e in tree.find("link", rel="stylesheet")]
    static = Path(__file__).resolve().parent.parent / "web" / "static"
    for module in static.glob("*.js"):
        urls += [f"/static/{m}" for m in re.findall(r'from "\./([\w.-]+)"', module.read_text())]
    for url in set(urls):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.text.strip(), url
    assert client.get("/static/app.js").headers["content-type"].startswith("text/javascript")


def test_source_page_highlights_the_cited_span(client: TestClient) -> None:
    text = client.get("/api/documents/trial-conversion").json()["text"]
    start = text.index("团队疲于奔命")
    end = text.index("。", start) + 1
    response = client.get(f"/sources/trial-conversion?start={start}&end={end}")
    assert response.status_code == 200
    tree = Tree(response.text)
    (mark,) = tree.find("mark")
    assert mark.attrs["id"] == "cited" and mark.text == text[start:end]
    body = tree.find("div", class_="doc-text markdown")[0]
    assert "## " not in body.text and "团队疲于奔命" in body.text  # Markdown rendered, not shown raw
    assert [h.text for h in tree.find("h2")] == ["为什么试用后丢单", "怎么避免", "数据准备"]
    assert tree.find("h1")[0].text == "试用期转化的三个教训"
    header = tree.find("p", class_="doc-meta")[0].text
    assert all(part in header for part in ("测试夹具", "测试作者", "2024-05-01", "试用期", "转化"))
    assert tree.find("a", class_="doc-link")[0].attrs["href"] == "https://example.com/trial-conversion"
    assert not Tree(client.get("/sources/trial-conversion").text).find("mark")


def test_document_view_api_marks_passage_and_sentence(client: TestClient) -> None:
    text = client.get("/api/documents/trial-conversion").json()["text"]
    start, end = text.index("试用开始前"), text.index("让价值被看见。") + 7
    s_start = text.index("新增需求")
    s_end = text.index("！", s_start) + 1
    view = client.get("/api/documents/trial-conversion/view", params={
        "start": start, "end": end, "sentence_start": s_start, "sentence_end": s_end}).json()
    tree = Tree(view["html"])
    assert "".join(m.text for m in tree.find("mark", class_="passage")) == text[start:end]
    assert tree.find("mark", class_="sentence-mark")[0].text == text[s_start:s_end]
    assert view["title"] == "试用期转化的三个教训" and view["metadata"]["author"] == "测试作者"
    bad = client.get("/api/documents/trial-conversion/view", params={"start": 5, "end": len(text) + 1})
    assert bad.status_code == 422 and "not inside the document" in str(bad.json()["detail"])


def test_source_page_rejects_bad_spans_and_unknown_documents(client: TestClient) -> None:
    length = len(client.get("/api/documents/trial-conversion").json()["text"])
    bad = client.get(f"/sources/trial-conversion?start=5&end={length + 1}")
    assert bad.status_code == 422 and "not inside the document" in bad.text
    assert client.get("/sources/trial-conversion?start=9&end=3").status_code == 422
    assert client.get("/sources/trial-conversion?start=-1&end=3").status_code == 422
    missing = client.get("/sources/no-such-doc")
    assert missing.status_code == 404 and "no-such-doc" in Tree(missing.text).find("p", class_="error-message")[0].text
    assert client.get("/sources/..%2Fetc").status_code in (404, 422)


def test_markup_in_documents_is_escaped(tmp_path: Path) -> None:
    corpus = write_markup_corpus(FIXTURE_CORPUS, tmp_path / "markup-corpus")
    settings = make_settings(tmp_path, corpus=corpus, embedder="fake")
    assert run_ingest(settings, HashEmbedder, progress=False).ok
    with TestClient(create_app(settings)) as client:
        html = client.get(f"/sources/{XSS_DOC_ID}?start=0&end=20").text
    tree = Tree(html)
    scripts = tree.find("script")
    assert [s.attrs.get("src", "").split("?")[0] for s in scripts] == ["", "/static/source.js"]
    assert scripts[0].attrs["type"] == "application/json" and "<" not in scripts[0].text  # UI strings only
    assert not tree.find("img") and not tree.find("b")
    assert XSS_SCRIPT in tree.find("h1")[0].text
    assert XSS_IMG in tree.find("div", class_="doc-text markdown")[0].text
    assert not tree.find("a", class_="doc-link")  # its url is javascript:


def test_only_http_urls_are_linked() -> None:
    assert safe_url("https://example.com/a") == "https://example.com/a"
    assert safe_url("http://example.com") == "http://example.com"
    for bad in ("javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,x", "/relative", None, 3):
        assert safe_url(bad) is None


def test_feedback_export_serves_a_curator(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"question": "为什么试用后丢单"}).json()
    for rating, comment in ((1, ""), (-1, "漏掉了验收指标, \"范围\"")):
        body = {"rating": rating, "comment": comment, "message_id": answer["message_id"],
                "conversation_id": answer["conversation_id"], "question": "为什么试用后丢单",
                "answer": answer["answer"], "citations": answer["citations"],
                "config": {"answerer": answer["answerer"], "build_id": answer["trace"]["build_id"]}}
        assert client.post("/api/feedback", json=body).status_code == 201
    bad = client.get("/api/feedback", params={"rating": -1}).json()
    assert [(r["rating"], r["comment"]) for r in bad] == [(-1, "漏掉了验收指标, \"范围\"")]
    assert bad[0]["citations"][0]["doc_id"] == answer["citations"][0]["doc_id"]
    response = client.get("/api/feedback", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["rating"] for r in rows] == ["1", "-1"]
    assert rows[1]["comment"] == "漏掉了验收指标, \"范围\"" and rows[1]["question"] == "为什么试用后丢单"
    assert '"build_id"' in rows[1]["config"]
    assert client.get("/api/feedback", params={"rating": 5}).status_code == 422


def test_source_page_marks_the_quoted_sentence_inside_the_passage(client: TestClient) -> None:
    # The links every text surface writes (links.source_view_url) land on the quoted sentence, so
    # a point that shares its [n] with others can be checked where it was quoted from.
    text = client.get("/api/documents/trial-conversion").json()["text"]
    start = text.index("团队疲于奔命")
    sentence_end = text.index("。", start) + 1
    passage_start = text.rfind("\n\n", 0, start) + 2
    url = source_view_url("", "trial-conversion", passage_start, sentence_end + 5, (start, sentence_end))
    tree = Tree(client.get(url).text)
    (sentence,) = [m for m in tree.find("mark") if m.attrs.get("id") == "cited-sentence"]
    assert sentence.text == text[start:sentence_end] and sentence.attrs["class"] == "sentence-mark"
    assert [m.attrs["id"] for m in tree.find("mark") if m.attrs.get("id")] == ["cited", "cited-sentence"]
    assert client.get(f"/sources/trial-conversion?sentence_start=3&sentence_end={len(text) + 1}").status_code == 422
