"""Regression tests for the review's small defects: Slack timestamps and links, cookies, CSV cells."""

from __future__ import annotations

import re
import time

import pytest

from assistant.surfaces.security import authorized, session_token
from assistant.surfaces.slack.blocks import link
from assistant.surfaces.slack.signature import SignatureError, verify_request
from assistant.text import NOT_BLANK, strip_blank
from testing.fake_slack import SECRET, slack_signature_headers

KEY = "k" * 20


@pytest.mark.parametrize("timestamp", ["²", "١٢٣", "1" * 400, "9" * 4301, "+1700000000", " 1700000000", "1" * 13])
def test_malformed_slack_timestamps_are_signature_errors(timestamp: str) -> None:
    headers = {**slack_signature_headers(SECRET, b"{}"), "x-slack-request-timestamp": timestamp}
    headers = {k.lower(): v for k, v in headers.items()} | {"x-slack-request-timestamp": timestamp}
    with pytest.raises(SignatureError):
        verify_request(SECRET, b"{}", headers)


def test_a_fresh_ascii_timestamp_still_verifies() -> None:
    headers = {k.lower(): v for k, v in slack_signature_headers(SECRET, b"{}", int(time.time())).items()}
    verify_request(SECRET, b"{}", headers)


@pytest.mark.parametrize("url", ["https://evil.example/x|Click to verify", "https://evil.example/>x|forged",
                                 "https://evil.example/a b<c"])
def test_a_url_cannot_change_its_slack_link_label(url: str) -> None:
    rendered = link(url, "original")
    assert rendered.endswith("|original>")
    inner = rendered[1:-len("|original>")]
    assert not any(ch in inner for ch in "|<> "), inner


def test_an_odd_neighbouring_cookie_does_not_break_the_session() -> None:
    token = session_token(KEY)
    for cookie in [f'tracker="a\\"b; hindsight_session={token}', f'x=[1,2]; hindsight_session={token}; y=(z)',
                   f'a b=1; hindsight_session={token}']:
        assert authorized({"cookie": cookie}, [KEY]), cookie
    assert not authorized({"cookie": "hindsight_session=wrong; x=1"}, [KEY])


@pytest.mark.parametrize("text", ["", " ", "\x1f", "\u3000\t", "\ufeff", "\x85", " a ", "\x1fb", "。", "\u200b"])
def test_the_schemas_not_blank_pattern_and_the_servers_check_agree(text: str) -> None:
    def accepted() -> bool:
        try:
            strip_blank(text)
        except ValueError:
            return False
        return True

    assert (re.search(NOT_BLANK, text) is not None) == accepted()
    assert "\\s" not in NOT_BLANK.lower()  # \s differs between Python's and ECMAScript's regexes
