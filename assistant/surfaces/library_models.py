"""Request/response models of the library routes (/api/library/*)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class LibraryDocument(BaseModel):
    path: str
    status: Literal["indexed", "failed", "pending", "removing"]
    doc_id: str | None
    title: str
    doc_type: str | None
    date: str | None
    tags: list[str]
    chunks: int
    reason: str | None


class Job(BaseModel):
    """A library change and the background ingest that makes it searchable."""

    id: str
    action: str
    target: str
    state: Literal["queued", "running", "done", "failed"]
    message: str
    build_id: str | None
    created_at: str
    finished_at: str | None
    failures: list[dict[str, str]]


class LibraryListing(BaseModel):
    writable: bool  # the server has an admin token
    signed_in: bool
    documents: list[LibraryDocument]
    jobs: list[Job]


class PostmortemPreview(BaseModel):
    path: str
    markdown: str
    html: str
