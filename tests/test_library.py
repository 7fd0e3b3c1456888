"""The library over HTTP: who may write, what is accepted, and that each change becomes searchable."""

from __future__ import annotations

import fcntl
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.core.settings import Settings
from assistant.service.pipeline import IndexHolder
from hindsight.app import create_app
from hindsight.library.jobs import IngestJobs
from ingest.build import run_ingest
from testing.fakes import HashEmbedder
from testing.office_files import write_docx, write_pdf
from tests.conftest import make_settings
from tests.test_web import Tree

TOKEN = "library-admin-token-123"
ADMIN = {"X-Admin-Token": TOKEN}
POSTMORTEM = {
    "id": "pm-retail-pilot", "title": "零售客服试点因数据权限停滞", "project": "客服助手",
    "industry": "零售", "customer_segment": "连锁零售", "phase": "试点/POC", "outcome": "stalled",
    "date": "2025-06-30", "tags": ["数据权限", "试点"], "language": "zh-Hans",
    "background": "某连锁零售集团（化名）希望用大模型回答门店客服问题。",
    "timeline": "第三周发现订单数据需要总部信息部审批，审批拖了六周。",
    "root_cause": "立项时没有确认数据接口的审批流程和负责人。",
    "lessons": "- 立项前先拿到数据权限的书面确认。",
    "actions": "- [ ] 把数据权限确认加入立项清单 —— 售前 —— 下季度",
}


def app_client(tmp_path: Path, **overrides: Any) -> Iterator[tuple[TestClient, Settings]]:
    settings = make_settings(tmp_path, embedder="fake", **overrides)
    assert run_ingest(settings, HashEmbedder, progress=False).ok
    with TestClient(create_app(settings)) as client:
        yield client, settings


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[tuple[TestClient, Settings]]:
    yield from app_client(tmp_path, admin_token=TOKEN)


def wait_for(client: TestClient, job: dict[str, Any], limit: float = 60.0) -> dict[str, Any]:
    """Poll the job until it finishes (a wait, not a speed assertion)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        job = client.get(f"/api/library/jobs/{job['id']}").json()
        if job["state"] in ("done", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job did not finish: {job}")


def search_doc_ids(client: TestClient, question: str) -> list[str]:
    return [h["doc_id"] for h in client.post("/api/search", json={"question": question, "k": 5}).json()]


def corpus_files(settings: Settings) -> set[str]:
    return {p.relative_to(settings.corpus_dir).as_posix() for p in settings.corpus_dir.rglob("*") if p.is_file()}


def test_writes_are_off_without_an_admin_token(tmp_path: Path) -> None:
    for client, settings in app_client(tmp_path):
        before = corpus_files(settings)
        response = client.post("/api/library/postmortems", json=POSTMORTEM)
        assert response.status_code == 403 and "HINDSIGHT_ADMIN_TOKEN" in response.json()["detail"]
        files = {"file": ("a.md", b"# x\n\nsome text here\n", "text/markdown")}
        assert client.post("/api/library/documents", files=files, headers=ADMIN).status_code == 403
        assert client.delete("/api/library/documents/trial-conversion").status_code == 403
        assert corpus_files(settings) == before
        listing = client.get("/api/library").json()
        assert listing["writable"] is False and len(listing["documents"]) == 3
        page = Tree(client.get("/library").text)
        assert page.by_id("read-only") and not page.find("form", id="upload-form")


def test_listing_shows_type_date_tags_chunks_and_status(admin: tuple[TestClient, Settings]) -> None:
    client, _ = admin
    docs = {d["doc_id"]: d for d in client.get("/api/library").json()["documents"]}
    entry = docs["pm-bank-exclusivity"]
    assert (entry["doc_type"], entry["date"], entry["status"]) == ("postmortem", "2024-09-30", "indexed")
    assert entry["tags"] == ["排他条款", "合同"] and entry["chunks"] >= 1


def test_uploaded_docx_and_pdf_become_searchable(admin: tuple[TestClient, Settings], tmp_path: Path) -> None:
    client, settings = admin
    docx_path = write_docx(tmp_path / "季度复盘.docx", "物流调度试点复盘", {"教训": ["冷链调度模型上线前必须接入实时温控数据。"]})
    with docx_path.open("rb") as handle:
        response = client.post("/api/library/documents", headers=ADMIN, data={"doc_type": "postmortem"},
                               files={"file": ("季度复盘.docx", handle, "application/octet-stream")})
    assert response.status_code == 202, response.text
    job = wait_for(client, response.json())
    assert job["state"] == "done" and "searchable now" in job["message"], job
    assert (settings.corpus_dir / "postmortems" / "季度复盘.docx").is_file()
    hits = client.post("/api/search", json={"question": "冷链调度 温控数据", "k": 3}).json()
    assert hits[0]["title"] == "物流调度试点复盘" and hits[0]["doc_type"] == "postmortem"
    assert re.fullmatch(r"postmortems-[0-9a-f]{8}", hits[0]["doc_id"])  # a CJK file name gets a unique id

    pdf = write_pdf(tmp_path / "pilot.pdf", ["Warehouse robots pilot: the vendor missed the SLA twice"], title="Robots pilot")
    response = client.post("/api/library/documents", headers=ADMIN,
                           files={"file": ("pilot.pdf", pdf.read_bytes(), "application/pdf")})
    job = wait_for(client, response.json())
    assert job["state"] == "done"
    hits = client.post("/api/search", json={"question": "warehouse robots vendor SLA", "k": 3}).json()
    assert hits[0]["title"] == "Robots pilot"
    status = {d["path"]: d["status"] for d in client.get("/api/library").json()["documents"]}
    assert status["uploads/pilot.pdf"] == "indexed" and status["postmortems/季度复盘.docx"] == "indexed"


@pytest.mark.parametrize(("name", "content", "status", "reason"), [
    ("locked.pdf", "encrypted", 422, "encrypted PDF"),
    ("cut.pdf", "truncated", 422, "broken PDF"),
    ("notes.exe", b"MZ...", 415, "only .md, .txt, .html, .pdf, .docx"),
    ("empty.md", b"---\ntitle: x\n---\n", 422, "empty document"),
    ("../../../etc/evil.md", b"# evil\n\nwritten outside?\n", 202, ""),
])
def test_bad_uploads_are_refused_and_nothing_is_lost(
    admin: tuple[TestClient, Settings], tmp_path: Path, name: str, content: Any, status: int, reason: str,
) -> None:
    client, settings = admin
    if content == "encrypted":
        content = write_pdf(tmp_path / "x.pdf", ["secret"], password="pw").read_bytes()
    elif content == "truncated":
        content = write_pdf(tmp_path / "x.pdf", ["text"]).read_bytes()[:300]
    before = corpus_files(settings)
    response = client.post("/api/library/documents", headers=ADMIN, files={"file": (name, content, "application/octet-stream")})
    assert response.status_code == status, response.text
    if status != 202:
        assert reason in str(response.json()["detail"])
        assert corpus_files(settings) == before  # no half-written file, no staging leftover
        return
    wait_for(client, response.json())
    added = corpus_files(settings) - before
    assert added == {"uploads/evil.md"}  # the directories of the name are dropped
    assert not (tmp_path / "etc").exists()


def test_existing_file_is_not_overwritten(admin: tuple[TestClient, Settings]) -> None:
    client, settings = admin
    original = (settings.corpus_dir / "articles" / "trial-conversion.md").read_bytes()
    response = client.post("/api/library/documents", headers=ADMIN, data={"doc_type": "article"},
                           files={"file": ("trial-conversion.md", b"# replaced\n\nnew text\n", "text/markdown")})
    assert response.status_code == 409 and "already exists" in response.json()["detail"]
    assert (settings.corpus_dir / "articles" / "trial-conversion.md").read_bytes() == original


def test_upload_size_limit(tmp_path: Path) -> None:
    for client, settings in app_client(tmp_path, admin_token=TOKEN, max_upload_bytes=2048):
        for size in (3000, 200_000):  # over the file limit; over the request limit as well
            big = b"# big\n\n" + b"x" * size
            response = client.post("/api/library/documents", headers=ADMIN, files={"file": ("big.md", big, "text/markdown")})
            assert response.status_code == 413 and "exceeds" in response.json()["detail"]
        assert not (settings.corpus_dir / "uploads").exists()


def test_postmortem_form_preview_validation_and_save(admin: tuple[TestClient, Settings]) -> None:
    client, settings = admin
    bad = client.post("/api/library/postmortems/preview", json={**POSTMORTEM, "id": "Bank Pilot", "outcome": "meh"})
    assert bad.status_code == 422
    assert {e["loc"][-1] for e in bad.json()["detail"]} == {"id", "outcome"}
    preview = client.post("/api/library/postmortems/preview", json=POSTMORTEM).json()
    assert preview["path"] == "postmortems/pm-retail-pilot.md"
    template = (Path(__file__).resolve().parents[1] / "corpus" / "postmortems" / "TEMPLATE.md").read_text()
    keys = re.findall(r"^(\w+):", template.split("---")[1], re.M)
    assert re.findall(r"^(\w+):", preview["markdown"].split("---")[1], re.M) == keys
    assert re.findall(r"^## (.+)$", preview["markdown"], re.M) == re.findall(r"^## (.+)$", template, re.M)
    assert "doc_type: postmortem" in preview["markdown"] and "sample: false" in preview["markdown"]
    assert [h.text for h in Tree(preview["html"]).find("h2")] == ["背景", "经过", "根因", "教训", "行动项"]

    response = client.post("/api/library/postmortems", json=POSTMORTEM, headers=ADMIN)
    assert response.status_code == 202
    assert wait_for(client, response.json())["state"] == "done"
    assert "pm-retail-pilot" in search_doc_ids(client, "门店客服 数据权限 审批")
    doc = client.get("/api/documents/pm-retail-pilot").json()
    assert doc["metadata"]["doc_type"] == "postmortem" and doc["metadata"]["outcome"] == "stalled"
    again = client.post("/api/library/postmortems", json=POSTMORTEM, headers=ADMIN)
    assert again.status_code == 409


def test_delete_moves_the_file_to_the_trash_and_drops_it_from_search(admin: tuple[TestClient, Settings]) -> None:
    client, settings = admin
    assert "pm-bank-exclusivity" in search_doc_ids(client, "排他条款")
    questions = settings.corpus_dir / "questions" / "pm-bank-exclusivity.jsonl"
    questions.parent.mkdir(exist_ok=True)
    questions.write_text('{"question": "Q", "quote": "排他条款", "lang": "en"}\n', encoding="utf-8")
    response = client.delete("/api/library/documents/pm-bank-exclusivity", headers=ADMIN)
    assert response.status_code == 202
    assert wait_for(client, response.json())["state"] == "done"
    assert "pm-bank-exclusivity" not in search_doc_ids(client, "排他条款")
    assert not (settings.corpus_dir / "postmortems" / "pm-bank-exclusivity.md").exists()
    (kept,) = settings.trash_dir.rglob("pm-bank-exclusivity.md")
    assert "排他条款" in kept.read_text(encoding="utf-8")
    # its curated questions went with it, so no later ingest reports them as orphans
    assert not questions.exists() and len(list(settings.trash_dir.rglob("pm-bank-exclusivity.jsonl"))) == 1
    assert client.delete("/api/library/documents/pm-bank-exclusivity", headers=ADMIN).status_code == 404


def test_browser_session_needs_the_csrf_token(admin: tuple[TestClient, Settings]) -> None:
    client, _ = admin
    assert client.post("/library/login", data={"token": "wrong-token-wrong-token"}).status_code == 401
    assert client.post("/api/library/postmortems", json=POSTMORTEM).status_code == 401
    login = client.post("/library/login", data={"token": TOKEN}, follow_redirects=False)
    assert login.status_code == 303 and "samesite=strict" in login.headers["set-cookie"].lower()
    csrf = Tree(client.get("/library").text).find("meta", name="csrf-token")[0].attrs["content"]
    no_token = client.post("/api/library/postmortems", json=POSTMORTEM)
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["detail"]
    foreign = client.post("/api/library/postmortems", json=POSTMORTEM,
                          headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    ok = client.post("/api/library/postmortems", json=POSTMORTEM, headers={"X-CSRF-Token": csrf})
    assert ok.status_code == 202
    wait_for(client, ok.json())
    assert client.post("/api/library/postmortems", json=POSTMORTEM, headers={"X-Admin-Token": "x" * 20}).status_code == 401


def test_conversations_rename_delete_and_search(admin: tuple[TestClient, Settings]) -> None:
    client, _ = admin
    first = client.post("/api/chat", json={"question": "排他条款为什么拖住合同"}).json()
    second = client.post("/api/chat", json={"question": "试用期怎么避免丢单"}).json()
    cid = first["conversation_id"]
    long_title = "银行信贷项目：排他条款谈判五轮仍未签约的完整经过与教训"
    assert client.patch(f"/api/conversations/{cid}", json={"title": long_title}).status_code == 200
    assert client.patch(f"/api/conversations/{cid}", json={"title": "   "}).status_code == 422
    assert client.patch("/api/conversations/nope", json={"title": "x"}).status_code == 404
    titles = {c["id"]: c["title"] for c in client.get("/api/conversations").json()}
    assert titles[cid] == long_title  # stored and returned in full
    found = client.get("/api/conversations", params={"q": "信贷"}).json()
    assert [c["id"] for c in found] == [cid]
    by_message = client.get("/api/conversations", params={"q": "避免丢单"}).json()
    assert [c["id"] for c in by_message] == [second["conversation_id"]]
    assert client.get("/api/conversations", params={"q": "%"}).json() == []  # LIKE wildcards are literal
    feedback = {"rating": -1, "message_id": first["message_id"], "conversation_id": cid, "question": "q"}
    assert client.post("/api/feedback", json=feedback).status_code == 201
    assert client.delete(f"/api/conversations/{cid}").status_code == 204
    assert client.get(f"/api/conversations/{cid}").status_code == 404
    assert [r["comment"] for r in client.get("/api/feedback").json()] == [""]  # feedback is kept


def test_jobs_are_shared_by_worker_processes_and_wait_for_the_ingest_lock(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, embedder="fake")
    assert run_ingest(settings, HashEmbedder, progress=False).ok
    published: list[int] = []
    first = IngestJobs(settings, HashEmbedder, lambda: published.append(1))
    second = IngestJobs(settings, HashEmbedder, lambda: None)  # another worker process's view
    (settings.corpus_dir / "articles" / "new.md").write_text("---\nid: new-doc\n---\n新文档的正文。\n", encoding="utf-8")
    with (settings.index_dir / ".ingest.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # e.g. a `hindsight ingest` running in a shell
        job = first.submit("add", "articles/new.md")
        deadline = time.monotonic() + 30
        while (seen := second.get(job.id)) is not None and seen.state == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen is not None and seen.state == "running"  # waiting for the lock, not failed
    while (seen := second.get(job.id)) is not None and seen.state == "running" and time.monotonic() < deadline + 30:
        time.sleep(0.05)
    assert seen is not None and seen.state == "done" and published == [1]
    assert [j.id for j in second.recent()] == [job.id]


def test_a_file_that_failed_to_ingest_can_be_deleted_by_path(admin: tuple[TestClient, Settings]) -> None:
    client, settings = admin
    duplicate = b"---\nid: trial-conversion\ntitle: dup\n---\n\nsame id as an existing article\n"
    response = client.post("/api/library/documents", headers=ADMIN, files={"file": ("dup.md", duplicate, "text/markdown")})
    job = wait_for(client, response.json())
    assert job["state"] == "failed" and "duplicate id 'trial-conversion'" in job["message"]
    entry = next(d for d in client.get("/api/library").json()["documents"] if d["path"] == "uploads/dup.md")
    assert entry["status"] == "failed" and "duplicate id" in entry["reason"]
    for bad in ("glossary.tsv", "../outside.md", ".incoming/x.md", "uploads/none.md"):
        assert client.delete("/api/library/files", params={"path": bad}, headers=ADMIN).status_code == 404, bad
    response = client.delete("/api/library/files", params={"path": "uploads/dup.md"}, headers=ADMIN)
    assert response.status_code == 202 and wait_for(client, response.json())["state"] == "done"
    paths = {d["path"] for d in client.get("/api/library").json()["documents"]}
    assert "uploads/dup.md" not in paths and "articles/trial-conversion.md" in paths


def test_index_holder_reload_picks_up_a_new_build_at_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, embedder="fake")
    assert run_ingest(settings, HashEmbedder, progress=False).ok
    holder = IndexHolder(settings, check_interval=3600)
    before = holder.get().build_id
    (settings.corpus_dir / "articles" / "new.md").write_text("---\nid: new-doc\n---\n新文档的正文。\n", encoding="utf-8")
    assert run_ingest(settings, HashEmbedder, progress=False).published
    assert holder.get().build_id == before  # between checks the snapshot stays put
    holder.reload()
    assert holder.get().build_id != before and "new-doc" in holder.get().documents
