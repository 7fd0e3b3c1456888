"""Round-7 integrations trial (docs/trial-integrations-round7.md): a real `hindsight serve`, real clients.

`python -m bench.trial_integrations OUT.md [openai] [mcp] [slack] [api]` from the repository root,
over its index/: the `openai` SDK against /v1, the `mcp` SDK over streamable HTTP, signed Slack
events against a fake Slack Web API, and /api with httpx. Every reply is written to OUT.md for
scoring by hand; nothing is asserted here (the tests in tests/ guard the fixes).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from testing.fake_slack import SECRET, TOKEN, FakeSlack, mention_envelope, slack_signature_headers
from testing.live_server import ServeReplica

ROOT = Path.cwd()
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("trial-integrations.md")
KEY = "trial-key-0123456789abcdef"
records: list[str] = []
RUBRIC = """Score each reply 1–5, "would a user of this integration be satisfied?":
5 what that client's user expects (lead first, clean in that client, followable citations, right
language, nothing internal; errors: right status and a clear reason); 4 a blemish a user shrugs at;
3 a visible defect (cryptic error, sources hard to follow); 2 substantially wrong for that user
(markup or internals leaking, wrong status class, follow-up ignored); 1 broken (crash, 5xx, no reply)."""


def rec(ident: str, what: str, out: Any) -> None:
    text = out if isinstance(out, str) else json.dumps(out, ensure_ascii=False, indent=1, default=str)
    records.append(f"## {ident} — {what}\n\n```\n{text[:3500]}\n```\n")
    print(f"== {ident} {what}\n{text[:1500]}\n", flush=True)


def oai_err(exc: Exception) -> dict[str, Any]:
    return {"exception": type(exc).__name__, "status": getattr(exc, "status_code", None),
            "body": getattr(exc, "body", None), "message": str(exc)[:400]}


def openai_part(base: str) -> None:
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=KEY, max_retries=0, timeout=120)
    q = "试用期结束后客户为什么转投大厂？"
    r = client.chat.completions.create(model="hindsight", messages=[{"role": "user", "content": q}])
    rec("O1", f"openai non-stream: {q}", r.choices[0].message.content)
    # O2 streaming: what a chat UI shows, piece by piece, plus chunk shapes
    t0 = time.monotonic()
    chunks = list(client.chat.completions.create(model="hindsight", stream=True,
                                                 messages=[{"role": "user", "content": q}]))
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    rec("O2", "openai stream (same question)", {
        "n_chunks": len(chunks), "n_text_pieces": len([p for p in pieces if p]),
        "first_chunk": chunks[0].model_dump(exclude_none=True) if chunks else None,
        "last_chunk_keys": sorted((chunks[-1].model_extra or {}).keys()) if chunks else None,
        "finish": [c.choices[0].finish_reason for c in chunks if c.choices][-1:],
        "usage": [c.usage for c in chunks][-1:], "seconds": round(time.monotonic() - t0, 2),
        "joined_equals_nonstream": "".join(pieces) == r.choices[0].message.content,
        "text": "".join(pieces)})
    # O3 multi-turn follow-up, as a chat UI resends it
    q1 = "排他条款是怎么导致合同停滞的？"
    a1 = client.chat.completions.create(model="hindsight", messages=[{"role": "user", "content": q1}])
    msgs = [{"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": q1},
            {"role": "assistant", "content": a1.choices[0].message.content},
            {"role": "user", "content": "那银行项目呢？"}]
    a2 = client.chat.completions.create(model="hindsight", messages=msgs)
    rec("O3", f"openai multi-turn: {q1} → 那银行项目呢？", {
        "turn1": a1.choices[0].message.content, "turn2": a2.choices[0].message.content,
        "turn2_trace_keys": sorted((a2.model_extra or {}).get("hindsight", {}).keys())})
    # O3b same follow-up streamed (Open WebUI streams by default)
    st = list(client.chat.completions.create(model="hindsight", stream=True, messages=msgs))
    rec("O3b", "openai multi-turn follow-up, streamed", "".join(
        (c.choices[0].delta.content or "") for c in st if c.choices))
    qe = "Why do enterprise customers walk away after a free trial?"
    r = client.chat.completions.create(model="hindsight", messages=[{"role": "user", "content": qe}])
    rec("O4", f"openai English: {qe}", r.choices[0].message.content)
    qo = "红烧肉怎么做？"
    r = client.chat.completions.create(model="hindsight", messages=[{"role": "user", "content": qo}])
    rec("O5", f"openai out of scope: {qo}", {"content": r.choices[0].message.content,
                                            "hindsight": (r.model_extra or {}).get("hindsight")})
    qo2 = "What is the capital of France?"
    r = client.chat.completions.create(model="hindsight", messages=[{"role": "user", "content": qo2}])
    rec("O5b", f"openai out of scope English: {qo2}", r.choices[0].message.content)
    for ident, what, kwargs in [
        ("O6", "openai empty messages list", {"model": "hindsight", "messages": []}),
        ("O7", "openai unknown model gpt-4o", {"model": "gpt-4o", "messages": [{"role": "user", "content": q}]}),
        ("O8", "openai over-long question (30,000 chars)",
         {"model": "hindsight", "messages": [{"role": "user", "content": "试用期" * 10000}]}),
        ("O8b", "openai question just over the configured limit (2,001 chars)",
         {"model": "hindsight", "messages": [{"role": "user", "content": "试" * 2001}]}),
        ("O9", "openai last message from assistant",
         {"model": "hindsight", "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": "x"}]}),
        ("O10", "openai image part",
         {"model": "hindsight", "messages": [{"role": "user", "content": [
             {"type": "image_url", "image_url": {"url": "http://x/y.png"}}]}]}),
    ]:
        try:
            r = client.chat.completions.create(**kwargs)
            rec(ident, what, {"UNEXPECTED_OK": r.choices[0].message.content[:300]})
        except openai.APIError as exc:
            rec(ident, what, oai_err(exc))
    try:
        st = list(client.chat.completions.create(model="nope", stream=True,
                                                 messages=[{"role": "user", "content": q}]))
        rec("O7b", "openai stream unknown model", {"UNEXPECTED_OK": len(st)})
    except openai.APIError as exc:
        rec("O7b", "openai stream unknown model", oai_err(exc))
    try:
        r = client.chat.completions.create(model="hindsight", messages=[{"role": "user", "content": q}],
                                           stream_options={"include_usage": True}, stream=True)
        chunks = list(r)
        rec("O11", "openai stream with stream_options.include_usage (LibreChat/Open WebUI send it)",
            {"n": len(chunks), "last": chunks[-1].model_dump(exclude_none=True) if chunks else None,
             "usage_seen": any(c.usage for c in chunks)})
    except openai.APIError as exc:
        rec("O11", "openai stream with include_usage", oai_err(exc))
    # O13: what Open WebUI sends after the first exchange when its task model is this model
    title_prompt = (
        "### Task:\nGenerate a concise, 3-5 word title with an emoji summarizing the chat history.\n"
        "### Guidelines:\n- The title should clearly represent the main theme or subject of the conversation.\n"
        "- Use emojis that enhance understanding of the topic, but avoid quotation marks or special formatting.\n"
        "- Write the title in the chat's primary language; default to English if multilingual.\n"
        "- Prioritize accuracy over excessive creativity; keep it clear and simple.\n"
        "### Output:\nJSON format: { \"title\": \"your concise title here\" }\n"
        "### Examples:\n- { \"title\": \"📉 Stock Market Trends\" },\n- { \"title\": \"🍪 Perfect Chocolate Chip Recipe\" }\n"
        "### Chat History:\n<chat_history>\nUSER: " + q1 + "\nASSISTANT: " + a1.choices[0].message.content[:300]
        + "\n</chat_history>")
    try:
        r = client.chat.completions.create(model="hindsight", messages=[{"role": "user", "content": title_prompt}])
        rec("O13", f"Open WebUI title-generation task ({len(title_prompt)} chars)", r.choices[0].message.content)
    except openai.APIError as exc:
        rec("O13", f"Open WebUI title-generation task ({len(title_prompt)} chars)", oai_err(exc))
    # traditional Chinese question
    qt = "試用期結束後客戶為什麼轉投大廠？"
    r = client.chat.completions.create(model="hindsight", messages=[{"role": "user", "content": qt}])
    rec("O12", f"openai traditional Chinese: {qt}", r.choices[0].message.content)


async def mcp_part(base: str) -> None:
    async with (httpx2.AsyncClient(headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as http,
                Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client):
        tools = (await client.list_tools()).tools
        rec("M1", "mcp list_tools", [{"name": t.name, "description": t.description,
                                      "input": list((t.input_schema or {}).get("properties", {}))}
                                     for t in tools])
        r = await client.call_tool("search", {"query": "排他条款", "k": 3})
        rec("M2", "mcp search 排他条款 k=3", {"is_error": r.is_error,
                                             "text": [getattr(b, "text", "")[:800] for b in r.content],
                                             "structured_passages": [
                                                 {k: p[k] for k in ("rank", "doc_id", "title", "url", "score")}
                                                 for p in (r.structured_content or {}).get("passages", [])]})
        r = await client.call_tool("ask", {"question": "试用期客户不断加需求怎么办？"})
        sc = r.structured_content or {}
        rec("M3", "mcp ask 试用期客户不断加需求怎么办？", {"is_error": r.is_error,
                                                     "content_text": [getattr(b, "text", "")[:1500] for b in r.content],
                                                     "structured.text": sc.get("text")})
        r = await client.call_tool("ask", {"question": "What did we learn about scope creep?"})
        rec("M3b", "mcp ask English", (r.structured_content or {}).get("text"))
        r = await client.call_tool("ask", {"question": "红烧肉怎么做？"})
        rec("M3c", "mcp ask out of scope", {"is_error": r.is_error, "sc": r.structured_content})
        for ident, tool, args in [("M4", "search", {"query": "排他条款", "k": 0}),
                                  ("M4b", "ask", {"question": "排他条款", "filters": {"color": "red"}}),
                                  ("M4c", "search", {"query": 123}),
                                  ("M5", "get_document", {"doc_id": "no-such-doc"}),
                                  ("M5b", "ask", {"question": "排他条款", "filters": {"doc_type": "nonexistent"}})]:
            try:
                r = await client.call_tool(tool, args)
                rec(ident, f"mcp {tool} {json.dumps(args, ensure_ascii=False)}", {
                    "is_error": r.is_error, "text": [getattr(b, "text", "")[:600] for b in r.content]})
            except Exception as exc:  # noqa: BLE001
                rec(ident, f"mcp {tool} {args}", {"exception": repr(exc)[:600]})


def slack_part(base: str, slack: FakeSlack) -> None:
    def post(envelope: dict[str, Any], secret: str = SECRET, **headers: str) -> httpx.Response:
        body = json.dumps(envelope).encode()
        return httpx.post(f"{base}/slack/events", content=body, timeout=30, headers={
            "Content-Type": "application/json", **slack_signature_headers(secret, body), **headers})

    def wait_posts(n: int) -> list[Any]:
        return slack.wait_for("chat.postMessage", n, timeout=120)

    ts = f"{int(time.time())}.000100"
    env1 = mention_envelope("排他条款是怎么导致合同停滞的？", ts=ts, event_id="EvT1")
    r = post(env1)
    [p1] = wait_posts(1)
    rec("S1", "slack mention in channel (signed, real HTTP)", {"ack": [r.status_code, r.json()],
                                                               "posted": p1.body})
    env2 = mention_envelope("那银行项目呢？", ts=f"{int(time.time())}.000200", event_id="EvT2", thread_ts=ts)
    r = post(env2)
    p2 = wait_posts(2)[1]
    rec("S2", "slack thread follow-up 那银行项目呢？", {"ack": [r.status_code, r.json()],
                                                      "text": p2.body.get("text"),
                                                      "blocks": p2.body.get("blocks")})
    r = post(env1, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    time.sleep(3)
    rec("S3", "slack retry of the same event", {"ack": [r.status_code, r.json()],
                                               "posts_total": len(slack.calls("chat.postMessage"))})
    r = post(env1, secret="wrong-secret-xxxxxxxxxxxxxxxxxxxxx")
    rec("S4", "slack bad signature", [r.status_code, r.text])
    env5 = mention_envelope("Why do enterprise customers walk away after a free trial?",
                            ts=f"{int(time.time())}.000300", event_id="EvT5")
    post(env5)
    p5 = wait_posts(3)[2]
    rec("S5", "slack English mention", {"text": p5.body.get("text"), "blocks": p5.body.get("blocks")})
    env6 = mention_envelope("红烧肉怎么做？", ts=f"{int(time.time())}.000400", event_id="EvT6")
    post(env6)
    p6 = wait_posts(4)[3]
    rec("S6", "slack out of scope", {"text": p6.body.get("text"), "blocks": p6.body.get("blocks")})
    env7 = mention_envelope("试用期客户不断加需求怎么办？", ts=f"{int(time.time())}.000500", event_id="EvT7",
                            type="message", channel_type="im", channel="D1")
    env7["event"]["text"] = "试用期客户不断加需求怎么办？"
    r = post(env7)
    p7 = wait_posts(5)[4]
    rec("S7", "slack DM (message.im)", {"ack": [r.status_code, r.json()], "channel": p7.body.get("channel"),
                                        "thread_ts": p7.body.get("thread_ts"), "text": p7.body.get("text"),
                                        "sources": [b["elements"][0]["text"] for b in p7.body.get("blocks", [])
                                                    if b["type"] == "context"]})


def api_part(base: str) -> None:
    h = {"Authorization": f"Bearer {KEY}"}

    def call(ident: str, what: str, path: str, body: Any) -> None:
        if isinstance(body, bytes):
            r = httpx.post(f"{base}{path}", timeout=120, content=body,
                           headers={**h, "Content-Type": "application/json"})
        else:
            r = httpx.post(f"{base}{path}", headers=h, timeout=120, json=body)
        try:
            out: Any = r.json()
        except ValueError:
            out = r.text
        if isinstance(out, dict) and "answer" in out:
            out = {k: out[k] for k in ("answer", "abstained") if k in out} | {
                "citations": [{k: c.get(k) for k in ("n", "title", "url", "section")} for c in out["citations"]],
                "trace_keys": sorted(out.get("trace", {}))}
        rec(ident, what, {"status": r.status_code, "body": out})

    call("A1", "/api/chat 试用期客户不断加需求怎么办？", "/api/chat", {"question": "试用期客户不断加需求怎么办？"})
    call("A2", "/api/chat question too long (5,000 chars)", "/api/chat", {"question": "试" * 5000})
    call("A3", "/api/chat wrong types (question: 123, filters: 'x')", "/api/chat", {"question": 123, "filters": "x"})
    call("A3b", "/api/search k as string 'five'", "/api/search", {"question": "排他条款", "k": "five"})
    call("A4", "/api/search filters match nothing", "/api/search",
         {"question": "排他条款", "filters": {"industry": "aerospace"}})
    call("A5", "/api/chat filters match nothing", "/api/chat",
         {"question": "排他条款是怎么来的？", "filters": {"doc_type": "nonexistent"}})
    call("A6", "/api/chat malformed JSON", "/api/chat", b'{"question": ')
    with httpx.stream("POST", f"{base}/api/chat/stream", headers=h, timeout=120,
                      json={"question": "排他条款是怎么来的？"}) as resp:
        raw = "".join(resp.iter_text())
    events = [line.split(": ", 1)[1] for line in raw.splitlines() if line.startswith("event: ")]
    rec("A8", "/api/chat/stream (SSE, as curl -N shows it)", {"status": resp.status_code,
                                                              "content_type": resp.headers.get("content-type"),
                                                              "events": events, "head": raw[:600]})
    call("A7", "/api/chat unknown filter field", "/api/chat", {"question": "排他条款", "filters": {"color": "red"}})


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hindsight-trial-"))
    with FakeSlack() as slack:
        env = {"HINDSIGHT_CORPUS_DIR": str(ROOT / "corpus"), "HINDSIGHT_INDEX_DIR": str(ROOT / "index"),
               "HINDSIGHT_DATA_DIR": str(work / "data"), "HINDSIGHT_API_KEYS": KEY,
               "HINDSIGHT_SLACK_SIGNING_SECRET": SECRET, "HINDSIGHT_SLACK_BOT_TOKEN": TOKEN,
               "HINDSIGHT_SLACK_API_BASE_URL": slack.api_url, "HINDSIGHT_PUBLIC_BASE_URL": "https://hindsight.example.com",
               "PYTHONPATH": str(ROOT)}
        server = ServeReplica(env, work)
        server.start()
        try:
            parts = sys.argv[2:] or ["openai", "mcp", "slack", "api"]
            if "openai" in parts:
                openai_part(server.url)
            if "mcp" in parts:
                asyncio.run(mcp_part(server.url))
            if "slack" in parts:
                slack_part(server.url, slack)
            if "api" in parts:
                api_part(server.url)
        finally:
            server.stop()
            shutil.rmtree(work, ignore_errors=True)
            OUT.write_text(f"# integrations trial\n\n{RUBRIC}\n\n" + "\n".join(records))


if __name__ == "__main__":
    main()
