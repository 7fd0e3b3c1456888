"""Slack request signing (v0 HMAC-SHA256 over the raw body), checked with slack_sdk's verifier."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

MAX_AGE_SECONDS = 5 * 60
# Unix seconds are 10 digits until the year 2286; 12 leaves room and keeps int() cheap and exact.
TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SignatureError(Exception):
    """The request is not provably from Slack; the message says why (sent back with the 401)."""


def verify_request(secret: str, body: bytes, headers: Mapping[str, str], now: float | None = None) -> None:
    """Raise SignatureError unless body+headers carry a fresh, valid Slack signature."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        raise SignatureError("missing X-Slack-Signature or X-Slack-Request-Timestamp")
    # str.isdigit() accepts "²" and "١٢٣", which int() then rejects or reads; only ASCII digits count.
    if not TIMESTAMP.fullmatch(timestamp):
        raise SignatureError("X-Slack-Request-Timestamp is not a Unix time")
    now = time.time() if now is None else now
    # Checked here too (the verifier checks it again) so a replay gets its own reason.
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise SignatureError("stale request: timestamp is more than 5 minutes from now")
    try:
        valid = SignatureVerifier(secret).is_valid(body=body, timestamp=timestamp, signature=signature)
    except UnicodeDecodeError:
        valid = False
    if not valid:
        raise SignatureError("signature mismatch")

