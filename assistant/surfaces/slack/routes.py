"""Slack endpoints: Events API, the /hindsight slash command and interactivity, all signed.

Each request is verified on its raw body before anything is parsed, acknowledged at once, and
answered in the SlackBot's worker pool. Without a signing secret (or without slack-sdk) the
integration does not exist on this server and every endpoint answers 404.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from assistant.core.settings import Settings
from assistant.surfaces.api_models import SlackAck
from assistant.surfaces.openapi import errors
from assistant.surfaces.strict_json import BadJson, loads_strict

log = logging.getLogger("hindsight.slack")
MAX_BODY = 1 << 20


@asynccontextmanager
async def slack_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the SlackBot after the app's pipeline and store exist; drain it on shutdown."""
    app.state.slack_bot, app.state.slack_unavailable = None, None
    try:
        # lazy: slack-sdk is the optional `slack` extra
        from assistant.surfaces.slack.bot import SlackBot
    except ImportError as exc:
        app.state.slack_unavailable = f"slack-sdk is not installed ({exc}); pip install 'hindsight[slack]'"
    else:
        app.state.slack_bot = SlackBot(app.state.settings, app.state.pipeline, app.state.store)
    try:
        yield
    finally:
        if app.state.slack_bot is not None:
            app.state.slack_bot.close()


router = APIRouter(prefix="/slack", tags=["slack"], lifespan=slack_lifespan)
SLACK_ERRORS = errors(400, 401, 404, 413, 503)


async def _verified(request: Request) -> tuple[Any, bytes]:
    """(bot, raw body) of a request proven to come from Slack; 404 when disabled, 401 when unsigned."""
    settings: Settings = request.app.state.settings
    if settings.slack_signing_secret is None:
        raise HTTPException(404, "Slack integration disabled: HINDSIGHT_SLACK_SIGNING_SECRET is not set")
    bot = getattr(request.app.state, "slack_bot", None)
    if bot is None:
        raise HTTPException(404, getattr(request.app.state, "slack_unavailable", None) or "Slack bot not started")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise HTTPException(413, "request body over 1 MiB")
    # lazy: slack-sdk (the optional `slack` extra) verifies the signature
    from assistant.surfaces.slack.signature import SignatureError, verify_request

    try:
        verify_request(settings.slack_signing_secret.get_secret_value(), body, request.headers)
    except SignatureError as exc:
        raise HTTPException(401, f"invalid Slack signature: {exc}") from exc
    return bot, body


def _form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise HTTPException(400, "form body is not UTF-8") from exc


def _json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    try:
        data = loads_strict(raw)  # bounded nesting: a signed 100,000-deep payload was a RecursionError
    except BadJson as exc:
        raise HTTPException(400, f"{what} refused: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"{what} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise HTTPException(400, f"{what} must be a JSON object")
    return data


@router.post("/events", response_model=SlackAck, responses=SLACK_ERRORS)
async def events(request: Request) -> dict[str, Any]:
    """url_verification → challenge; event_callback → queued once (retries are acknowledged only)."""
    bot, body = await _verified(request)
    envelope = _json_object(body, "event body")
    if envelope.get("type") == "url_verification":
        return {"challenge": envelope.get("challenge")}
    if envelope.get("type") != "event_callback":
        return {"ok": True, "status": f"ignored: envelope type {envelope.get('type')!r}"}
    if bot.settings.slack_bot_token is None:
        raise HTTPException(503, "cannot reply: HINDSIGHT_SLACK_BOT_TOKEN is not set")
    status = await run_in_threadpool(bot.accept_event, envelope)
    retry = request.headers.get("x-slack-retry-num")
    log.info("slack event %s%s: %s", envelope.get("event_id"), f" (retry {retry})" if retry else "", status)
    return {"ok": True, "status": status}


@router.post("/commands", response_model=SlackAck, responses=SLACK_ERRORS)
async def commands(request: Request) -> dict[str, Any]:
    """/hindsight <question>: ephemeral "Searching…" now, the answer on response_url later."""
    bot, body = await _verified(request)
    form = _form(body)
    keys = _replay_keys(request, "command", form.get("team_id"), form.get("trigger_id"))
    result: dict[str, Any] = await run_in_threadpool(bot.accept_command, form, keys)
    return result


@router.post("/interactions", response_model=SlackAck, responses=SLACK_ERRORS)
async def interactions(request: Request) -> dict[str, Any]:
    """block_actions from the 👍/👎 buttons, stored as feedback with source "slack"."""
    bot, body = await _verified(request)
    payload = _json_object(_form(body).get("payload", ""), "payload")
    team = payload.get("team")
    team_id = team.get("id") if isinstance(team, dict) else None
    keys = _replay_keys(request, "interaction", team_id, payload.get("trigger_id"))
    ids = await run_in_threadpool(bot.accept_interaction, payload, keys)
    return {"ok": True, "feedback_ids": ids}


def _replay_keys(request: Request, kind: str, team: object, trigger_id: object) -> tuple[str, ...]:
    """Ledger keys of one delivery: its signature (an exact replay) and Slack's trigger_id (a retry).

    A signature covers timestamp and body, so it is unique per signed request; Slack re-signs
    a retry with a new timestamp, but the trigger_id of the user's action stays the same.
    """
    keys = [f"sig:{request.headers.get('x-slack-signature', '')}"]
    if isinstance(trigger_id, str) and trigger_id:
        keys.append(f"{kind}:{team}:{trigger_id}")
    return tuple(keys)
