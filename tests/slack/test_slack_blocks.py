"""Block Kit rendering, Slack text cleaning, the signature check and the delivery ledger."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from assistant.service.history import HistoryStore
from assistant.surfaces.slack.blocks import answer_blocks, answer_mrkdwn, escape, split_sections
from assistant.surfaces.slack.events import clean_text, question_from_envelope
from assistant.surfaces.slack.ledger import DeliveryLedger
from assistant.surfaces.slack.signature import SignatureError, verify_request
from testing.fake_slack import SECRET, mention_envelope, slack_signature_headers

BASE = "https://h.example"
CITATION = {"n": 1, "doc_id": "pm/a b", "title": "Bank <pilot> & co", "start": 5, "end": 9,
            "section": "Why", "url": "https://example.com/x?a=1&b=2"}


def test_untrusted_corpus_text_cannot_ping_or_forge_links() -> None:
    text = "Tell <!channel> & <https://evil.example|click here> now[1][7]"
    out = answer_mrkdwn(text, [CITATION], BASE)
    assert "<!channel>" not in out and "&lt;!channel&gt; &amp; &lt;https://evil.example|click here&gt;" in out
    assert out.endswith(f"now<{BASE}/sources/pm%2Fa%20b?start=5&amp;end=9|[1]>[7]")  # [7] cites nothing


def test_sources_link_titles_escaped_and_buttons_carry_the_message() -> None:
    result = {"answer": "A.[1]", "citations": [CITATION], "abstained": False, "message_id": 7, "conversation_id": "c"}
    fallback, blocks = answer_blocks(result, BASE, "question?")
    assert fallback == "A."
    source = blocks[2]["elements"][0]["text"]
    assert source.startswith(f"*1.* <{BASE}/sources/pm%2Fa%20b?start=5&amp;end=9|Bank &lt;pilot&gt; &amp; co>")
    assert "<https://example.com/x?a=1&amp;b=2|original>" in source
    assert blocks[-1]["elements"][0]["value"] == '{"m": 7, "c": "c"}'
    assert blocks[-1]["elements"][0]["text"]["text"] == "👍 Helpful"


def test_source_line_names_the_section_path_without_repeating_the_title() -> None:
    # An article's `section` can start with its own title: the line read "To B… — To B… > 2. 经历 > c. 项目".
    title = "To B大模型应用的落地实践与思考"
    citation = {**CITATION, "title": title, "section": f"{title} > 2. 经历 > c. 项目",
                "section_path": ["2. 经历", "c. 项目"], "published": "2025-02-02"}
    _, blocks = answer_blocks({"answer": "A.[1]", "citations": [citation]}, BASE, "问题")
    source = blocks[2]["elements"][0]["text"]
    assert f"|{title}> — 2. 经历 › c. 项目 · 2025-02-02 — <" in source and source.count(title) == 1


def test_abstention_has_no_sources() -> None:
    result = {"answer": "资料中没有找到相关内容。", "citations": [CITATION], "abstained": True}
    _, blocks = answer_blocks(result, BASE, "问题")
    assert [b["type"] for b in blocks] == ["section", "actions"]
    assert blocks[-1]["elements"][1]["text"]["text"] == "👎 没帮助"


def test_long_answers_split_under_the_section_limit_without_breaking_links() -> None:
    link = f"<{BASE}/sources/x?start=1&amp;end=2|[1]>"
    text = ("句子" * 40 + link) * 60
    pieces = split_sections(text, limit=500)
    assert "".join(pieces) == text and all(len(p) <= 500 for p in pieces)
    assert all(p.count("<") == p.count(">") for p in pieces)


def test_escape_and_clean_text() -> None:
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"
    raw = "<@U1> 看 <https://x.example/a|这篇> 和 <https://y.example> &amp; &lt;tag&gt;  "
    assert clean_text(raw) == "看 这篇 和 https://y.example & <tag>"


def test_question_from_envelope_threads_and_keys() -> None:
    q = question_from_envelope(mention_envelope("hi", ts="5.5", event_id="E1", thread_ts="4.4"))
    assert not isinstance(q, str)
    assert (q.text, q.thread_ts, q.conversation_id) == ("hi", "4.4", "slack:T1:C1:4.4")
    assert q.delivery_keys == ("event:E1", "msg:C1:5.5")


def test_verify_request_accepts_slack_signatures_only() -> None:
    body = b'{"type":"event_callback"}'
    now = int(time.time())
    verify_request(SECRET, body, {k.lower(): v for k, v in slack_signature_headers(SECRET, body, now).items()})
    with pytest.raises(SignatureError, match="stale"):
        headers = slack_signature_headers(SECRET, body, now - 400)
        verify_request(SECRET, body, {k.lower(): v for k, v in headers.items()})
    with pytest.raises(SignatureError, match="mismatch"):
        headers = slack_signature_headers(SECRET, body + b" ", now)
        verify_request(SECRET, body, {k.lower(): v for k, v in headers.items()})


def test_ledger_gives_exactly_one_winner_under_concurrency(tmp_path: Path) -> None:
    ledger = DeliveryLedger(HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}").engine)
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        wins.append(ledger.claim("event:Ev1", "msg:C1:1.1"))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    assert not ledger.claim("event:Ev2", "msg:C1:1.1")  # same message under a new event id
    assert ledger.claim("event:Ev3", "msg:C1:1.2")


def test_the_ledger_tolerates_another_worker_creating_its_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `serve --workers N` process creates the tables on a fresh database: the one that
    loses the race between "does it exist?" and CREATE TABLE must start anyway."""
    from sqlalchemy import MetaData
    from sqlalchemy.exc import OperationalError

    engine = HistoryStore(f"sqlite:///{tmp_path / 'h.sqlite3'}").engine
    real = MetaData.create_all
    calls: list[int] = []

    def racing(self: MetaData, bind: object, *args: object, **kwargs: object) -> None:
        calls.append(1)
        real(self, bind, *args, **kwargs)  # type: ignore[arg-type]
        if len(calls) == 1:  # another worker created it between the check and our CREATE TABLE
            raise OperationalError("CREATE TABLE slack_deliveries", {}, Exception("table slack_deliveries already exists"))

    monkeypatch.setattr(MetaData, "create_all", racing)
    ledger = DeliveryLedger(engine)
    assert len(calls) == 2 and ledger.claim("evt-1") and not ledger.claim("evt-1")
