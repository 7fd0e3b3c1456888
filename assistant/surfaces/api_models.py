"""Request/response models of the HTTP API (the JSON shapes are a contract, typed once).

Requests state their limits so the OpenAPI does; settings may lower some of them, and
assistant/surfaces/openapi.py writes the configured values into the published schema.
Responses allow extra fields: an answer may carry more than listed, never less.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant.text import NOT_BLANK, strip_blank  # the schema's pattern and the check that agrees

# Hard ceilings; settings may lower them (e.g. max_question_chars).
MAX_QUESTION_CHARS = 20_000
MAX_HISTORY_TURNS = 50
MAX_COMMENT_CHARS = 4_000
MAX_TURN_CHARS = 8_000  # one history turn; keeps a full history well under the body limit
# The answer rated in feedback. A body of schema-valid text fields must fit max_body_bytes even
# when each character is JSON-escaped to 12 bytes, or a schema-valid request would be a 413:
# (4_000 + 20_000 + 40_000) * 12 ≈ 770 kB < 1 MB.
MAX_ANSWER_CHARS = 40_000
MAX_FILTER_VALUES = 50
MAX_FILTER_CHARS = 200

FilterValue = Annotated[str, Field(max_length=MAX_FILTER_CHARS)]
FilterValues = str | Annotated[list[FilterValue], Field(max_length=MAX_FILTER_VALUES)] | None


class FilterModel(BaseModel):
    """Metadata filters; each field takes one value or a list of accepted values.

    Every value must be one that some indexed document has (`GET /api/filters` lists them): an
    unknown value is a 422 naming it and the valid ones. Values that each exist but together
    match no document are a valid request with an empty result.
    """

    model_config = ConfigDict(extra="forbid")

    doc_type: FilterValues = None
    doc_id: FilterValues = None
    industry: FilterValues = None
    phase: FilterValues = None
    outcome: FilterValues = None
    language: FilterValues = None
    customer_segment: FilterValues = None
    tags: Annotated[list[FilterValue], Field(max_length=MAX_FILTER_VALUES)] | None = None


class QuestionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, json_schema_extra={"pattern": NOT_BLANK})
    filters: FilterModel | None = None

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return strip_blank(value)


class SearchRequest(QuestionRequest):
    k: int = Field(default=5, ge=1, le=50)
    mode: Literal["hybrid", "dense", "bm25"] | None = None


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class ChatRequest(QuestionRequest):
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    history: list[Turn] | None = Field(default=None, max_length=MAX_HISTORY_TURNS)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal[1, -1]
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)
    # Within I-JSON's exact range (RFC 7493): a client that reads numbers as doubles (JavaScript, a
    # fuzzer) rounds 2**63 - 1 up past SQLite's 64-bit limit, so that ceiling was unkeepable.
    message_id: int | None = Field(default=None, ge=1, le=2**53 - 1)
    conversation_id: str | None = Field(default=None, max_length=64)
    question: str = Field(default="", max_length=MAX_QUESTION_CHARS)
    answer: str = Field(default="", max_length=MAX_ANSWER_CHARS)
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)


# ---- responses -----------------------------------------------------------------------------
class Open(BaseModel):
    """A response object that may carry more fields than it lists (answers grow; clients ignore)."""

    model_config = ConfigDict(extra="allow")


class ErrorResponse(BaseModel):
    """Every non-422 error: the reason, for a person to read."""

    detail: str


class ValidationIssue(BaseModel):
    """One problem with a request: where (loc), what (msg) and its kind (type); never the input."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorResponse(BaseModel):
    """A 422: every problem found in the request."""

    detail: list[ValidationIssue]


class Passage(Open):
    """A retrieved passage: the verbatim slice [start, end) of doc_id, and how it ranked."""

    chunk_id: str
    doc_id: str
    title: str
    url: str | None = None
    section: str
    text: str
    score: float
    start: int
    end: int
    doc_type: str | None = None
    dense_rank: int | None = None
    bm25_rank: int | None = None


class CitationOut(Open):
    """Source n of an answer: the cited passage and where it was published."""

    n: int
    doc_id: str
    title: str
    display_title: str | None = Field(None, description="the title as the answer's labels write it (the question's script)")
    text: str
    start: int
    end: int
    url: str | None = None
    section: str | None = None
    section_path: list[str] = Field(default_factory=list, description="headings above the passage, without the title, in the question's script (a label, like display_title)")
    snippet: str = Field("", description="a short excerpt that tells this source apart from the others")
    source: Any = None
    published: Any = None


class SentenceOut(Open):
    """One sentence of the answer: lead, point, label or frame, with the sources it cites."""

    text: str
    citations: list[int]
    kind: Literal["lead", "point", "label", "frame"] = "point"
    supported: bool = Field(True, description="false: the cited passages do not support it (LLM answers)")
    support: float = 1.0
    doc_id: str | None = Field(None, description="extractive answers: the quoted document and span")
    start: int | None = None
    end: int | None = None


class ChatResponse(Open):
    """A cited answer (or an abstention) and the conversation turn it was stored as."""

    answer: str
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    abstained: bool
    answerer: str
    trace: dict[str, Any]
    conversation_id: str
    message_id: int
    related: list[CitationOut] = Field(
        default_factory=list,
        description="an abstention on the sources' subject: the closest passages, which may not answer it; an "
                    "answer to a question asked across the sources: the other documents' closest passages, not quoted")


class DocumentSummary(Open):
    doc_id: str
    title: str | None = None
    doc_type: str | None = None
    tags: list[Any] = Field(default_factory=list)
    industry: Any = None


class DocumentOut(BaseModel):
    """A document's original text and metadata (front-matter plus what ingest adds)."""

    doc_id: str
    title: str | None = None
    text: str
    metadata: dict[str, Any]


class ConversationSummary(Open):
    id: str
    title: str
    source: str
    created_at: str
    updated_at: str


class MessageOut(Open):
    id: int
    role: str
    content: str
    answer: dict[str, Any] | None = None
    created_at: str


class ConversationOut(ConversationSummary):
    messages: list[MessageOut]


class FeedbackCreated(BaseModel):
    id: int


class FeedbackRow(Open):
    id: int
    created_at: str
    source: str
    rating: int
    comment: str
    question: str
    answer: str
    citations: list[Any]
    config: dict[str, Any]
    conversation_id: str | None = None
    message_id: int | None = None


class IndexInfo(Open):
    build_id: str


class Health(BaseModel):
    """ok: serving a build with a durable database; degraded (503): why not."""

    status: Literal["ok", "degraded"]
    reason: str | None = None
    index: IndexInfo | None = None


class SlackAck(Open):
    """What a Slack endpoint answers Slack (challenge, ephemeral text, or what was recorded)."""

    pass


class DocumentView(BaseModel):
    """A document rendered for reading: its Markdown as safe HTML with the cited span marked."""

    doc_id: str
    title: str
    html: str = Field(description="server-rendered (markdown-it, raw HTML off); <mark id=cited> on the span")
    metadata: dict[str, Any]


class FacetValue(BaseModel):
    value: str
    count: int = Field(description="documents with this value")


class FilterOptions(BaseModel):
    """Every value each filter field takes in the served index, most common first."""

    doc_type: list[FacetValue]
    industry: list[FacetValue]
    phase: list[FacetValue]
    outcome: list[FacetValue]
    tags: list[FacetValue]


class RenameRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200, json_schema_extra={"pattern": NOT_BLANK})

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        return strip_blank(value)


class ConversationTitle(BaseModel):
    id: str
    title: str
