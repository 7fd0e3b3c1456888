"""Follow-ups become standalone queries: the heuristic without an LLM, the LLM (over HTTP) with one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.answer.condense import HeuristicCondenser, LLMCondenser, is_follow_up
from assistant.core.settings import Settings
from assistant.embed.embedder import Embedder
from assistant.llm.client import create_llm_client
from assistant.service.pipeline import Pipeline
from testing.fake_llm import FakeLLMServer, Reply
from tests.test_llm import llm_pipeline

BANK = "银行项目的排他条款是怎么来的？"
HISTORY = [{"role": "user", "content": BANK}, {"role": "assistant", "content": "客户在合同中加入三年排他条款。[1]"}]


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


@pytest.mark.parametrize(("question", "follow_up"), [
    ("那后来呢？", True), ("第二个项目呢", True), ("他们为什么不签约？", True),
    ("what about the second project?", True), ("And the pricing?", True), ("Why did they walk away?", True),
    ("试用期结束后客户为什么转投大厂？", False), ("How should a pilot's acceptance criteria be written?", False),
])
def test_follow_up_detection(question: str, follow_up: bool) -> None:
    assert is_follow_up(question) is follow_up


def test_heuristic_prefixes_previous_questions() -> None:
    condenser = HeuristicCondenser()
    assert condenser.condense("那后来呢？", HISTORY).question == f"{BANK} 那后来呢？"
    assert condenser.condense("那后来呢？", []).method == "none"
    standalone = "试用期结束后客户为什么转投大厂？"
    assert condenser.condense(standalone, HISTORY).question == standalone
    # A follow-up to a follow-up carries both earlier questions.
    chained = [*HISTORY, {"role": "user", "content": "那后来呢？"}, {"role": "assistant", "content": "…"}]
    assert condenser.condense("为什么？", chained).question == f"{BANK} 那后来呢？ 为什么？"
    english = [{"role": "user", "content": "Which projects stalled over exclusivity clauses?"}]
    assert condenser.condense("what about the second project?", english).question.startswith("Which projects")


def test_pipeline_condenses_before_retrieval(real_pipeline: Pipeline) -> None:
    alone = real_pipeline.answer("那后来呢？")
    followed = real_pipeline.answer("那后来呢？", history=HISTORY)
    assert "condensed" not in alone.trace and alone.abstained  # too little to go on by itself
    assert followed.trace["condensed"]["method"] == "heuristic"
    assert followed.trace["condensed"]["question"] == f"{BANK} 那后来呢？"
    assert not followed.abstained
    assert followed.citations[0].hit.chunk.doc_id == "pm-bank-exclusivity"


def test_llm_rewrites_the_follow_up_over_http(server: FakeLLMServer) -> None:
    client = create_llm_client(Settings(llm_base_url=server.openai_url, llm_timeout=2.0))
    assert client is not None
    condenser = LLMCondenser(client)
    server.enqueue("独立问题：银行项目排他条款导致合同停滞之后发生了什么？")
    result = condenser.condense("那后来呢？", HISTORY)
    assert (result.question, result.method) == ("银行项目排他条款导致合同停滞之后发生了什么？", "llm")
    prompt = server.requests[-1]["body"]["messages"][1]["content"]
    assert f"user: {BANK}" in prompt and "<follow_up>那后来呢？</follow_up>" in prompt
    assert condenser.condense("那后来呢？", []).method == "none"  # no history: no call
    assert len(server.requests) == 1


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("reply", "reason"), [
    (Reply(status=500), "HTTP 500"), (Reply("x", delay=5), "timeout"), (Reply(""), "empty output"),
    (Reply("很长" * 400), "unusable rewrite"),
])
def test_llm_failure_falls_back_to_the_heuristic(server: FakeLLMServer, reply: Reply, reason: str) -> None:
    client = create_llm_client(Settings(llm_base_url=server.openai_url, llm_timeout=0.5))
    assert client is not None
    server.enqueue(reply)
    result = LLMCondenser(client).condense("那后来呢？", HISTORY)
    assert result.question == f"{BANK} 那后来呢？"
    assert result.method == f"heuristic (llm failed: {reason})"


def test_llm_pipeline_condenses_with_the_llm(real_settings: Settings, e5_embedder: Embedder,
                                             real_pipeline: Pipeline, server: FakeLLMServer) -> None:
    pipeline = llm_pipeline(real_settings, e5_embedder, real_pipeline, server.openai_url)
    server.enqueue("银行项目排他条款谈判后来怎么样了？")  # the rewrite; the answer quotes passage 1
    answer = pipeline.answer("那后来呢？", history=HISTORY)
    assert answer.trace["condensed"]["method"] == "llm"
    assert answer.answerer == "llm" and answer.citations[0].hit.chunk.doc_id == "pm-bank-exclusivity"
    assert "<question>银行项目排他条款谈判后来怎么样了？</question>" in server.requests[-1]["body"]["messages"][1]["content"]


@pytest.mark.parametrize(("question", "previous", "standalone"), [
    ("那排他条款呢？", "设备维修知识助手为什么被竞品拿走了？", "排他条款为什么？"),
    ("还有银行项目的情况呢？", "零售项目怎么避免延期？", "银行项目怎么？"),
    ("What about the pricing?", "Why did the bank deal stall?", "Why the pricing?"),
    ("那后来呢？", BANK, None),  # continues the story: no new topic
    ("第二个项目呢", "哪些项目没成单？", None),  # points back
    ("那为什么呢？", BANK, None),  # asks its own question
    ("And then?", "Why did the bank deal stall?", None),
    ("那排他条款呢？", "排他条款为什么让合同停滞？", None),  # not a new topic
])
def test_a_follow_up_naming_a_new_topic_asks_the_previous_question_of_it(
    question: str, previous: str, standalone: str | None,
) -> None:
    history = [{"role": "user", "content": previous}, {"role": "assistant", "content": "……"}]
    condensed = HeuristicCondenser().condense(question, history).question
    assert condensed == (standalone or f"{previous} {question}")
