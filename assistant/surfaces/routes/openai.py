"""OpenAI-compatible API: GET /v1/models, POST /v1/chat/completions (plain and streamed SSE).

Same pipeline, history store, limits and abstention as /api/chat (ChatService does the turn).
`hindsight` answers with the extractive answerer; `hindsight-llm` (listed only when an LLM is
configured) with the LLM answerer. Errors use OpenAI's {"error": {...}} shape (see install()).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from typing import Any, Literal, Protocol

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.answer.llm_answerer import LLMAnswerer
from assistant.service.chat import ChatService, ConversationNotFound, StreamEvent
from assistant.service.pipeline import ANSWERERS, Pipeline
from assistant.store.build_store import IndexUnavailable
from assistant.surfaces.client_tasks import task_content, task_kind
from assistant.surfaces.deps import PipelineDep, SettingsDep, StoreDep, check_question
from assistant.surfaces.errors import http_error, validation_error
from assistant.surfaces.openai_compat import (
    BadMessages,
    completion_id,
    content_tail,
    hindsight_result,
    question_and_history,
)
from assistant.surfaces.openai_models import (
    MODEL_EXTRACTIVE,
    MODEL_LLM,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    ChunkDelta,
    ErrorResponse,
    HindsightResult,
    ModelCard,
    ModelList,
    error_body,
)
from assistant.surfaces.routes.api import _filters

PREFIX = "/v1/"
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 413, 503)
}
router = APIRouter(prefix="/v1", tags=["openai"], responses=ERRORS)


class OpenAIError(HTTPException):
    """An HTTPException with OpenAI's machine-readable error code (and the offending parameter)."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None) -> None:
        super().__init__(status, message)
        self.code = code
        self.param = param


def model_pipelines(pipeline: Pipeline) -> dict[str, Pipeline]:
    """Each served model name and the pipeline (same index and retriever) that answers for it."""
    extractive = pipeline.answerer
    if isinstance(extractive, LLMAnswerer):
        extractive = ANSWERERS["extractive"](pipeline.settings, pipeline.embedder)
    models = {MODEL_EXTRACTIVE: dataclasses.replace(pipeline, answerer=extractive)}
    if isinstance(pipeline.answerer, LLMAnswerer):
        models[MODEL_LLM] = pipeline
    return models


def _pipelines(request: Request, pipeline: Pipeline) -> dict[str, Pipeline]:
    cached: dict[str, Pipeline] | None = getattr(request.app.state, "openai_models", None)
    if cached is None:
        cached = request.app.state.openai_models = model_pipelines(pipeline)
    return cached


@router.get("/models", response_model=ModelList)
def list_models(request: Request, pipeline: PipelineDep) -> ModelList:
    """`hindsight` (quotes the sources) and, with an LLM configured, `hindsight-llm`."""
    return ModelList(data=[ModelCard(id=name) for name in _pipelines(request, pipeline)])


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={200: {"content": {"text/event-stream": {}}}})
def chat_completions(
    req: ChatCompletionRequest, request: Request, pipeline: PipelineDep, store: StoreDep, settings: SettingsDep,
) -> Any:
    """A cited answer to the last user message; `stream: true` sends OpenAI chunks, then [DONE]."""
    chosen = _pipelines(request, pipeline).get(req.model)
    if chosen is None:
        raise OpenAIError(404, f"model {req.model!r} does not exist; GET /v1/models lists them", "model_not_found")
    try:
        question, history = question_and_history(req.messages, settings.max_history_turns)
    except BadMessages as exc:
        raise HTTPException(400, str(exc)) from exc
    kind = task_kind(question)
    if kind is not None:
        # A client's background task (Open WebUI's title, tags…), not a question: answered from
        # the prompt alone, before the question-length check (it quotes the chat) and without
        # the index. See assistant/surfaces/client_tasks.py.
        return _task_completion(task_content(question, kind), req.model, req.stream)
    try:
        check_question(question, settings)
    except HTTPException as exc:
        # check_question's detail is the /api 422 issue list; OpenAI clients show error.message,
        # which was that list's Python repr ("[{'loc': ['body', 'question'], …}]", round 7 trial).
        raise OpenAIError(400, _reason(exc.detail), "question_too_long", param="messages") from exc
    options = req.hindsight
    try:
        filters = _filters(options.filters if options else None, chosen)
    except HTTPException as exc:
        if exc.status_code != 422:
            raise
        # 400 like every bad /v1 request (OpenAI's invalid_request_error), with the reason.
        raise OpenAIError(400, _reason(exc.detail), "unknown_filter_value", param="hindsight.filters") from exc
    conversation_id = options.conversation_id if options else None
    turn: dict[str, Any] = {"conversation_id": conversation_id, "source": "openai",
                            "history": history if history or not conversation_id else None}
    _require_index(chosen)
    if conversation_id and not store.conversation_exists(conversation_id):
        raise OpenAIError(404, f"conversation {conversation_id} not found", "conversation_not_found")
    service = ChatService(chosen, store)
    if req.stream:
        events = service.ask_stream(question, filters, **turn)
        return StreamingResponse(_sse(events, question, req.model, settings.public_url), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    try:
        body = service.ask(question, filters, **turn).to_json()
    except ConversationNotFound as exc:
        raise HTTPException(404, f"conversation {exc} not found") from exc
    result = hindsight_result(body)
    content = body["answer"] + content_tail(question, result, settings.public_url)
    return ChatCompletion(id=completion_id(), created=int(time.time()), model=req.model,
                          choices=[Choice(message=AssistantMessage(content=content))], hindsight=result)


TASK_RESULT = HindsightResult(citations=[], abstained=False, answerer="task")


def _task_completion(content: str, model: str, stream: bool) -> Any:
    """The task's JSON as a completion, or as a stream of one content chunk."""
    if not stream:
        return ChatCompletion(id=completion_id(), created=int(time.time()), model=model,
                              choices=[Choice(message=AssistantMessage(content=content))], hindsight=TASK_RESULT)
    chunk = _chunker(model)
    events = [chunk(ChunkDelta(role="assistant", content="")), chunk(ChunkDelta(content=content)),
              chunk(ChunkDelta(), finish="stop", result=TASK_RESULT), "data: [DONE]\n\n"]
    return StreamingResponse(iter(events), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def _require_index(pipeline: Pipeline) -> None:
    try:
        pipeline.serving_index()
    except IndexUnavailable as exc:
        raise HTTPException(503, f"index unavailable: {exc}") from exc


class _Chunker(Protocol):
    def __call__(self, delta: ChunkDelta, finish: Literal["stop"] | None = None,
                 result: HindsightResult | None = None) -> str: ...


def _chunker(model: str) -> _Chunker:
    """The `data:` line of each chunk of one completion (one id and creation time for all)."""
    ident, created = completion_id(), int(time.time())

    def chunk(delta: ChunkDelta, finish: Literal["stop"] | None = None, result: HindsightResult | None = None) -> str:
        data = ChatCompletionChunk(id=ident, created=created, model=model, hindsight=result,
                                   choices=[ChunkChoice(delta=delta, finish_reason=finish)])
        return f"data: {data.model_dump_json(exclude_none=True)}\n\n"

    return chunk


def _sse(events: Iterator[StreamEvent], question: str, model: str, base_url: str) -> Iterator[str]:
    """OpenAI chunks: role, text deltas, the rest of the final answer + Sources, stop, [DONE]."""
    chunk = _chunker(model)
    yield chunk(ChunkDelta(role="assistant", content=""))
    streamed = ""
    for event in events:
        if event.event == "delta":
            streamed += event.data["text"]
            yield chunk(ChunkDelta(content=event.data["text"]))
        elif event.event == "final":
            result = hindsight_result(event.data)
            tail = _remainder(streamed, event.data["answer"]) + content_tail(question, result, base_url)
            if tail:
                yield chunk(ChunkDelta(content=tail))
            yield chunk(ChunkDelta(), finish="stop", result=result)
        elif event.event == "error":
            status = int(event.data.get("status", 500))
            yield f"data: {json.dumps(error_body(status, str(event.data.get('detail'))), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def _remainder(streamed: str, final: str) -> str:
    """What the client still needs: the unsent end of the answer, or all of it when the final
    answer replaced what was streamed (an LLM answer that failed verification)."""
    if final.startswith(streamed):
        return final[len(streamed):]
    return "\n\n" + final


async def _validation_error(request: Request, exc: Exception) -> Response:
    if not request.url.path.startswith(PREFIX):
        return await validation_error(request, exc)  # type: ignore[arg-type]  # the API's own 422s
    errors: list[dict[str, Any]] = list(getattr(exc, "errors", list)())
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    message = f"{where}: {first.get('msg', 'invalid request')}" if where else str(first.get("msg", "invalid request"))
    return JSONResponse(error_body(400, message, code="invalid_request", param=where or None), status_code=400)


def _reason(detail: Any) -> str:
    """An error detail as a sentence: a list of validation issues becomes their messages."""
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    return str(detail)


async def _http_error(request: Request, exc: Exception) -> Response:
    if not request.url.path.startswith(PREFIX) or not isinstance(exc, StarletteHTTPException):
        return await http_error(request, exc)  # type: ignore[arg-type]  # the API's own errors
    status = 400 if exc.status_code == 422 else exc.status_code
    code, param = getattr(exc, "code", None), getattr(exc, "param", None)
    return JSONResponse(error_body(status, _reason(exc.detail), code=code, param=param), status_code=status,
                        headers=getattr(exc, "headers", None))


def install(app: FastAPI) -> None:
    """Add the /v1 routes, and OpenAI-shaped errors for them (other paths keep assistant/surfaces/errors.py's)."""
    app.include_router(router)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
