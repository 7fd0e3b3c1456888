"""Answer-quality metrics of issue #16 on one split of the question set, in one process.

    python scripts/answer_metrics.py [--split dev|test|all] [--questions FILE] [--show]

Definitions (issue #14): key-fact coverage on answerable questions (abstaining scores 0);
gold-span citation precision = share of cited passages holding a gold span of the question,
recall = share of gold spans held by some cited passage (both after fold(), over answers that
did not abstain); noise = share of lead/point sentences that are not content (markdown, a
heading, a fragment under 8 CJK characters, a question, a keyword list); language match = an
English question gets an English frame, a Chinese one the question's script.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import time
from pathlib import Path

from assistant.core.settings import Settings
from assistant.service.pipeline import build_pipeline
from assistant.text import CJK
from eval.metrics import fold

try:
    from assistant.answer.analysis import analyse, detect_script
except ImportError:  # measuring a checkout from before the answer stages (the "before" numbers)
    analyse = detect_script = None  # type: ignore[assignment]

MARKDOWN = re.compile(r"\*\*|^\s*#{1,6}\s|^\s*[-*+]\s+\[[ xX]\]|\]\(|^\s*[-*+]\s", re.M)


def split(qid: str) -> str:
    return "dev" if hashlib.sha256(qid.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def noisy(text: str) -> bool:
    cjk = len(CJK.findall(text))
    return bool(MARKDOWN.search(text)) or (CJK.search(text) is not None and cjk < 8) or \
        text.rstrip("”」）)").endswith(("？", "?")) or text.count("、") >= 4 and cjk / (text.count("、") + 1) < 5


def language_ok(question: str, answer: dict) -> bool:
    if analyse is None:
        return bool(CJK.search(question)) == bool(CJK.search(answer["answer"]))
    analysis = analyse(question)
    if analysis.english:
        return any(s.get("kind", "point") == "frame" and not CJK.search(s["text"]) for s in answer["sentences"])
    quotes = "".join(s["text"] for s in answer["sentences"] if s.get("kind", "point") in ("lead", "point"))
    return detect_script(quotes) == analysis.script if quotes else True


def score(q: dict, answer: dict) -> dict:
    gold = [(g["doc_id"], fold(span)) for g in q.get("gold") or [] for span in g["spans"]]
    out: dict = {"abstained": answer["abstained"]}
    if q.get("key_facts") and q.get("answerable", True):
        text = fold(answer["answer"])
        facts = q["key_facts"]
        out["key_facts"] = sum(any(fold(a) in text for a in f.split("|")) for f in facts) / len(facts)
    if answer["abstained"]:
        return out
    cited = [(c["doc_id"], fold(c["text"])) for c in answer["citations"]]
    if gold and cited:
        out["precision"] = sum(any(d == gd and s in t for gd, s in gold) for d, t in cited) / len(cited)
        out["recall"] = sum(any(d == gd and s in t for d, t in cited) for gd, s in gold) / len(gold)
    content = [s for s in answer["sentences"] if s.get("kind", "point") in ("lead", "point")]
    out["sentences"] = len(content)
    out["noise"] = sum(noisy(s["text"]) for s in content)
    out["markdown"] = len(MARKDOWN.findall(answer["answer"]))
    out["lead"] = any(s.get("kind", "point") == "lead" for s in answer["sentences"])
    out["language"] = language_ok(q["question"], answer)
    out["chars"] = len(answer["answer"])
    return out


def summarise(rows: list[dict]) -> dict:
    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if key in r]
        return round(statistics.mean(values), 3) if values else None

    answered = [r for r in rows if not r["abstained"]]
    sentences = sum(r.get("sentences", 0) for r in answered)
    return {
        "questions": len(rows), "answered": len(answered),
        "key_facts": mean("key_facts"), "citation_precision": mean("precision"),
        "citation_recall": mean("recall"),
        "noise_rate": round(sum(r.get("noise", 0) for r in answered) / sentences, 4) if sentences else None,
        "markdown": sum(r.get("markdown", 0) for r in answered),
        "lead_rate": mean("lead"), "language_match": mean("language"), "chars": mean("chars"),
        "answer_ms_p50": round(statistics.median(r["ms"] for r in rows), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--questions", type=Path, default=Path("eval/questions.jsonl"))
    parser.add_argument("--show", action="store_true", help="print each question, answer and scores")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text("utf-8").splitlines() if line.strip()]
    questions = [q for q in questions if args.split == "all" or split(q["id"]) == args.split]
    pipeline = build_pipeline(Settings(), answerer="extractive")
    rows = []
    for q in questions:
        started = time.perf_counter()
        answer = pipeline.answer(q["question"]).to_json()
        row = {"id": q["id"], "type": q.get("type"), **score(q, answer),
               "ms": (time.perf_counter() - started) * 1000}
        rows.append(row)
        if args.show:
            print(f"\n### {q['id']} [{q.get('type')}/{q.get('lang')}] {q['question']}\n{answer['answer']}\n{row}")
    print(json.dumps(summarise(rows), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
