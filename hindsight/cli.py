"""`hindsight` command line: ingest, search, ask, docs, serve, questions, eval.

The index, retrieval and ingest modules are imported inside the commands: FAISS and the
embedder fix their thread counts when loaded, and _limit_threads must run before that.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.core.settings import Settings

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _limit_threads(threads: int) -> None:
    """One thread per process by default: on 2 cores two threads made single queries far slower."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, str(threads))


class UsageError(Exception):
    """Bad input on the command line: exit 2 with the message."""


def positive_int(text: str) -> int:
    """argparse type for -k: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def question_text(text: str) -> str:
    """argparse type for the question: refuse an empty or whitespace-only one."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the question is empty; ask something, e.g. hindsight ask \"为什么试用期后丢单？\"")
    return text.strip()


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        k: v for k, v in {
            "corpus_dir": getattr(args, "corpus", None),
            "index_dir": getattr(args, "index", None),
        }.items() if v is not None
    }
    return Settings(**overrides)


def _filters(pairs: Sequence[str] | None, pipeline: Any) -> Any:
    """--filter key=value pairs checked against the index: a typo is an error, not a no-op."""
    # lazy: imports FAISS, whose thread count is fixed on load (see the module docstring).
    from assistant.retrieve.facets import facets, unknown_filter_values
    from assistant.retrieve.retriever import Filters

    data: dict[str, list[str]] = {}
    for pair in pairs or []:
        key, _, value = pair.partition("=")
        if not value.strip() or not key.strip():
            raise UsageError(f"--filter takes key=value, got {pair!r}")
        data.setdefault(key.strip(), []).append(value.strip())
    try:
        filters = Filters.from_json(data)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    problems = unknown_filter_values(filters, facets(pipeline.holder.get())) if data else []
    if problems:
        raise UsageError("\n".join(problems))
    return filters if data else None


def cmd_ingest(args: argparse.Namespace) -> int:
    # lazy: ingest uses every core, so its thread settings differ from the query commands'.
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
    for failure in [*report.skipped, *report.failures, *report.question_problems]:
        print(f"skipped {failure['path']}: {failure['reason']}", file=sys.stderr)
    print(dumps(report) if args.json else summary_line(report))
    return 0 if report.ok else 1


def cmd_questions(args: argparse.Namespace) -> int:
    """Draft curated questions (corpus/questions/) for documents without them, with the LLM."""
    # lazy: the LLM client pulls llama-index.
    from assistant.llm.client import create_llm_client
    from ingest.draft_questions import draft_corpus

    settings = _settings(args)
    client = create_llm_client(settings)
    if client is None:
        raise UsageError("drafting questions needs an LLM: set HINDSIGHT_LLM_BASE_URL (and HINDSIGHT_LLM_MODEL), "
                         "see docs/llm.md; or write corpus/questions/<doc_id>.jsonl by hand (corpus/questions/README.md)")
    results = draft_corpus(settings.corpus_dir, client, args.doc, args.per_passage, args.force)
    if args.json:
        print(json.dumps([r.to_json() for r in results], ensure_ascii=False, indent=2))
    for r in results if not args.json else []:
        outcome = f"error: {r.error}" if r.error else f"{r.kept} kept, {r.dropped} dropped" + (f" -> {r.path}" if r.path else "")
        print(f"{r.doc_id}: {outcome}")
    if not results and not args.json:
        print("every document has its questions file (use --force to redraft, --doc ID to pick)")
    return 1 if any(r.error for r in results) else 0


def _pipeline(args: argparse.Namespace) -> Any:
    # lazy: loads FAISS and the embedder after _limit_threads has set their thread counts.
    from assistant.service.pipeline import build_pipeline

    return build_pipeline(_settings(args))


def _ensure_index(pipeline: Any) -> bool:
    # lazy: see _pipeline.
    from assistant.store.build_store import IndexUnavailable

    try:
        pipeline.serving_index()
    except IndexUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def cmd_search(args: argparse.Namespace) -> int:
    # lazy: see _pipeline.
    from assistant.retrieve.facets import relevance
    from assistant.text import plain_passage

    pipeline = _pipeline(args)
    if not _ensure_index(pipeline):
        return 2
    hits = pipeline.search(args.question, k=args.k, filters=_filters(args.filter, pipeline), mode=args.mode)
    if args.json:  # raw fused scores for scripts; people get rank and relevance below
        print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return 0
    if not hits:
        print("no passages match", file=sys.stderr)
    for i, hit in enumerate(hits, start=1):
        c = hit.chunk
        score = relevance(hit.score, pipeline.settings, args.mode, args.question)
        print(f"{i}. relevance {score:>3}/100  {_where(c.title, c.section)}  ({c.doc_id} {c.start}-{c.end})")
        print("   " + plain_passage(c.text)[:300])  # the passage as read; --json keeps it verbatim
    return 0


def _where(title: str, section: str | None) -> str:
    """title › section, without a section that merely repeats the title."""
    parts = [p.strip() for p in (section or "").split(">") if p.strip() and p.strip() != title]
    return " › ".join([title, *parts])


def cmd_ask(args: argparse.Namespace) -> int:
    pipeline = _pipeline(args)
    if not _ensure_index(pipeline):
        return 2
    if args.conversation:
        return _ask_in_conversation(args, pipeline)
    answer = pipeline.answer(args.question, filters=_filters(args.filter, pipeline))
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    _print_sources(answer.to_json(), args.question, pipeline.settings.public_url)
    return 0


def _print_sources(body: dict[str, Any], question: str, base_url: str) -> None:
    """The answer's Sources, then an abstention's possibly related passages or an answer's other
    sources, as numbered lines. A source with no public URL (a postmortem) links to the web
    chat's source view of the passage (round-17 trial: a bare slug gave the reader nothing to open)."""
    from assistant.surfaces.links import citation_view_url  # lazy: see _pipeline.

    related = _related_heading(question, answered=not body.get("abstained"))
    for heading, sources in (("Sources:", body["citations"]), (related, body.get("related") or [])):
        if sources:
            print(f"\n{heading}")
        for cite in sources:
            print(_source_lines(cite["n"], cite.get("display_title") or cite["title"], cite.get("section_path", []),
                                cite.get("snippet", ""), cite["url"] or citation_view_url(base_url, cite)))


def _related_heading(question: str, answered: bool) -> str:
    # lazy: see _pipeline.
    from assistant.answer.related import related_heading

    return related_heading(question, answered)


def _source_lines(n: int, title: str, path: list[str], snippet: str, where: str) -> str:
    """A source as a reader tells it apart: title › section path, the quoted snippet, where."""
    heading = " › ".join([title, *path])
    return f"[{n}] {heading}\n    “{snippet}”\n    {where}"


def _ask_in_conversation(args: argparse.Namespace, pipeline: Any) -> int:
    """A turn of a conversation kept in the same SQLite history as the API (created if new)."""
    # lazy: see _pipeline.
    from assistant.service.chat import ChatService
    from assistant.service.history import HistoryStore

    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", args.conversation):
        raise UsageError("--conversation takes 1-64 characters of A-Z a-z 0-9 . _ : -")
    store = HistoryStore(pipeline.settings.sqlalchemy_url)
    result = ChatService(pipeline, store).ask(
        args.question, _filters(args.filter, pipeline), conversation_id=args.conversation, source="cli",
        create_missing=True,
    )
    body = result.to_json()
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    print(body["answer"])
    _print_sources(body, args.question, pipeline.settings.public_url)  # as for a question asked alone
    print(f"\n(conversation {body['conversation_id']}, answered by {body['answerer']})", file=sys.stderr)
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    """`docs list`: every document with its status; `docs show ID`: one document's metadata and text."""
    # lazy: see _pipeline.
    from assistant.store.build_store import IndexUnavailable, load_index
    from hindsight.library.service import list_library

    settings = _settings(args)
    try:
        index = load_index(settings.index_dir)
    except IndexUnavailable as exc:
        if args.action == "show":
            raise UsageError(str(exc)) from exc
        index = None
    if args.action == "show":
        return _show_document(index, args.doc_id, args.json)
    entries = list_library(settings, index)
    if args.json:
        print(json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=2))
        return 0
    for e in entries:
        print(f"{e.doc_id or '-':<28} {e.status:<8} {e.doc_type or '-':<10} {e.date or '-':<10} "
              f"{e.chunks:>4} chunks  {e.title}" + (f"  ({e.reason})" if e.reason else ""))
    return 0


def _show_document(index: Any, doc_id: str, as_json: bool) -> int:
    doc = index.documents.get(doc_id)
    if doc is None:
        raise UsageError(f"no document {doc_id!r}; `hindsight docs list` shows the ids")
    if as_json:
        print(json.dumps(doc.to_json(), ensure_ascii=False, indent=2))
        return 0
    for key, value in doc.metadata.items():
        if key not in ("content_hash",):
            print(f"{key}: {value}")
    print()
    print(doc.text)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    # lazy: uvicorn is only needed to serve.
    import uvicorn

    settings = _settings(args)
    if args.ingest:
        # A child process: ingest uses every core, and OpenMP fixes its thread count at first
        # use, so ingesting in the serving process would leave the server on the wrong count.
        env = {**os.environ, "HINDSIGHT_CORPUS_DIR": str(settings.corpus_dir),
               "HINDSIGHT_INDEX_DIR": str(settings.index_dir)}
        env.pop("OMP_NUM_THREADS", None)
        if subprocess.run([sys.executable, "-m", "hindsight.cli", "ingest"], env=env).returncode != 0:
            return 1
    host, port = args.host or settings.host, args.port or settings.port
    # The app reads its settings again from the environment, so --host/--port go there too:
    # without them `serve --port 8741` linked sources to :8000 (settings.public_url, round 7
    # trial) and `--host 0.0.0.0` kept /mcp's localhost-only Host check on.
    os.environ.update({"HINDSIGHT_CORPUS_DIR": str(settings.corpus_dir), "HINDSIGHT_INDEX_DIR": str(settings.index_dir),
                       "HINDSIGHT_HOST": host, "HINDSIGHT_PORT": str(port)})
    uvicorn.run(
        "hindsight.app:app_from_env", factory=True, host=host, port=port, workers=args.workers, log_level="info",
    )
    return 0


def cmd_mcp(args: argparse.Namespace) -> int:
    """The MCP server over stdio; stdout is the protocol, so everything else goes to stderr."""
    # lazy: the mcp SDK is slow to import and only this command needs it
    from assistant.surfaces.mcp_server import build_mcp_server

    with contextlib.redirect_stdout(sys.stderr):
        pipeline = _pipeline(args)
        if not _ensure_index(pipeline):
            return 2
    build_mcp_server(lambda: pipeline, pipeline.settings.max_k).run("stdio")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    try:
        # lazy: the harness is optional in an installed copy (eval/ may be absent).
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
    p.add_argument("question", type=question_text)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--filter", action="append", metavar="KEY=VALUE",
                   help="metadata filter, e.g. doc_type=postmortem or tags=试用期 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hindsight", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"hindsight {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="build or update the index from the corpus")
    _common(p)
    p.add_argument("--rebuild", action="store_true", help="ignore the previous build; re-embed everything")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p = sub.add_parser("search", help="show ranked passages")
    _common(p)
    _query_args(p)
    p.add_argument("-k", type=positive_int, default=5, help="how many passages (at least 1)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"])
    p = sub.add_parser("ask", help="answer with cited sources")
    _common(p)
    _query_args(p)
    p.add_argument("--conversation", metavar="ID",
                   help="continue (or start) conversation ID; follow-ups use its history (docs/llm.md)")
    p = sub.add_parser("docs", help="the document library: list, or show one document")
    docs = p.add_subparsers(dest="action", required=True)
    listing = docs.add_parser("list", help="every document with type, date, chunks and ingest status")
    listing.add_argument("--json", action="store_true")
    _common(listing)
    show = docs.add_parser("show", help="one document's metadata and text")
    show.add_argument("doc_id", metavar="ID")
    show.add_argument("--json", action="store_true")
    _common(show)
    p = sub.add_parser("serve", help="serve the API and web chat")
    _common(p)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--ingest", action="store_true", help="bring the index up to date first (incremental)")
    p = sub.add_parser("mcp", help="serve the MCP tools over stdio (docs/integrations.md)")
    _common(p)
    p = sub.add_parser("questions", help="draft corpus/questions/ for documents without them, with the configured LLM")
    _common(p)
    p.add_argument("--doc", action="append", metavar="ID", help="only this document (repeatable)")
    p.add_argument("--per-passage", type=positive_int, default=4, help="questions asked for per passage")
    p.add_argument("--force", action="store_true", help="replace an existing questions file")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("eval", help="run the offline evaluation (see eval/README.md)", add_help=False)
    p.add_argument("eval_args", nargs=argparse.REMAINDER)
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "ingest": cmd_ingest, "search": cmd_search, "ask": cmd_ask, "docs": cmd_docs,
    "serve": cmd_serve, "mcp": cmd_mcp, "eval": cmd_eval, "questions": cmd_questions,
}


def _version() -> str:
    try:
        return importlib.metadata.version("hindsight")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed)"


def _quiet_on_closed_pipe() -> int:
    """`hindsight … | head`: the reader left; stop without a traceback (exit like SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's final flush would fail again otherwise
    return 141


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hindsight` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["eval"]:
        # argparse.REMAINDER does not capture leading --options, so eval parses its own argv.
        args = argparse.Namespace(command="eval", eval_args=argv[1:])
    else:
        args = build_parser().parse_args(argv)
    if args.command != "ingest":
        _limit_threads(Settings().threads)
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return _quiet_on_closed_pipe()


if __name__ == "__main__":
    sys.exit(main())
