"""No file outside the corpus is ever ingested, served or cited: symlinks, loops, dot-files, `..` ids."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.service.pipeline import build_pipeline
from hindsight.app import create_app
from ingest.build import IngestReport, run_ingest
from testing.fakes import HashEmbedder

SECRET_TEXT = "---\ntitle: secret\n---\nTOP-SECRET-MARKER 数据库密码是 hunter2。\n"


def ingest(settings: Settings) -> IngestReport:
    return run_ingest(settings, HashEmbedder, progress=False)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the corpus holding a secret document."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.md").write_text(SECRET_TEXT, encoding="utf-8")
    return folder


@pytest.fixture
def linked(fake_settings: Settings, outside: Path) -> Settings:
    """The fixture corpus plus every kind of link a careless operator or an attacker could plant."""
    corpus = fake_settings.corpus_dir
    (corpus / "articles" / "leak.md").symlink_to(outside / "secret.md")
    (corpus / "leaked-dir").symlink_to(outside, target_is_directory=True)
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "loop-a.md").symlink_to(corpus / "loop-b.md")
    (corpus / "loop-b.md").symlink_to(corpus / "loop-a.md")
    (corpus / "self").symlink_to(corpus, target_is_directory=True)
    (corpus / "dangling.md").symlink_to(corpus / "nowhere.md")
    (corpus / "alias.md").symlink_to(corpus / "articles" / "trial-conversion.md")  # inside: allowed
    (corpus / ".hidden.md").write_text(SECRET_TEXT, encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "notes.md").write_text(SECRET_TEXT, encoding="utf-8")
    return fake_settings


def test_links_leaving_the_corpus_are_skipped_with_reasons(linked: Settings) -> None:
    report = ingest(linked)
    assert report.ok
    skipped = {s["path"]: s["reason"] for s in report.skipped}
    assert "outside the corpus" in skipped["articles/leak.md"]
    assert "outside the corpus" in skipped["passwd.txt"]
    assert "directory" in skipped["leaked-dir"] and "directory" in skipped["self"]
    assert "loop" in skipped["loop-a.md"] and "loop" in skipped["loop-b.md"]
    assert "broken" in skipped["dangling.md"]
    assert "hidden" in skipped[".hidden.md"] and "hidden" in skipped[".git"]
    assert not any(p.startswith(".git/") for p in skipped)  # a hidden folder is reported once
    assert "alias.md" not in skipped  # a link to a corpus file stays inside the corpus


def test_nothing_outside_the_corpus_is_served_or_cited(linked: Settings) -> None:
    ingest(linked)
    with TestClient(create_app(linked, pipeline=build_pipeline(linked))) as client:
        listed = client.get("/api/documents").json()
        assert all("secret" not in (d["title"] or "") for d in listed)
        for doc in listed:
            assert "TOP-SECRET-MARKER" not in client.get(f"/api/documents/{doc['doc_id']}").text
            assert "root:" not in client.get(f"/api/documents/{doc['doc_id']}").text
        hits = client.post("/api/search", json={"question": "TOP-SECRET-MARKER 数据库密码", "k": 20}).json()
        assert all("TOP-SECRET-MARKER" not in h["text"] and "root:x" not in h["text"] for h in hits)
        answer = client.post("/api/chat", json={"question": "数据库密码是什么？"}).json()
        assert "hunter2" not in answer["answer"]


@pytest.mark.parametrize("doc_id", ["..", "../outside/secret", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "a/../../b"])
def test_dot_dot_ids_never_reach_a_file(linked: Settings, doc_id: str) -> None:
    ingest(linked)
    with TestClient(create_app(linked, pipeline=build_pipeline(linked))) as client:
        for path in (f"/api/documents/{doc_id}", f"/sources/{doc_id}"):
            response = client.get(path)
            assert response.status_code in (200, 404, 422), (path, response.status_code)  # "/x/.." is "/"
            assert "TOP-SECRET-MARKER" not in response.text and "root:" not in response.text


def test_a_file_swapped_for_a_link_after_discovery_is_not_read(fake_settings: Settings, outside: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest import loaders

    real_scan = loaders.scan

    def scan_then_swap(corpus: Path) -> loaders.Scan:
        found = real_scan(corpus)
        target = corpus / "articles" / "trial-conversion.md"
        os.remove(target)
        target.symlink_to(outside / "secret.md")  # the race: discovered as a file, read as a link
        return found

    monkeypatch.setattr(loaders, "scan", scan_then_swap)
    monkeypatch.setattr("ingest.build.scan", scan_then_swap)
    report = ingest(fake_settings)
    assert any("trial-conversion.md" in f["path"] for f in report.failures)
    assert "trial-conversion" not in report.new
