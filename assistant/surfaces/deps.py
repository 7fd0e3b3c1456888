"""FastAPI dependencies: the shared pipeline, history store and settings, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from assistant.core.settings import Settings
from assistant.service.history import HistoryStore
from assistant.service.pipeline import Pipeline
from assistant.surfaces.errors import issue
from assistant.surfaces.limits import ConversationLimiter, check_new_conversation


def get_pipeline(request: Request) -> Pipeline:
    pipeline: Pipeline = request.app.state.pipeline
    return pipeline


def get_store(request: Request) -> HistoryStore:
    store: HistoryStore = request.app.state.store
    return store


def new_conversation_allowed(request: Request) -> None:
    """429 when a request that starts a conversation exceeds the client's per-minute cap."""
    limiter: ConversationLimiter = request.app.state.conversation_limiter
    check_new_conversation(request, limiter, keyed=bool(get_app_settings(request).api_keys))


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


PipelineDep = Annotated[Pipeline, Depends(get_pipeline)]
StoreDep = Annotated[HistoryStore, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def check_question(question: str, settings: Settings) -> None:
    """422 when a question is longer than the configured limit."""
    if len(question) > settings.max_question_chars:
        msg = f"question is {len(question)} characters; the limit is {settings.max_question_chars}"
        raise HTTPException(422, [issue(["body", "question"], msg)])
