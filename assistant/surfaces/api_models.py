"""Request/response models of the HTTP API (the JSON shapes are a contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Hard ceilings; settings may lower them (e.g. max_question_chars).
MAX_QUESTION_CHARS = 20_000
MAX_HISTORY_TURNS = 50
MAX_COMMENT_CHARS = 4_000


class FilterModel(BaseModel):
    """Metadata filters; each field takes one value or a list of accepted values."""

    model_config = ConfigDict(extra="forbid")

    doc_type: str | list[str] | None = None
    doc_id: str | list[str] | None = None
    industry: str | list[str] | None = None
    phase: str | list[str] | None = None
    outcome: str | list[str] | None = None
    language: str | list[str] | None = None
    customer_segment: str | list[str] | None = None
    tags: list[str] | None = None


class QuestionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    filters: FilterModel | None = None

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question is empty")
        return value.strip()


class SearchRequest(QuestionRequest):
    k: int = Field(default=5, ge=1, le=50)
    mode: Literal["hybrid", "dense", "bm25"] | None = None


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_QUESTION_CHARS)


class ChatRequest(QuestionRequest):
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    history: list[Turn] | None = Field(default=None, max_length=MAX_HISTORY_TURNS)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal[1, -1]
    comment: str = Field(default="", max_length=MAX_COMMENT_CHARS)
    # SQLite integers are 64-bit; a larger id could never match and would overflow the driver.
    message_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    conversation_id: str | None = Field(default=None, max_length=64)
    question: str = Field(default="", max_length=MAX_QUESTION_CHARS)
    answer: str = Field(default="", max_length=200_000)
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    config: dict[str, Any] = Field(default_factory=dict)


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
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)


class ConversationTitle(BaseModel):
    id: str
    title: str
