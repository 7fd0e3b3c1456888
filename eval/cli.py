"""`hindsight eval`: score configurations on the question set, write reports, guard the baseline."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from assistant.core.settings import PROJECT_ROOT

EVAL_DIR = PROJECT_ROOT / "eval"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hindsight eval", description=__doc__)
    p.add_argument("--config", action="append", metavar="NAME",
                   help="configuration(s) to run, repeatable or comma-separated; 'all' for every one")
    p.add_argument("--list", action="store_true", help="list the configurations and exit")
    p.add_argument("--questions", type=Path, default=EVAL_DIR / "questions.jsonl")
    p.add_argument("--probe", nargs="?", type=Path, const=EVAL_DIR / "abstention_probe.jsonl", metavar="FILE",
                   help="score the held-out probe (eval/abstention_probe.jsonl) instead: one gold quote per "
                        "answerable question, no key facts; never gated")
    p.add_argument("--url", help="evaluate a running server (POST /api/chat and /api/search)")
    p.add_argument("--api-key", help="Bearer key for --url when the server requires one")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--split", choices=["dev", "test", "all"],
                   help="only this split's questions (default: all; with --gate: test, the split it gates on)")
    p.add_argument("--run", help="run name (default: a timestamp); reports go to <results>/<run>/")
    p.add_argument("--results-dir", type=Path, default=EVAL_DIR / "results")
    p.add_argument("--baseline", type=Path, default=EVAL_DIR / "baseline.json")
    p.add_argument("--gate", action="store_true",
                   help="run the default configuration; exit 1 if a gated test-split metric is worse than "
                        "the baseline by more than its tolerance")
    p.add_argument("--update-baseline", "--write-baseline", action="store_true",
                   help="rewrite the baseline from this run's default configuration (on purpose!)")
    p.add_argument("--json", action="store_true", help="print the per-configuration summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    return p


def run(argv: list[str]) -> int:
    """Entry point; returns the process exit code."""
    # lazy: `hindsight --help` and argument errors must not load the pipeline, FAISS or a model.
    from eval import configs as cfg
    from eval.backends import EvalError
    from eval.questions import QuestionError, load_probe, load_questions

    args = build_parser().parse_args(argv)
    if args.list:
        for c in cfg.CONFIGS.values():
            print(f"{c.name:18} {c.description}")
        return 0
    try:
        names = [cfg.DEFAULT_CONFIG] if (args.gate or args.update_baseline) and not args.config else args.config
        configs = cfg.resolve(names)
        if args.probe and (args.gate or args.update_baseline):
            raise ValueError("--probe is a second opinion: it is never gated and never a baseline")
        questions = _select(load_probe(args.probe) if args.probe else load_questions(args.questions), args)
    except (ValueError, QuestionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(args, configs, questions)
    except EvalError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _select(questions: list, args: argparse.Namespace) -> list:
    """The questions of the chosen split (the gate needs only test), then the first --limit."""
    split = args.split or ("test" if args.gate and not args.update_baseline else "all")
    chosen = [q for q in questions if split == "all" or q.split == split]
    return chosen[: args.limit] if args.limit else chosen


def _run(args: argparse.Namespace, configs: list, questions: list) -> int:
    # lazy: see run().
    from assistant.core.settings import Settings
    from eval import gate
    from eval.configs import DEFAULT_CONFIG
    from eval.report import console_table, write_reports
    from eval.runner import evaluate

    quiet = args.quiet or args.json
    run_name = args.run or dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    result = evaluate(configs, questions, Settings(), args.results_dir / ".cache", url=args.url,
                      api_key=args.api_key, quiet=quiet)
    out_dir = args.results_dir / run_name
    summary = write_reports(result, out_dir, run_name, str(args.questions))
    if args.json:
        print(json.dumps({k: {"metrics": v["metrics"], "latency": v["latency"]}
                          for k, v in summary["configs"].items()}, ensure_ascii=False, indent=2))
    else:
        print(console_table(result))
        print(f"\nreports: {out_dir}/summary.json, report.md, report.html")
    default = next((c for c in result.configs if c.name in (DEFAULT_CONFIG, "server")), None)
    code = 0
    if args.gate:
        if default is None:
            print("error: the gate needs the default configuration", file=sys.stderr)
            return 2
        code = _gate(args.baseline, default.summary["splits"][gate.GATE_SPLIT])
    if args.update_baseline and default is not None:
        gate.write_baseline(args.baseline, default.name, _relative(args.questions), default.summary)
        print(f"baseline rewritten: {args.baseline}")
    return code


def _gate(path: Path, metrics: dict) -> int:
    from eval import gate  # lazy: see run()

    try:
        baseline = gate.load_baseline(path)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    problems = gate.compare(metrics, baseline)
    for problem in problems:
        print(f"REGRESSION [{gate.family_of(problem.split(':')[0])}] {problem}", file=sys.stderr)
    if not problems:
        print(f"gate passed: every gated metric ({', '.join(gate.FAMILIES)}) on the {gate.GATE_SPLIT} split "
              f"within its tolerance of {path.name}")
    return 1 if problems else 0


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
