"""Web pages: the chat at GET / and a server-rendered source view with the cited span highlighted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

import web
from assistant.store.build_store import IndexUnavailable, StoredDocument
from assistant.surfaces.deps import PipelineDep
from assistant.surfaces.doc_render import cited_span, render_markdown
from assistant.surfaces.examples import example_questions
from assistant.surfaces.i18n import Lang, pick_language, strings
from assistant.surfaces.routes.api import DOC_ID_PATTERN

# __path__ (not __file__): also right when an older editable install saw web/ as a namespace.
WEB_DIR = Path(next(iter(web.__path__))).resolve()
STATIC_DIR = WEB_DIR / "static"
# Corpus and model text never becomes markup: no inline script, no foreign origins.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")

router = APIRouter(include_in_schema=False)
templates = Environment(
    loader=FileSystemLoader(WEB_DIR / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def _asset_version() -> str:
    """A short hash of the static files, so browsers drop stale JS/CSS after an upgrade."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:10]


ASSET_VERSION = _asset_version()


def static_files() -> StaticFiles:
    """The /static mount (plain JS and CSS; nothing is fetched from a CDN)."""
    return StaticFiles(directory=STATIC_DIR)


def language(request: Request) -> Lang:
    """The page language: the browser's Accept-Language, Chinese unless it prefers another."""
    return pick_language(request.headers.get("accept-language"))


def render(name: str, status_code: int = 200, lang: Lang = "zh", **context: Any) -> HTMLResponse:
    """A template rendered with autoescaping, served with a strict Content-Security-Policy.

    `t` holds the UI strings in lang; `strings_json` gives the same strings to the page scripts.
    """
    table = strings(lang)
    html = templates.get_template(name).render(
        asset_version=ASSET_VERSION, t=table, strings_json=script_json(table), **context)
    return HTMLResponse(html, status_code=status_code, headers={
        "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    })


def script_json(value: Any) -> Markup:
    """JSON that can sit inside <script type="application/json">: no <, > or & to end the element."""
    text = json.dumps(value, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def safe_url(url: Any) -> str | None:
    """url when it is http(s); anything else (javascript:, data:, relative) is not linked."""
    if not isinstance(url, str):
        return None
    return url if urlsplit(url.strip()).scheme.lower() in {"http", "https"} else None


@router.get("/", response_class=HTMLResponse)
def chat_page(request: Request, pipeline: PipelineDep) -> HTMLResponse:
    """The chat: conversations, filters, example questions, streamed cited answers."""
    lang = language(request)
    try:
        examples = example_questions(pipeline.holder.get(), lang)
    except IndexUnavailable:
        examples = []
    return render("index.html", lang=lang, examples=examples)


@router.get("/sources/{doc_id}", response_class=HTMLResponse)
def source_page(
    request: Request, pipeline: PipelineDep,
    doc_id: str = PathParam(max_length=128, pattern=DOC_ID_PATTERN),
    start: int | None = Query(None, ge=0), end: int | None = Query(None, ge=0),
    sentence_start: int | None = Query(None, ge=0), sentence_end: int | None = Query(None, ge=0),
) -> HTMLResponse:
    """A document with the cited span [start, end) highlighted, and the quoted sentence inside it
    (links.source_view_url: Slack, the Sources block, the CLI and the web panel land here)."""
    try:
        index = pipeline.holder.get()
    except IndexUnavailable as exc:
        return render("error.html", 503, message=f"index unavailable: {exc}")
    doc = index.documents.get(doc_id)
    if doc is None:
        return render("error.html", 404, message=f"no document {doc_id!r}")
    try:
        passage = cited_span(doc.text, start, end, "passage")
        sentence = cited_span(doc.text, sentence_start, sentence_end, "sentence-mark")
    except ValueError as exc:
        return render("error.html", 422, message=str(exc))
    # markdown-it escapes all text and drops raw HTML, so its output is safe to embed as is.
    body = Markup(render_markdown(doc.text, passage, sentence))
    return render("source.html", lang=language(request), body_html=body, **document_header(doc))


def document_header(doc: StoredDocument) -> dict[str, Any]:
    """What the source view shows above a document: title, source, author, date, url, tags."""
    meta = doc.metadata
    return {
        "doc_id": doc.doc_id, "title": meta.get("title") or doc.doc_id,
        "source": meta.get("source") or meta.get("author"), "author": meta.get("author"),
        "published": meta.get("published") or meta.get("date"), "doc_type": meta.get("doc_type"),
        "tags": meta.get("tags") or [], "url": safe_url(meta.get("url")),
    }
