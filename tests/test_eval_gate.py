"""The gate fails for each metric family when fed a deliberately degraded result set.

Synthetic questions and canned answers (no index, no model): a good run is the baseline, then
each degradation — lost retrieval, wrong citations, missing key facts, never abstaining, always
abstaining, noisy answers, wrong script — must trip its own family on the test split.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import opencc
import pytest

from eval import gate
from eval.backends import Backend, Outcome
from eval.harness import run_config, summarize
from eval.questions import Question

LANGS = ["zh-Hans", "zh-Hant", "en"]
S2T = opencc.OpenCC("s2t").convert
ABSTAIN = {"zh-Hans": "资料中没有提到这个问题。", "zh-Hant": "資料中沒有提到這個問題。",
           "en": "The sources do not mention this."}


def fact(i: int) -> str:
    return f"第{i}号客户在合同里加入了三年排他条款"


def questions() -> list[Question]:
    out = []
    for i in range(40):
        lang = LANGS[i % 3]
        if i < 30:
            out.append(Question(f"g{i}", f"第{i}号客户为什么没签约？", "why", lang, True,
                                {f"d{i}": [fact(i)]}, [f"第{i}号客户", "排他条款"]))
        else:
            out.append(Question(f"g{i}", "红烧肉怎么做？", "out_of_scope", lang, False))
    return out


def passage(doc_id: str, text: str) -> dict[str, Any]:
    return {"doc_id": doc_id, "text": text, "start": 0, "end": len(text), "chunk_id": f"{doc_id}:0"}


def good_text(q: Question, body: str) -> str:
    """The body in the question's script, English-framed for English questions."""
    return S2T(body) if q.lang == "zh-Hant" else body


def answer(q: Question, body: str, cited: list[dict[str, Any]], extra: list[tuple[str, str]] = ()) -> dict[str, Any]:
    sentences = [{"text": "One source gives this reason:", "citations": [], "kind": "frame"}] if q.lang == "en" else []
    sentences.append({"text": good_text(q, body) + "。[1]", "citations": [1], "kind": "lead"})
    sentences += [{"text": t, "citations": [], "kind": k} for t, k in extra]
    return {"answer": "\n".join(s["text"] for s in sentences), "abstained": False, "sentences": sentences,
            "citations": [{"n": n, **c} for n, c in enumerate(cited, start=1)], "trace": {}}


def abstain(q: Question) -> dict[str, Any]:
    return {"answer": ABSTAIN[q.lang], "abstained": True, "sentences": [], "citations": [], "trace": {}}


def noise_passage(q: Question) -> dict[str, Any]:
    return passage("other", f"另一篇文章讲的是{q.id}号仓库的盘点流程和库存周转。")


def good(q: Question) -> Outcome:
    if not q.answerable:
        return Outcome([noise_passage(q)], abstain(q), 1.0)
    gold = passage(f"d{q.id[1:]}", f"背景。{fact(int(q.id[1:]))}，所以合同没签下来。")
    return Outcome([gold, noise_passage(q)], answer(q, fact(int(q.id[1:])), [gold]), 1.0)


def degrade(kind: str) -> Callable[[Question], Outcome]:
    """A backend answer function with one deliberate defect."""
    def ask(q: Question) -> Outcome:
        out = good(q)
        if kind == "retrieval" and q.answerable:
            out = Outcome([noise_passage(q)], out.answer, 1.0)
        elif kind == "citations" and q.answerable:
            out = Outcome(out.hits, answer(q, fact(int(q.id[1:])), [noise_passage(q)]), 1.0)
        elif kind == "key facts" and q.answerable:
            out = Outcome(out.hits, answer(q, "客户对这个方案的整体评价一直都不错", [out.hits[0]]), 1.0)
        elif kind == "never abstains" and not q.answerable:
            out = Outcome(out.hits, answer(q, "红烧肉要先焯水再小火慢炖一个小时", [out.hits[0]]), 1.0)
        elif kind == "always abstains":
            out = Outcome(out.hits, abstain(q), 1.0)
        elif kind == "noise" and q.answerable:
            noisy = [("## 项目复盘", "point"), ("**要点**", "point"), ("原因？", "point")]
            out = Outcome(out.hits, answer(q, fact(int(q.id[1:])), [out.hits[0]], noisy), 1.0)
        elif kind == "wrong script" and q.answerable:
            body = fact(int(q.id[1:]))
            wrong = Question(q.id, q.question, q.type, "zh-Hant" if q.lang == "zh-Hans" else "zh-Hans", True)
            out = Outcome(out.hits, answer(wrong, body, [out.hits[0]]), 1.0)
        return out
    return ask


class CannedBackend(Backend):
    def __init__(self, ask: Callable[[Question], Outcome]) -> None:
        self._ask = ask

    def ask(self, question: Question) -> Outcome:
        return self._ask(question)


def lexical_judge(sentence: str, cited: list[str]) -> bool:
    return any(sentence.split("。")[0] in p for p in cited)


def summary_of(kind: str | None) -> dict[str, Any]:
    """The summary of a good run (kind None) or of one degradation."""
    ask = good if kind is None else degrade(kind)
    return summarize(run_config(questions(), CannedBackend(ask), lexical_judge))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = tmp_path_factory.mktemp("gate") / "baseline.json"
    gate.write_baseline(path, "canned", "synthetic", summary_of(None))
    return gate.load_baseline(path)


def test_synthetic_set_has_both_splits_and_a_perfect_good_run(baseline: dict[str, Any]) -> None:
    metrics = baseline["metrics"]
    assert 0 < metrics["questions"] < 40 and baseline["dev_metrics"]["questions"] == 40 - metrics["questions"]
    assert {k: metrics[k] for k in ("hit@1", "citation_recall", "citation_precision", "key_facts",
                                    "abstain_recall", "language_match")} == dict.fromkeys(
        ("hit@1", "citation_recall", "citation_precision", "key_facts", "abstain_recall", "language_match"), 1.0)
    assert metrics["false_abstain_rate"] == 0.0 and metrics["noise_rate"] == 0.0
    assert gate.compare(metrics, baseline) == []


@pytest.mark.parametrize(("kind", "family"), [
    ("retrieval", "retrieval"),
    ("citations", "citations"),
    ("key facts", "key facts"),
    ("never abstains", "abstention"),
    ("always abstains", "abstention"),
    ("noise", "noise"),
    ("wrong script", "language"),
])
def test_gate_fails_for_each_degraded_family(baseline: dict[str, Any], kind: str, family: str) -> None:
    problems = gate.compare(summary_of(kind)["splits"][gate.GATE_SPLIT], baseline)
    assert family in {gate.family_of(p.split(":")[0]) for p in problems}, problems


def test_every_family_is_gated() -> None:
    assert set(gate.FAMILIES) == {"retrieval", "citations", "key facts", "abstention", "noise", "language"}
