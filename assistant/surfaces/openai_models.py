"""Request/response models of the OpenAI-compatible API (/v1), with Hindsight's extension fields.

Field names follow OpenAI's chat-completions wire format so any OpenAI client works; the
`hindsight` object is the extension: filters going in, citations and the verdict coming out.
Unknown request fields are ignored (clients send many sampling options we have no use for).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.surfaces.api_models import MAX_QUESTION_CHARS, FilterModel

MAX_MESSAGES = 200
MODEL_EXTRACTIVE = "hindsight"
MODEL_LLM = "hindsight-llm"


class TextPart(BaseModel):
    """One part of a multi-part message; only text is understood."""

    model_config = ConfigDict(extra="ignore")

    type: str = Field(max_length=40)
    text: str | None = Field(default=None, max_length=MAX_QUESTION_CHARS)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextPart] | None = None


class HindsightOptions(BaseModel):
    """The request's extension object: metadata filters and an optional stored conversation."""

    model_config = ConfigDict(extra="forbid")

    filters: FilterModel | None = None
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1, max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    n: int = Field(default=1, ge=1, le=1, description="only one choice is produced")
    hindsight: HindsightOptions | None = None


class CitationOut(BaseModel):
    """A numbered source of the answer: where the cited passage is and what it says."""

    n: int
    doc_id: str
    title: str | None = None
    display_title: str | None = Field(None, description="the title as the answer's labels write it (the question's script)")
    section: str | None = None
    section_path: list[str] = Field(default_factory=list)
    snippet: str = ""
    url: str | None = None
    text: str = ""
    start: int | None = None
    end: int | None = None


class HindsightResult(BaseModel):
    """The response's extension object: structured citations and how the answer was made."""

    citations: list[CitationOut]
    abstained: bool
    abstain_reason: str | None = None
    notice: str | None = Field(default=None, description="e.g. the LLM failed and the sources are quoted")
    related: list[CitationOut] = Field(
        default_factory=list,
        description="an abstention on the sources' subject: the closest passages, which may not answer it; an "
                    "answer to a question asked across the sources: the other documents' closest passages, not quoted")
    answerer: str
    conversation_id: str | None = None
    message_id: int | None = None


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    hindsight: HindsightResult


class ChunkDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChunkDelta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    """One `data:` event of a streamed completion; the last one carries the extension."""

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    hindsight: HindsightResult | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "hindsight"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class ErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(BaseModel):
    """OpenAI's error shape, so clients raise their usual exceptions with our reason."""

    error: ErrorDetail


def error_body(status: int, message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    kind = {401: "authentication_error", 404: "not_found_error", 413: "invalid_request_error",
            429: "rate_limit_error", 503: "server_error"}.get(status, "invalid_request_error")
    if status >= 500 and status != 503:
        kind = "server_error"
    return ErrorResponse(error=ErrorDetail(message=message, type=kind, param=param, code=code)).model_dump()
