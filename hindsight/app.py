"""create_app(): FastAPI wiring with a lifespan that builds the pipeline and store once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from assistant.core.settings import Settings, get_settings
from assistant.embed.embedder import create_embedder
from assistant.service.history import HistoryStore
from assistant.service.pipeline import Pipeline, build_pipeline
from assistant.store.build_store import IndexUnavailable
from assistant.surfaces.admin import admin_router
from assistant.surfaces.errors import install_error_handlers
from assistant.surfaces.limits import ConversationLimiter
from assistant.surfaces.mcp_server import build_mcp_server
from assistant.surfaces.openapi import publish_limits
from assistant.surfaces.routes import api, openai, web
from assistant.surfaces.security import install_security
from assistant.surfaces.slack import routes as slack
from hindsight.library import routes as library
from hindsight.library.jobs import IngestJobs
from hindsight.library.service import Library

log = logging.getLogger("hindsight")


def create_app(settings: Settings | None = None, pipeline: Pipeline | None = None) -> FastAPI:
    """The Hindsight web app; pass a pipeline to share one (tests), else it is built at start-up."""
    settings = settings or get_settings()
    mcp_server = build_mcp_server(lambda: app.state.pipeline, settings.max_k)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.pipeline = pipeline or build_pipeline(settings)
        app.state.store = HistoryStore(settings.sqlalchemy_url)
        app.state.conversation_limiter = ConversationLimiter(settings.max_new_conversations_per_minute)
        app.state.jobs, app.state.library = _library(settings, app.state.pipeline)
        try:
            app.state.pipeline.holder.get()  # load the index now, not on the first request
        except IndexUnavailable as exc:
            log.error("starting degraded: %s", exc)
        async with mcp_server.session_manager.run():
            yield
        app.state.store.engine.dispose()

    app = FastAPI(title="Hindsight", version="0.1.0", lifespan=lifespan,
                  description="Cited answers from the lessons of delivering AI projects to enterprises.")
    app.include_router(api.router)
    install_error_handlers(app)  # before security: its middleware must run inside the body limit
    openai.install(app)  # /v1: OpenAI-compatible chat completions
    # MCP over streamable HTTP at /mcp (stateless: any worker can answer any request).
    mcp_routes = mcp_server.streamable_http_app(streamable_http_path="/mcp", stateless_http=True,
                                                json_response=True, host=settings.host).routes
    app.router.routes.extend(mcp_routes)
    install_security(app, settings)  # API keys for /api/*, body limit, CORS
    app.include_router(web.router)
    app.include_router(library.router)
    app.include_router(admin_router(settings))
    app.include_router(slack.router)  # signed by Slack; 503 until a signing secret is set
    app.mount("/static", web.static_files(), name="static")
    publish_limits(app, settings)  # the schema states this server's limits, not the models' ceilings
    return app


def _library(settings: Settings, pipeline: Pipeline) -> tuple[IngestJobs, Library]:
    """Library writes go to the served pipeline's corpus; its ingests publish to its index."""
    served = pipeline.settings.model_copy(update={
        "data_dir": settings.data_dir, "max_upload_bytes": settings.max_upload_bytes})
    jobs = IngestJobs(served, lambda: create_embedder(served), pipeline.holder.reload)
    return jobs, Library(served, jobs)


def app_from_env() -> FastAPI:
    """uvicorn factory: settings from the environment."""
    return create_app(Settings())
