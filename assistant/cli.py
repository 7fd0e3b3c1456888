"""`hindsight` command line: ingest, search, ask, serve, eval."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _limit_threads(threads: int) -> None:
    """One thread per process by default: on 2 cores two threads made single queries far slower."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, str(threads))


def _settings(args: argparse.Namespace) -> Any:
    from assistant.core.settings import Settings

    overrides = {
        k: v for k, v in {
            "corpus_dir": getattr(args, "corpus", None),
            "index_dir": getattr(args, "index", None),
        }.items() if v is not None
    }
    return Settings(**overrides)


def _filters(pairs: Sequence[str] | None) -> Any:
    from assistant.retrieve.retriever import Filters

    data: dict[str, list[str]] = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        if not value:
            raise SystemExit(f"--filter takes key=value, got {pair!r}")
        data.setdefault(key.strip(), []).append(value.strip())
    try:
        return Filters.from_json(data)
    except ValueError as exc:
        raise SystemExit(str(exc)) from exc


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.embed.embedder import create_embedder
    from ingest.build import IngestError, dumps, run_ingest, summary_line

    settings = _settings(args)
    ingest_settings = settings.model_copy(update={"threads": os.cpu_count() or 1})
    try:
        report = run_ingest(
            settings, lambda: create_embedder(ingest_settings), rebuild=args.rebuild,
            progress=not args.json and not args.quiet,
        )
    except IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for failure in report.failures:
        print(f"skipped {failure['path']}: {failure['reason']}", file=sys.stderr)
    print(dumps(report) if args.json else summary_line(report))
    return 0 if report.ok else 1


def _pipeline(args: argparse.Namespace) -> Any:
    from assistant.service.pipeline import build_pipeline

    return build_pipeline(_settings(args))


def _ensure_index(pipeline: Any) -> bool:
    from assistant.store.build_store import IndexUnavailable

    try:
        pipeline.holder.get()
    except IndexUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def cmd_search(args: argparse.Namespace) -> int:
    pipeline = _pipeline(args)
    if not _ensure_index(pipeline):
        return 2
    hits = pipeline.search(args.question, k=args.k, filters=_filters(args.filter), mode=args.mode)
    if args.json:
        print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return 0
    for i, hit in enumerate(hits, start=1):
        c = hit.chunk
        print(f"{i}. [{hit.score:.4f}] {c.title} › {c.section or '—'}  ({c.doc_id} {c.start}-{c.end})")
        print("   " + c.text.replace("\n", " ")[:300])
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    pipeline = _pipeline(args)
    if not _ensure_index(pipeline):
        return 2
    if args.conversation:
        return _ask_in_conversation(args, pipeline)
    answer = pipeline.answer(args.question, filters=_filters(args.filter))
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.citations:
        print("\nSources:")
    for cite in answer.citations:
        c = cite.hit.chunk
        print(f"[{cite.n}] {c.title} › {c.section or '—'}\n    {c.url or c.doc_id}")
        print("    " + c.text.replace("\n", " ")[:400])
    return 0


def _ask_in_conversation(args: argparse.Namespace, pipeline: Any) -> int:
    """A turn of a conversation kept in the same SQLite history as the API (created if new)."""
    from assistant.service.chat import ChatService
    from assistant.service.history import HistoryStore

    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", args.conversation):
        raise SystemExit("--conversation takes 1-64 characters of A-Z a-z 0-9 . _ : -")
    store = HistoryStore(pipeline.settings.sqlalchemy_url)
    body = ChatService(pipeline, store).ask(
        args.question, _filters(args.filter), conversation_id=args.conversation, source="cli",
        create_missing=True,
    )
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    print(body["answer"])
    for cite in body["citations"]:
        print(f"[{cite['n']}] {cite['title']} › {cite['section'] or '—'}\n    {cite['url'] or cite['doc_id']}")
    print(f"\n(conversation {body['conversation_id']}, answered by {body['answerer']})", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings(args)
    if args.ingest:
        # A child process: ingest uses every core, and OpenMP fixes its thread count at first
        # use, so ingesting in the serving process would leave the server on the wrong count.
        env = {**os.environ, "HINDSIGHT_CORPUS_DIR": str(settings.corpus_dir),
               "HINDSIGHT_INDEX_DIR": str(settings.index_dir)}
        env.pop("OMP_NUM_THREADS", None)
        if subprocess.run([sys.executable, "-m", "assistant.cli", "ingest"], env=env).returncode != 0:
            return 1
    os.environ.update({"HINDSIGHT_CORPUS_DIR": str(settings.corpus_dir), "HINDSIGHT_INDEX_DIR": str(settings.index_dir)})
    uvicorn.run(
        "assistant.surfaces.app:app_from_env", factory=True, host=args.host or settings.host,
        port=args.port or settings.port, workers=args.workers, log_level="info",
    )
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    """The MCP server over stdio; stdout is the protocol, so everything else goes to stderr."""
    from assistant.surfaces.mcp_server import build_mcp_server

    with contextlib.redirect_stdout(sys.stderr):
        pipeline = _pipeline(args)
        if not _ensure_index(pipeline):
            return 2
    build_mcp_server(lambda: pipeline, pipeline.settings.max_k).run("stdio")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        from eval.cli import run as run_eval
    except ImportError as exc:
        print(f"error: evaluation harness unavailable: {exc}", file=sys.stderr)
        return 2
    result: int = run_eval(args.eval_args)
    return result


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", type=Path, help="corpus directory (HINDSIGHT_CORPUS_DIR)")
    p.add_argument("--index", type=Path, help="index directory (HINDSIGHT_INDEX_DIR)")


def _query_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--filter", action="append", metavar="KEY=VALUE",
                   help="metadata filter, e.g. doc_type=postmortem or tags=试用期 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hindsight", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="build or update the index from the corpus")
    _common(p)
    p.add_argument("--rebuild", action="store_true", help="ignore the previous build; re-embed everything")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("search", help="show ranked passages")
    _common(p)
    _query_args(p)
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"])
    p = sub.add_parser("ask", help="answer with cited sources")
    _common(p)
    _query_args(p)
    p.add_argument("--conversation", metavar="ID",
                   help="continue (or start) conversation ID; follow-ups use its history (docs/llm.md)")
    p = sub.add_parser("serve", help="serve the API and web chat")
    _common(p)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--ingest", action="store_true", help="bring the index up to date first (incremental)")
    p = sub.add_parser("mcp", help="serve the MCP tools over stdio (docs/integrations.md)")
    _common(p)
    p = sub.add_parser("eval", help="run the offline evaluation (see eval/README.md)", add_help=False)
    p.add_argument("eval_args", nargs=argparse.REMAINDER)
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ingest": cmd_ingest, "search": cmd_search, "ask": cmd_ask, "serve": cmd_serve, "mcp": cmd_mcp,
    "eval": cmd_eval,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hindsight` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval"]:
        # argparse.REMAINDER does not capture leading --options, so eval parses its own argv.
        args = argparse.Namespace(command="eval", eval_args=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    if args.command != "ingest":
        from assistant.core.settings import Settings

        _limit_threads(Settings().threads)
    return COMMANDS[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
