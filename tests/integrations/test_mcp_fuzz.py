"""Fuzzing the MCP tools (hypothesis, in-process SDK client): bad input is a reasoned error, never a crash."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from assistant.service.pipeline import Pipeline
from assistant.surfaces.mcp_server import build_mcp_server

CRASH = "Error executing tool {}"  # the SDK's text when a tool raised something unexpected
FUZZ = settings(max_examples=30, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=30))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=10), inner, max_size=3), max_leaves=6)
PARAMETERS = {"search": ["query", "k", "filters"], "ask": ["question", "filters"],
              "get_document": ["doc_id"], "list_documents": ["filters"]}


def arguments(tool: str) -> st.SearchStrategy[dict[str, Any]]:
    """The tool's own parameter names (plus a stray one) with plausible or absurd values."""
    plausible = st.one_of(st.text(min_size=1, max_size=30), st.integers(-5, 80), values)
    return st.dictionaries(st.sampled_from([*PARAMETERS[tool], "stray"]), plausible, max_size=3)
filters = st.dictionaries(st.sampled_from(["doc_type", "tags", "doc_id", "industry", "color"]),
                          st.one_of(st.text(max_size=12), st.lists(st.text(max_size=8), max_size=2)), max_size=2)


@pytest.mark.parametrize("tool", ["search", "ask", "get_document", "list_documents"])
def test_random_tool_arguments_never_crash_a_tool(real_pipeline: Pipeline, tool: str) -> None:
    server = build_mcp_server(lambda: real_pipeline)
    sent: list[dict[str, Any]] = []

    @FUZZ
    @given(args=arguments(tool))
    def check(args: dict[str, Any]) -> None:
        sent.append(args)
        _check(server, tool, args)

    check()
    assert len(sent) == FUZZ.max_examples  # the fuzzer really ran


def test_random_filters_are_applied_or_refused_with_a_reason(real_pipeline: Pipeline) -> None:
    server = build_mcp_server(lambda: real_pipeline)

    @FUZZ
    @given(query=st.text(min_size=1, max_size=20), chosen=filters)
    def check(query: str, chosen: dict[str, Any]) -> None:
        _check(server, "search", {"query": query, "k": 3, "filters": chosen})

    check()


def _check(server: Any, tool: str, args: dict[str, Any]) -> None:
    async def call() -> Any:
        async with Client(server) as client:
            return await client.call_tool(tool, args)

    result = asyncio.run(call())
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        assert text.strip() and text.strip() != CRASH.format(tool), (tool, args, text)
    else:
        assert result.structured_content is not None, (tool, args)
