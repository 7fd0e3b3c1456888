"""The corpus is untrusted input: hostile files are bounded and reported, markup never executes."""

from __future__ import annotations

import gzip
import zipfile

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.store.build_store import load_index
from hindsight.app import create_app
from ingest.build import run_ingest
from ingest.loaders import MAX_FILE_BYTES
from testing.fakes import HashEmbedder
from testing.optional import require

SCRIPT = "<script>alert('owned')</script>"


def _yaml_bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        prev, cur = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + "\ntitle: bomb\n---\n\n正文。\n"


@pytest.fixture
def hostile(fake_settings: Settings) -> Settings:
    """The fixture corpus plus one file of each hostile kind."""
    articles = fake_settings.corpus_dir / "articles"
    (articles / "huge.md").write_bytes(b"# huge\n\n" + b"a" * (MAX_FILE_BYTES + 1))
    (articles / "bomb.md").write_text(_yaml_bomb(), encoding="utf-8")
    (articles / "gzip-bomb.md").write_bytes(gzip.compress(b"\0" * 50_000_000))
    with zipfile.ZipFile(articles / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("inner.md", "x" * 10_000_000)
    (articles / "escape.md").write_text("---\nid: ../../etc/passwd\n---\n\n正文。\n", encoding="utf-8")
    (articles / "dotdot.md").write_text("---\nid: ..\n---\n\n正文。\n", encoding="utf-8")
    nested = "<html><head><title>nested</title></head><body>" + "<div>" * 200_000 + \
        "深层嵌套的页面也能读出正文。" + "</div>" * 200_000 + "</body></html>"
    (articles / "nested.html").write_text(nested, encoding="utf-8")
    (articles / "xss.md").write_text(
        f"---\nid: xss\ntitle: \"{SCRIPT}\"\nurl: \"javascript:alert(1)\"\n---\n\n"
        f"# 标题 <img src=x onerror=alert(1)>\n\n试用期转化的教训 {SCRIPT} 要写进合同。\n", encoding="utf-8")
    return fake_settings


def test_hostile_files_are_bounded_and_reported_not_fatal(hostile: Settings) -> None:
    report = run_ingest(hostile, HashEmbedder, progress=False)
    assert report.published, report  # the good documents still got indexed
    reasons = {f["path"].rsplit("/", 1)[-1]: f["reason"] for f in report.failures}
    assert "too large" in reasons["huge.md"]
    assert "aliases" in reasons["bomb.md"]
    assert "binary" in reasons["gzip-bomb.md"]
    assert "invalid document id" in reasons["escape.md"]
    assert "invalid document id" in reasons["dotdot.md"]
    assert "bomb.zip" not in reasons  # archives are not corpus files; never opened
    index = load_index(hostile.index_dir)
    nested = [d for d in index.documents.values() if d.metadata.get("title") == "nested"]
    assert nested and "深层嵌套的页面也能读出正文" in nested[0].text
    assert not any(".." in doc_id or "/" in doc_id for doc_id in index.documents)
    assert "xss" in index.documents


def test_markup_in_documents_is_escaped_on_every_surface(hostile: Settings) -> None:
    # No answerability model in the build: every question with hits is answered, so all surfaces show text.
    settings = hostile.model_copy(update={"answerability_file": hostile.index_dir / "no-model.json"})
    run_ingest(settings, HashEmbedder, progress=False)
    with TestClient(create_app(settings)) as client:
        # JSON carries the text verbatim as data (a JSON string cannot execute).
        doc = client.get("/api/documents/xss").json()
        assert SCRIPT in doc["text"] and client.get("/api/documents/xss").headers[
            "content-type"].startswith("application/json")
        page = client.get("/sources/xss")
        mounted = not (page.status_code == 404 and page.headers["content-type"].startswith("application/json"))
        require(mounted, "web source view not mounted")
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;" in page.text
        assert 'href="javascript:' not in page.text
        assert "script-src 'self'" in page.headers.get("content-security-policy", "")
