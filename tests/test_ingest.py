"""Ingestion: incremental builds, atomic publication, manifest, and bad input reported and skipped."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import BinaryIO

import pytest

from assistant.core.settings import Settings
from assistant.embed.embedder import create_embedder
from assistant.store.build_store import current_build, load_index
from ingest import loaders
from ingest.build import IngestError, IngestReport, run_ingest
from testing.fakes import HashEmbedder


def ingest(settings: Settings, **kwargs: object) -> tuple[IngestReport, HashEmbedder]:
    embedder = HashEmbedder()
    report = run_ingest(settings, lambda: embedder, progress=False, **kwargs)  # type: ignore[arg-type]
    return report, embedder


def test_cold_build_writes_plain_files_and_manifest(fake_settings: Settings) -> None:
    report, _ = ingest(fake_settings)
    assert report.ok and report.published
    assert sorted(report.new) == ["pm-bank-exclusivity", "pricing-trad", "trial-conversion"]
    build = current_build(fake_settings.index_dir)
    assert build is not None
    names = {p.name for p in build.iterdir()}
    assert {"manifest.json", "chunks.jsonl", "documents.jsonl", "vectors.npy", "dense.faiss", "bm25", "bm25-words",
            "answerability.json"} <= names
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["embedder"] == {"name": "fake:hash-bigrams", "dim": 64}
    assert manifest["params"]["chunking"]["chunk_size"] == fake_settings.chunk_size
    assert manifest["params"]["embedder"] == {"backend": "fake", "model": fake_settings.embedder_model, "version": ""}
    assert manifest["lexical"] == ["bigram", "jieba"] and manifest["answerability"]
    assert manifest["counts"]["chunks"] == report.chunks
    assert set(manifest["documents"]) == set(report.new)
    assert all(len(d["hash"]) == 64 for d in manifest["documents"].values())


def test_a_new_lexical_text_recipe_republishes_without_re_embedding(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = run_ingest(fake_settings, HashEmbedder, progress=False)
    assert not run_ingest(fake_settings, HashEmbedder, progress=False).published  # nothing changed
    monkeypatch.setattr("ingest.build.LEXICAL_TEXT", "title+section+industry+text")
    again = run_ingest(fake_settings, HashEmbedder, progress=False)
    assert again.published and again.build_id != first.build_id and again.embedded == 0
    assert load_index(fake_settings.index_dir).manifest["lexical_text"] == "title+section+industry+text"


def test_chunks_keep_original_text_at_their_span(fake_settings: Settings) -> None:
    ingest(fake_settings)
    index = load_index(fake_settings.index_dir)
    for chunk in index.chunks:
        assert index.documents[chunk.doc_id].text[chunk.start : chunk.end] == chunk.text
    trad = [c for c in index.chunks if c.doc_id == "pricing-trad"]
    assert "標準化產品" in "".join(c.text for c in trad)  # traditional text is stored as written
    pm = next(c for c in index.chunks if c.doc_id == "pm-bank-exclusivity")
    assert pm.metadata["doc_type"] == "postmortem" and pm.metadata["industry"] == "金融"


def test_unchanged_corpus_reembeds_nothing_and_keeps_the_build(fake_settings: Settings) -> None:
    first, _ = ingest(fake_settings)
    second, embedder = ingest(fake_settings)
    assert second.embedded == 0 and embedder.calls == 0 and not second.published
    assert sorted(second.unchanged) == sorted(first.new)
    assert second.build_id == first.build_id


def test_changed_document_is_rechunked_alone(fake_settings: Settings) -> None:
    first, _ = ingest(fake_settings)
    doc = fake_settings.corpus_dir / "articles" / "trial-conversion.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n新增的一段：验收指标必须量化。\n", encoding="utf-8")
    second, embedder = ingest(fake_settings)
    assert second.changed == ["trial-conversion"]
    assert sorted(second.unchanged) == ["pm-bank-exclusivity", "pricing-trad"]
    assert second.build_id != first.build_id
    index = load_index(fake_settings.index_dir)
    changed_chunks = [c for c in index.chunks if c.doc_id == "trial-conversion"]
    changed_sentences = [s for s in index.sentences if s.doc_id == "trial-conversion"]
    assert embedder.texts_embedded == len(changed_chunks) + len(changed_sentences)
    assert any("验收指标必须量化" in c.text for c in changed_chunks)


def test_deleted_document_leaves_the_index(fake_settings: Settings) -> None:
    ingest(fake_settings)
    (fake_settings.corpus_dir / "articles" / "pricing-trad.md").unlink()
    report, _ = ingest(fake_settings)
    assert report.removed == ["pricing-trad"]
    index = load_index(fake_settings.index_dir)
    assert "pricing-trad" not in index.documents
    assert all(c.doc_id != "pricing-trad" for c in index.chunks)


def test_changed_chunk_settings_rebuild_everything(fake_settings: Settings) -> None:
    ingest(fake_settings)
    smaller = fake_settings.model_copy(update={"chunk_size": 60, "chunk_overlap": 10})
    report, embedder = ingest(smaller)
    assert len(report.new) == 3 and embedder.texts_embedded > 0


BAD_FILES: dict[str, bytes] = {
    "binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR",
    "latin1.txt": "caf\xe9 cr\xe8me".encode("latin-1"),
    "broken-front.md": b"---\ntitle: [unclosed\n---\nbody text\n",
    "empty.md": b"---\ntitle: nothing here\n---\n\n   \n",
    "bad-id.md": b"---\nid: ../../etc/passwd\n---\n\xe6\xad\xa3\xe6\x96\x87\n",
}
REASONS = {
    "binary.md": "binary",
    "latin1.txt": "not UTF-8",
    "broken-front.md": "broken front-matter",
    "empty.md": "empty document",
    "bad-id.md": "invalid document id",
}


def test_bad_files_are_reported_with_reason_and_the_rest_ingested(fake_settings: Settings) -> None:
    bad = fake_settings.corpus_dir / "bad"
    bad.mkdir()
    for name, data in BAD_FILES.items():
        (bad / name).write_bytes(data)
    report, _ = ingest(fake_settings)
    assert report.ok and len(report.new) == 3
    reasons = {Path(f["path"]).name: f["reason"] for f in report.failures}
    assert set(reasons) == set(BAD_FILES)
    for name, expected in REASONS.items():
        assert expected in reasons[name], reasons[name]
    # Broken files stay reported on an unchanged re-run instead of silently disappearing.
    again, _ = ingest(fake_settings)
    assert {Path(f["path"]).name for f in again.failures} == set(BAD_FILES)


def test_unreadable_file_is_reported(fake_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    target = fake_settings.corpus_dir / "articles" / "pricing-trad.md"
    real_open = loaders._open_no_follow
    opened: list[Path] = []

    def open_once(path: Path) -> BinaryIO:  # hashed at discovery, then unreadable when loaded
        opened.append(path)
        if path == target and opened.count(path) > 1:
            raise PermissionError(13, "Permission denied")
        return real_open(path)

    monkeypatch.setattr(loaders, "_open_no_follow", open_once)
    report, _ = ingest(fake_settings)
    assert [f["reason"] for f in report.failures] == ["unreadable: Permission denied"]
    assert "pricing-trad" not in report.new and report.ok


def test_duplicate_ids_fail_the_later_file(fake_settings: Settings) -> None:
    original = fake_settings.corpus_dir / "articles" / "trial-conversion.md"
    (fake_settings.corpus_dir / "articles" / "zz-copy.md").write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    report, _ = ingest(fake_settings)
    assert [f["path"] for f in report.failures] == ["articles/zz-copy.md"]
    assert "duplicate id 'trial-conversion'" in report.failures[0]["reason"]


def test_html_documents_keep_headings_as_sections(fake_settings: Settings) -> None:
    html = "<html><head><title>网页标题</title><script>var x=1;</script></head><body><h2>小节</h2><p>网页正文第一句。第二句！</p></body></html>"
    (fake_settings.corpus_dir / "page.html").write_text(html, encoding="utf-8")
    ingest(fake_settings)
    index = load_index(fake_settings.index_dir)
    chunk = next(c for c in index.chunks if c.doc_id == "page")
    assert chunk.title == "网页标题" and chunk.section == "小节"
    assert "var x" not in index.documents["page"].text


def test_failed_build_leaves_the_previous_index_serving(fake_settings: Settings) -> None:
    first, _ = ingest(fake_settings)
    (fake_settings.corpus_dir / "articles" / "new.md").write_text("---\nid: new\n---\n新的文档内容在这里。\n", encoding="utf-8")

    class Exploding(HashEmbedder):
        def embed_batch(self, texts, kind):  # type: ignore[no-untyped-def]
            raise RuntimeError("embedder crashed mid-build")

    with pytest.raises(RuntimeError, match="mid-build"):
        run_ingest(fake_settings, Exploding, progress=False)
    assert load_index(fake_settings.index_dir).build_id == first.build_id
    builds = fake_settings.index_dir / "builds"
    assert [p.name for p in builds.iterdir() if not p.name.startswith(".")] == [first.build_id]
    second, _ = ingest(fake_settings)
    assert second.new == ["new"] and second.published


def test_nothing_indexable_is_not_ok(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_bytes(b"\x00\x01")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "ix", embedder="fake")
    report, _ = ingest(settings)
    assert not report.ok and not report.published and len(report.failures) == 1


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=tmp_path / "nope", index_dir=tmp_path / "ix", embedder="fake")
    with pytest.raises(IngestError, match="corpus directory not found"):
        ingest(settings)


def test_fake_embedder_is_registered_at_the_factory_seam(fake_settings: Settings) -> None:
    assert isinstance(create_embedder(fake_settings), HashEmbedder)
    assert os.environ["HINDSIGHT_INDEX_DIR"].endswith("index")


def test_an_upgraded_embedder_package_re_embeds_everything(fake_settings: Settings,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Vectors of another version of the model are not reused (they may not be comparable)."""
    from assistant.embed import embedder as embedder_module

    first, _ = ingest(fake_settings)
    assert first.published
    again, unchanged_embedder = ingest(fake_settings)
    assert unchanged_embedder.texts_embedded == 0 and again.unchanged
    monkeypatch.setitem(embedder_module.BACKEND_PACKAGES, "fake", "pytest")  # "fake" now has a version
    upgraded, embedder = ingest(fake_settings)
    assert sorted(upgraded.new) == sorted(first.new) and embedder.texts_embedded > 0
