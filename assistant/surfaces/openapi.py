"""The published OpenAPI: documented error responses, and the limits this server is configured with.

Request models carry hard ceilings; settings may set lower ones (max_question_chars, max_k,
max_history_turns), which the server enforces. publish_limits() writes the configured values into
the schema, so a request the schema calls valid is one the server accepts.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from assistant.core.settings import Settings
from assistant.surfaces.api_models import ErrorResponse, ValidationErrorResponse

REASONS = {
    400: "Malformed request (an unparseable multipart upload; Slack: body or payload is not what Slack sends)",
    401: "Missing or invalid credentials (API key, admin token or session, or Slack signature)",
    403: "Library writes are off (the server has no admin token) or the CSRF check failed",
    404: "Not found, or a feature not enabled on this server",
    409: "Already exists: delete it first or choose another name",
    413: "Request body over the configured limit (max_body_bytes; uploads: max_upload_bytes)",
    415: "Not a file type the corpus reads (.md .txt .html .pdf .docx)",
    422: "Invalid request: each problem with its location; the input is never echoed",
    429: "Too many new conversations from this client; see Retry-After",
    503: "Index or database unavailable; the reason says which",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status with its reason and the shared error model."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model = ValidationErrorResponse if code == 422 else ErrorResponse
        # Named as JSON explicitly: FastAPI would list errors of a streaming route as its stream type.
        json_body = {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
        out[code] = {"model": model, "description": REASONS[code], "content": json_body}
    return out


def text_body(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 whose body is not JSON (CSV export)."""
    return {200: {"description": description, "content": {media_type: {"schema": {"type": "string"}}}}}


# One Server-Sent Event as schemathesis and clients parse it: its name and its JSON data line.
SSE_EVENT = {
    "type": "object", "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["meta", "delta", "final", "error"]},
        "data": {"type": "string", "contentMediaType": "application/json",
                 "description": "meta: {conversation_id}; delta: {text}; final: the chat answer; "
                                "error: {detail, status}"},
    },
}


def event_stream(description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 that is a text/event-stream of SSE_EVENT objects."""
    return {200: {"description": description, "content": {"text/event-stream": {"schema": SSE_EVENT}}}}


def publish_limits(app: FastAPI, settings: Settings) -> None:
    """Make app.openapi() state the configured limits instead of the models' ceilings."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            _apply_limits(schema.get("components", {}).get("schemas", {}), settings)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _apply_limits(schemas: dict[str, Any], settings: Settings) -> None:
    for model in schemas.values():
        props = model.get("properties", {})
        if "question" in props and props["question"].get("pattern"):  # questions asked, not stored ones
            props["question"]["maxLength"] = min(props["question"]["maxLength"], settings.max_question_chars)
        if "k" in props and "maximum" in props["k"]:
            props["k"]["maximum"] = min(props["k"]["maximum"], settings.max_k)
        for variant in props.get("history", {}).get("anyOf", []):
            if variant.get("type") == "array":
                variant["maxItems"] = min(variant.get("maxItems", settings.max_history_turns),
                                          settings.max_history_turns)
