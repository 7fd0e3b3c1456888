"""The harness on a tiny question set with a fake backend: field paths, aggregates, reports."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from eval.backends import Backend, Outcome
from eval.harness import run_config, summarize
from eval.questions import Question, QuestionError, load_questions
from eval.report import write_reports
from eval.runner import ConfigResult, RunResult

QUESTIONS = Path(__file__).parent / "fixtures" / "eval" / "questions.jsonl"
EVIL = "<script>alert('x')</script> & 试用期"


def hit(doc_id: str, text: str, start: int = 0) -> dict[str, Any]:
    return {"doc_id": doc_id, "text": text, "start": start, "end": start + len(text),
            "chunk_id": f"{doc_id}:{start}", "title": f"<b>{doc_id}</b>", "score": 0.5}


def answer(sentences: list[tuple[str, list[int]]], cited: dict[int, str], abstained: bool = False) -> dict[str, Any]:
    return {
        "answer": "资料中没有找到相关内容。" if abstained else "".join(s for s, _ in sentences),
        "abstained": abstained,
        "citations": [{"n": n, "doc_id": "d", "chunk_id": f"d:{n}", "text": t} for n, t in cited.items()],
        "sentences": [{"text": s, "citations": c} for s, c in sentences],
        "trace": {"embed_ms": 2.0, "faiss_ms": 1.0, "bm25_ms": 3.0, "answer_ms": 4.0, "mode": "hybrid",
                  **({"abstain_reason": "evidence 0.31 < 0.87"} if abstained else {})},
    }


# Canned outcomes per question id (t1 why, t2 out_of_scope, t8 fact, t9 postmortem).
CANNED = {
    "t1": Outcome([hit("x", EVIL), hit("trial-conversion", "试用期结束后，客户转向了服务更成熟的大厂。")],
                  answer([("客户转向了服务更成熟的大厂。", [1]), ("这句话没有出处。", [1])],
                         {1: "试用期结束后，客户转向了服务更成熟的大厂。"}), 10.0),
    "t2": Outcome([hit("x", "无关")], answer([], {}, abstained=True), 20.0),
    "t8": Outcome([hit("pricing-trad", "但大客戶更願意一次性買斷私有化部署。")],
                  answer([("大客戶更願意一次性買斷私有化部署。", [1])], {1: "但大客戶更願意一次性買斷私有化部署。"}), 30.0),
    "t9": Outcome([hit("x", "无关")], answer([], {}, abstained=True), 40.0),
}


class FakeBackend(Backend):
    def ask(self, question: Question) -> Outcome:
        if question.id == "boom":
            raise RuntimeError("kaput")
        return CANNED[question.id]


def lexical_judge(sentence: str, cited: list[str]) -> bool:
    return any(sentence.rstrip("。") in p for p in cited)


@pytest.fixture
def records() -> list:
    return run_config(load_questions(QUESTIONS), FakeBackend(), lexical_judge)


def test_per_question_metrics_and_failures(records: list) -> None:
    t1, t2, t8, t9 = records
    # t1: spans at rank 2 ("大厂") and missing ("三十万元"): hit@1 0, recall@5 1/2, MRR 1/2.
    assert (t1.metrics["hit@1"], t1.metrics["hit@5"], t1.metrics["recall@5"], t1.metrics["mrr@10"]) == (0, 1, 0.5, 0.5)
    # its one cited passage holds gold span 1 of 2: citation precision 1, recall 1/2.
    assert t1.metrics["citation_recall"] == 0.5 and t1.metrics["citation_precision"] == 1.0
    assert t1.metrics["support_recall"] == 0.5 and t1.metrics["support_precision"] == 0.5
    # "这句话没有出处。" has 7 CJK characters: a fragment.
    assert t1.metrics["key_facts"] == 0.0 and t1.metrics["noise_rate"] == 0.5 and t1.noise == ["这句话没有出处。"]
    assert t1.metrics["language_match"] == 1.0 and t1.metrics["answer_chars"] == 22
    assert t1.unsupported == ["这句话没有出处。"]
    assert t1.failures == ["some gold spans missing from the top 5", "missing key facts: 新需求, 三十万",
                           "citations hold 50% of the gold spans",
                           "1 answer sentence(s) not supported by their citations", "1 noise sentence(s)"]
    assert t1.latency == {"embed_ms": 2.0, "faiss_ms": 1.0, "bm25_ms": 3.0, "answer_ms": 4.0, "total_ms": 10.0}
    assert t2.failures == [] and "hit@5" not in t2.metrics
    assert t8.metrics["mrr@10"] == 1.0 and t8.metrics["key_facts"] == 1.0 and t8.failures == []
    assert t9.failures == ["no gold span in the top 5", "abstained on an answerable question"]


def test_summary_aggregates_by_hand(records: list) -> None:
    summary = summarize(records)
    got = summary["metrics"]
    # answerable t1, t8, t9: hit@5 (1+1+0)/3, MRR (0.5+1+0)/3, key facts (0+1+0)/3.
    assert got["hit@5"] == pytest.approx(2 / 3, abs=1e-4) and got["mrr@10"] == 0.5
    assert got["key_facts"] == pytest.approx(1 / 3, abs=1e-4)
    # answered t1, t8: gold-span citation recall (0.5 + 1) / 2, precision (1 + 1) / 2; support (0.5 + 1) / 2.
    assert got["citation_recall"] == 0.75 and got["citation_precision"] == 1.0
    assert got["support_recall"] == 0.75 and got["support_precision"] == 0.75
    # t8 is a traditional question answered in traditional script; the two abstentions are simplified.
    assert got["language_match"] == 1.0 and got["noise_rate"] == 0.25
    # abstained t2 (out of scope) and t9 (answerable): precision 1/2, recall 1/1.
    assert (got["abstain_precision"], got["abstain_recall"]) == (0.5, 1.0)
    assert (got["questions"], got["answerable"], got["errors"]) == (4, 3, 0)
    assert summary["by_type"]["out_of_scope"]["abstain_rate"] == 1.0
    assert summary["by_type"]["out_of_scope"]["abstain_recall"] == 1.0
    assert summary["by_type"]["fact"]["hit@1"] == 1.0 and summary["by_lang"]["zh-Hant"]["key_facts"] == 1.0
    assert summary["by_lang"]["zh-Hans"]["false_abstain_rate"] == 0.5
    # the fixed split: t1, t2 in dev, t8, t9 in test.
    assert {s: v["questions"] for s, v in summary["splits"].items()} == {"dev": 2, "test": 2}
    assert summary["splits"]["test"]["false_abstain_rate"] == 0.5 and summary["splits"]["dev"]["abstain_recall"] == 1.0
    assert summary["latency"]["total_ms"] == {"p50": 25.0, "p95": 38.5}


def test_one_failing_question_is_recorded_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(QUESTIONS.read_text(encoding="utf-8").splitlines()[1] + "\n"
                    + json.dumps({"id": "boom", "question": "?", "answerable": False, "type": "out_of_scope"}) + "\n",
                    encoding="utf-8")
    got = run_config(load_questions(path), FakeBackend(), lexical_judge)
    assert got[1].error == "RuntimeError: kaput" and summarize(got)["metrics"]["errors"] == 1


def test_bad_question_files_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "x", "gold": [{"doc_id": "d", "spans": ["s"]}]}\n{oops\n')
    with pytest.raises(QuestionError, match=":2:"):
        load_questions(path)
    path.write_text('{"id": "a", "question": "x", "answerable": true}\n')
    with pytest.raises(QuestionError, match="gold"):
        load_questions(path)


class Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_reports_escape_corpus_text_and_highlight_gold(records: list, tmp_path: Path) -> None:
    run = RunResult([ConfigResult("fake", "fake backend", {}, records, summarize(records))], {"llm": "not configured"})
    summary = write_reports(run, tmp_path, "r1", "tiny")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    parser = Collector()
    parser.feed(page)
    parser.close()
    assert parser.tags.count("script") == 1  # only the report's own script
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; 试用期" in page
    assert EVIL in "".join(parser.text)  # the text survives, as text
    assert "<mark>客户转向了服务更成熟的大厂</mark>" in page and "<mark>大客戶更願意一次性買斷私有化部署</mark>" in page
    # 1 chart of configurations + 4 per type + 4 per language; a drill-down per question.
    assert parser.tags.count("svg") == 9 and parser.tags.count("details") == 4
    assert page.count('<tr class="q') == 4 and "✓ 客户转向了服务更成熟的大厂" in page and "✗ 试用合同只有三十万元" in page
    assert "By type" in page and "By language" in page and page.count("evidence 0.31 &lt; 0.87") == 2
    assert summary["configs"]["fake"]["metrics"]["mrr@10"] == 0.5
    assert [r["gold"] for r in summary["questions"]["fake"][0]["retrieved"]] == [False, True]
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))["skipped"] == {"llm": "not configured"}
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "| fake | dev |" in md and "| fake | test |" in md and "| t9 | test |" in md and "| t2 |" not in md
    assert "## By language" in md


def test_related_passages_of_abstentions_are_scored_against_gold() -> None:
    # t9 (answerable) is refused: does a passage it lists as possibly related hold its gold span?
    # t2 (out of scope) is refused too: does it list any?
    def refused(related: list[str]) -> dict[str, Any]:
        return {**answer([], {}, abstained=True),
                "related": [{"n": n, "doc_id": "pm-bank-exclusivity", "text": t} for n, t in enumerate(related, 1)]}

    def run(t9_related: list[str], t2_related: list[str]) -> dict[str, Any]:
        canned = {**CANNED, "t9": Outcome(CANNED["t9"].hits, refused(t9_related), 40.0),
                  "t2": Outcome(CANNED["t2"].hits, refused(t2_related), 20.0)}

        class Backend_(FakeBackend):
            def ask(self, question: Question) -> Outcome:
                return canned[question.id]

        return summarize(run_config(load_questions(QUESTIONS), Backend_(), lexical_judge))["metrics"]

    gold = run(["无关的段落。", "客户在合同中加入三年排他条款，谈判停滞。"], ["无关"])
    assert gold["false_abstain_related_gold"] == 1.0 and gold["out_of_scope_related"] == 1.0
    nothing = run(["无关的段落。"], [])
    assert nothing["false_abstain_related_gold"] == 0.0 and nothing["out_of_scope_related"] == 0.0
