"""PDF and Word files: their text is ingested, and a broken or encrypted file is reported, not fatal."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.store.build_store import load_index
from ingest.build import run_ingest
from ingest.loaders import LoadError, read_file
from testing.fakes import HashEmbedder
from testing.office_files import write_docx, write_pdf


def test_pdf_text_and_title_are_read(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "r.pdf", ["Churn after the trial (week 6)", "Sign a frame contract"], title="Trial report")
    meta, text = read_file(path)
    assert meta == {"title": "Trial report"}
    assert text == "Churn after the trial (week 6)\nSign a frame contract\n"


def test_docx_headings_become_sections(tmp_path: Path) -> None:
    path = write_docx(tmp_path / "w.docx", "交付复盘", {"背景": ["客户是某制造集团。"], "教训": ["先签框架协议。"]})
    meta, text = read_file(path)
    assert (meta["title"], meta["author"], meta["date"]) == ("交付复盘", "测试", "2025-03-01")
    assert text == "# 交付复盘\n\n## 背景\n\n客户是某制造集团。\n\n## 教训\n\n先签框架协议。\n"


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("cut.pdf", None, "broken PDF"),
    ("junk.pdf", b"%PDF-1.7 nothing else", "broken PDF"),
    ("junk.docx", b"PK\x03\x04 not really a zip", "not a .docx file"),
    ("old.docx", b"\xd0\xcf\x11\xe0 OLE container", "not a .docx file"),
])
def test_broken_files_say_why(tmp_path: Path, name: str, content: bytes | None, reason: str) -> None:
    path = tmp_path / name
    if content is None:
        content = write_pdf(tmp_path / "whole.pdf", ["text"]).read_bytes()[:300]
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason):
        read_file(path)


def test_encrypted_pdf_says_so(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "locked.pdf", ["secret plan"], password="s3cret")
    with pytest.raises(LoadError, match="encrypted PDF"):
        read_file(path)


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "scan.pdf", [])
    with pytest.raises(LoadError, match="no text layer"):
        read_file(path)


def test_ingest_indexes_office_files_and_reports_broken_ones(fake_settings: Settings) -> None:
    uploads = fake_settings.corpus_dir / "uploads"
    uploads.mkdir()
    write_pdf(uploads / "trial-report.pdf", ["Pilot churn: the customer left after week 6"], title="Pilot report")
    write_docx(uploads / "review.docx", "银行复盘", {"教训": ["先签框架协议，再投入研发。"]})
    write_pdf(uploads / "locked.pdf", ["secret"], password="pw")
    report = run_ingest(fake_settings, HashEmbedder, progress=False)
    assert {"uploads-trial-report", "uploads-review"} <= set(report.new)
    assert report.failures == [{"path": "uploads/locked.pdf",
                                "reason": "encrypted PDF (password-protected): save an unprotected copy and add that"}]
    index = load_index(fake_settings.index_dir)
    assert index.documents["uploads-trial-report"].metadata["title"] == "Pilot report"
    assert "先签框架协议" in index.documents["uploads-review"].text
