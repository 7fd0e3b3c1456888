"""Slack Web API and response_url clients, pointed at settings.slack_api_base_url."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from assistant.core.settings import Settings

TIMEOUT_SECONDS = 15


def make_web_client(settings: Settings) -> WebClient:
    """A WebClient with the bot token; retries rate-limited calls (429) twice."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(token=token, base_url=settings.slack_api_base_url, timeout=TIMEOUT_SECONDS)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def make_webhook(response_url: str) -> WebhookClient:
    """A client for a slash command's or interaction's response_url (signed request, so trusted)."""
    return WebhookClient(response_url, timeout=TIMEOUT_SECONDS)
