"""JSON API: search, chat (plain and streamed), documents, conversations, feedback, health."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.exc import IntegrityError

from assistant.retrieve.facets import facets
from assistant.retrieve.retriever import Filters
from assistant.service.chat import ChatService, ConversationNotFound, StreamEvent
from assistant.service.pipeline import Pipeline
from assistant.store.build_store import IndexUnavailable
from assistant.surfaces.api_models import (
    ChatRequest,
    ChatResponse,
    ConversationOut,
    ConversationSummary,
    ConversationTitle,
    DocumentOut,
    DocumentSummary,
    DocumentView,
    FacetValue,
    FeedbackCreated,
    FeedbackRequest,
    FeedbackRow,
    FilterModel,
    FilterOptions,
    Health,
    Passage,
    RenameRequest,
    SearchRequest,
)
from assistant.surfaces.deps import (
    PipelineDep,
    SettingsDep,
    StoreDep,
    check_question,
    new_conversation_allowed,
)
from assistant.surfaces.doc_render import cited_span, render_markdown
from assistant.surfaces.errors import issue
from assistant.surfaces.filters import UnknownFilterValue, request_filters
from assistant.surfaces.openapi import errors, event_stream, text_body
from assistant.surfaces.security import check_limits

router = APIRouter()
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"


class EventStream(StreamingResponse):
    """text/event-stream, so the schema declares the stream's content type."""

    media_type = "text/event-stream"


def _filters(model: FilterModel | None, pipeline: Pipeline) -> Filters | None:
    """The request's filters; 422 naming each value no indexed document has, and the valid ones."""
    try:
        return request_filters(model, pipeline.holder.get)
    except IndexUnavailable as exc:
        raise _unavailable(exc) from exc
    except UnknownFilterValue as exc:
        raise HTTPException(422, [issue(["body", "filters"], problem) for problem in exc.problems]) from exc
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc


def _unavailable(exc: IndexUnavailable) -> HTTPException:
    return HTTPException(503, f"index unavailable: {exc}")


@router.get("/healthz", response_model=Health,
            responses={503: {"model": Health, "description": "degraded: no usable index or database"}})
def healthz(pipeline: PipelineDep, store: StoreDep) -> JSONResponse:
    """ok with the serving build, or 503 degraded with the reason (no usable index, or no durable database)."""
    try:
        index = pipeline.serving_index()
    except IndexUnavailable as exc:
        return JSONResponse({"status": "degraded", "reason": str(exc), "index": None}, status_code=503)
    counts = index.manifest.get("counts", {})
    about = {"build_id": index.build_id, **counts, "embedder": index.manifest.get("embedder")}
    if problem := store.problem():
        return JSONResponse({"status": "degraded", "reason": problem, "index": about}, status_code=503)
    return JSONResponse({"status": "ok", "reason": pipeline.holder.error, "index": about})


@router.post("/api/search", response_model=list[Passage], responses=errors(401, 413, 422, 503))
def search(
    req: SearchRequest, pipeline: PipelineDep, settings: SettingsDep, response: Response
) -> list[dict[str, Any]]:
    """Ranked passages: doc_id, title, url, section, text, score, start, end."""
    check_question(req.question, settings)
    check_limits(settings, k=req.k)
    trace: dict[str, Any] = {}
    try:
        hits = pipeline.search(req.question, k=req.k, filters=_filters(req.filters, pipeline), mode=req.mode, trace=trace)
    except IndexUnavailable as exc:
        raise _unavailable(exc) from exc
    response.headers["X-Index-Build"] = str(trace.get("build_id", ""))  # which build answered
    return [h.to_json() for h in hits]


@router.post("/api/chat", response_model=ChatResponse, responses=errors(401, 404, 413, 422, 429, 503))
def chat(
    req: ChatRequest, pipeline: PipelineDep, store: StoreDep, settings: SettingsDep, request: Request
) -> dict[str, Any]:
    """A cited answer: {answer, citations, sentences, abstained, answerer, conversation_id, …}."""
    check_question(req.question, settings)
    check_limits(settings, history=req.history)
    if req.conversation_id is None:
        new_conversation_allowed(request)
    service = ChatService(pipeline, store)
    history = [t.model_dump() for t in req.history] if req.history is not None else None
    try:
        return service.ask(
            req.question, _filters(req.filters, pipeline), conversation_id=req.conversation_id, history=history
        ).to_json()
    except ConversationNotFound as exc:
        raise HTTPException(404, f"conversation {exc} not found") from exc
    except IndexUnavailable as exc:
        raise _unavailable(exc) from exc


@router.post("/api/chat/stream", response_class=EventStream, responses={
    **event_stream("Server-Sent Events: meta, delta…, then final or error"),
    **errors(401, 413, 422, 429)})
def chat_stream(
    req: ChatRequest, pipeline: PipelineDep, store: StoreDep, settings: SettingsDep, request: Request
) -> StreamingResponse:
    """Server-Sent Events: meta, delta… , final (answer with citations), or error."""
    check_question(req.question, settings)
    check_limits(settings, history=req.history)
    if req.conversation_id is None:
        new_conversation_allowed(request)
    filters = _filters(req.filters, pipeline)
    history = [t.model_dump() for t in req.history] if req.history is not None else None
    events = ChatService(pipeline, store).ask_stream(
        req.question, filters, conversation_id=req.conversation_id, history=history
    )
    return EventStream(_sse(events), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _sse(events: Iterator[StreamEvent]) -> Iterator[str]:
    for event in events:
        yield f"event: {event.event}\ndata: {json.dumps(event.data, ensure_ascii=False)}\n\n"


@router.get("/api/documents/{doc_id}", response_model=DocumentOut, responses=errors(401, 404, 422, 503))
def document(
    pipeline: PipelineDep, doc_id: str = Path(max_length=128, pattern=DOC_ID_PATTERN)
) -> dict[str, Any]:
    """The original text and metadata of a document, so a citation can be opened."""
    try:
        index = pipeline.holder.get()
    except IndexUnavailable as exc:
        raise _unavailable(exc) from exc
    doc = index.documents.get(doc_id)
    if doc is None:
        raise HTTPException(404, f"no document {doc_id!r}")
    return {"doc_id": doc.doc_id, "title": doc.metadata.get("title"), "text": doc.text, "metadata": doc.metadata}


@router.get("/api/documents/{doc_id}/view", response_model=DocumentView, responses=errors(401, 404, 422, 503))
def document_view(
    pipeline: PipelineDep, doc_id: str = Path(max_length=128, pattern=DOC_ID_PATTERN),
    start: int | None = Query(None, ge=0), end: int | None = Query(None, ge=0),
    sentence_start: int | None = Query(None, ge=0), sentence_end: int | None = Query(None, ge=0),
) -> DocumentView:
    """The document as rendered Markdown with the cited passage (and quoted sentence) highlighted."""
    try:
        doc = pipeline.holder.get().documents.get(doc_id)
    except IndexUnavailable as exc:
        raise _unavailable(exc) from exc
    if doc is None:
        raise HTTPException(404, f"no document {doc_id!r}")
    try:
        passage = cited_span(doc.text, start, end, "passage")
        sentence = cited_span(doc.text, sentence_start, sentence_end, "sentence-mark")
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    html = render_markdown(doc.text, passage, sentence)
    return DocumentView(doc_id=doc.doc_id, title=str(doc.metadata.get("title") or doc.doc_id),
                        html=html, metadata=doc.metadata)


@router.get("/api/documents", response_model=list[DocumentSummary], responses=errors(401, 503))
def documents(pipeline: PipelineDep) -> list[dict[str, Any]]:
    """Every indexed document's id, title, type and tags (for filters and browsing)."""
    try:
        index = pipeline.holder.get()
    except IndexUnavailable as exc:
        raise _unavailable(exc) from exc
    return [
        {"doc_id": d.doc_id, "title": d.metadata.get("title"), "doc_type": d.metadata.get("doc_type"),
         "tags": d.metadata.get("tags") or [], "industry": d.metadata.get("industry")}
        for d in index.documents.values()
    ]


@router.get("/api/filters", response_model=FilterOptions, responses=errors(401, 503))
def filter_options(pipeline: PipelineDep) -> FilterOptions:
    """The values the chat's filters panel offers, with how many documents have each."""
    try:
        found = facets(pipeline.holder.get())
    except IndexUnavailable as exc:
        raise _unavailable(exc) from exc
    return FilterOptions(**{
        name: [FacetValue(value=v, count=n) for v, n in found[name].most_common()]
        for name in FilterOptions.model_fields
    })


CONVERSATION_ID = Path(max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")


@router.get("/api/conversations", response_model=list[ConversationSummary], responses=errors(401, 422, 503))
def conversations(
    store: StoreDep, limit: int = Query(50, ge=1, le=500),
    q: str = Query("", max_length=200, description="only conversations whose title or messages contain this"),
) -> list[dict[str, Any]]:
    """The most recently active conversations, newest first (optionally only those matching q)."""
    return store.list_conversations(limit, q)


@router.get("/api/conversations/{conversation_id}", response_model=ConversationOut,
            responses=errors(401, 404, 422, 503))
def conversation(store: StoreDep, conversation_id: str = CONVERSATION_ID) -> dict[str, Any]:
    """One conversation with its messages (each answer with its citations)."""
    found = store.get_conversation(conversation_id)
    if found is None:
        raise HTTPException(404, f"conversation {conversation_id} not found")
    return found


@router.patch("/api/conversations/{conversation_id}", response_model=ConversationTitle,
              responses=errors(401, 404, 413, 422, 503))
def rename_conversation(
    req: RenameRequest, store: StoreDep, conversation_id: str = CONVERSATION_ID
) -> ConversationTitle:
    """Give a conversation a new title."""
    if not store.rename_conversation(conversation_id, req.title):
        raise HTTPException(404, f"conversation {conversation_id} not found")
    return ConversationTitle(id=conversation_id, title=req.title)


@router.delete("/api/conversations/{conversation_id}", status_code=204, responses=errors(401, 404, 422, 503))
def delete_conversation(store: StoreDep, conversation_id: str = CONVERSATION_ID) -> Response:
    """Delete a conversation and its messages (feedback given on them is kept)."""
    if not store.delete_conversation(conversation_id):
        raise HTTPException(404, f"conversation {conversation_id} not found")
    return Response(status_code=204)


@router.post("/api/feedback", status_code=201, response_model=FeedbackCreated,
             responses=errors(401, 404, 413, 422, 503))
def add_feedback(req: FeedbackRequest, store: StoreDep) -> dict[str, Any]:
    """Store a thumbs up/down (+ comment) with the question, answer, citations and config."""
    values = req.model_dump()
    values["citations_json"] = values.pop("citations")
    values["config_json"] = values.pop("config")
    try:
        # The surface names itself: this route is the web/API one; Slack records its own clicks.
        feedback_id = store.add_feedback(**values, source="web")
    except IntegrityError as exc:  # found by fuzzing: an unknown message_id was a 500
        raise HTTPException(404, f"message_id {req.message_id} does not exist") from exc
    return {"id": feedback_id}


@router.get("/api/feedback", response_model=list[FeedbackRow], responses={
    **text_body("text/csv", "JSON rows, or with format=csv a CSV file"),
    **errors(401, 422, 503)})
def export_feedback(
    store: StoreDep, format: Literal["json", "csv"] = "json",
    rating: int | None = Query(None, ge=-1, le=1, description="only this rating: 1 or -1"),
) -> Any:
    """All feedback (or one rating) as JSON or CSV, for turning bad answers into evaluation questions."""
    rows = [r for r in store.list_feedback() if rating is None or r["rating"] == rating]
    if format == "json":
        return rows
    return Response(_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=feedback.csv"})


def _csv(rows: list[dict[str, Any]]) -> str:
    fields = ["id", "created_at", "source", "rating", "comment", "question", "answer",
              "citations", "config", "conversation_id", "message_id"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        cells = {**row, "citations": json.dumps(row["citations"], ensure_ascii=False),
                 "config": json.dumps(row["config"], ensure_ascii=False)}
        writer.writerow({key: spreadsheet_safe(value) for key, value in cells.items()})
    return out.getvalue()


# OWASP "CSV Injection": a cell starting with one of these is read as a formula by Excel,
# LibreOffice or Sheets (full-width forms too, in CJK locales).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that would start a formula, prefixed with ' so it stays text (numbers untouched)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


