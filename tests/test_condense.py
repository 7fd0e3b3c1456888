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


def _condense(*turns: str) -> str:
    """The heuristic's reading of the last turn after the earlier user turns."""
    history = [t for q in turns[:-1] for t in ({"role": "user", "content": q}, {"role": "assistant", "content": "……"})]
    return HeuristicCondenser().condense(turns[-1], history).question


@pytest.mark.parametrize(("question", "previous", "standalone"), [
    ("那排他条款呢？", "设备维修知识助手为什么被竞品拿走了？", "排他条款为什么被竞品拿走了？"),
    ("What about the pricing?", "Why did the bank deal stall?", "Why the pricing?"),
    ("那后来呢？", BANK, None),  # continues the story: no new topic
    ("第二个项目呢", "哪些项目没成单？", None),  # points back
    ("那为什么呢？", BANK, None),  # asks its own question
    ("And then?", "Why did the bank deal stall?", None),
    ("那排他条款呢？", "排他条款为什么让合同停滞？", None),  # not a new topic
    ("那如果客户不配合呢？", "零售项目怎么避免延期？", None),  # a condition, not a noun phrase
])
def test_a_follow_up_naming_a_new_topic_asks_the_previous_question_of_it(
    question: str, previous: str, standalone: str | None,
) -> None:
    assert _condense(previous, question) == (standalone or f"{previous} {question}")


# Ellipsis resolution by substitution (round 6b). Each case was read otherwise before: the topic
# with only the previous question word ("银行项目怎么？"), or the previous question prefixed.

def test_a_new_topic_replaces_the_subject_and_keeps_the_predicate() -> None:
    assert _condense("零售项目怎么避免延期？", "还有银行项目的情况呢？") == "银行项目怎么避免延期？"
    assert _condense("私有化部署的成本怎么估算？", "换成SaaS部署呢？") == "SaaS部署的成本怎么估算？"
    assert _condense("如何写验收标准？", "那试点合同呢？") == "试点合同如何写验收标准？"  # no subject: the topic fills it
    assert _condense("零售 POC 为什么延期了？", "那银行试点呢？") == "银行试点为什么延期了？"  # no space left behind


def test_a_new_topic_replaces_the_noun_phrase_with_its_head_word() -> None:
    assert _condense("制造行业的质检项目怎么做验收？", "那物流行业呢？") == "物流行业的质检项目怎么做验收？"
    assert _condense("怎么避免零售项目延期？", "那银行项目呢？") == "怎么避免银行项目延期？"  # an object, not the verb


def test_a_new_topic_in_traditional_script() -> None:
    assert _condense("金融客戶的項目怎麼做合規審查？", "那醫療客戶呢？") == "醫療客戶的項目怎麼做合規審查？"


def test_an_english_new_topic_replaces_the_same_head_or_the_last_prepositional_object() -> None:
    assert (_condense("Why do bank customers hesitate to sign long contracts?", "And retail customers?")
            == "Why do retail customers hesitate to sign long contracts?")
    assert _condense("How should we price a pilot for a hospital?", "What about a school?") == \
        "How should we price a pilot for a school?"


def test_a_predicate_only_follow_up_takes_the_previous_subject() -> None:
    assert _condense("零售项目怎么避免延期？", "为什么会延期？") == "零售项目为什么会延期？"
    assert _condense("零售项目为什么会延期？", "那后来呢？", "具体怎么补救的？") == "零售项目具体怎么补救的？"


def test_a_question_word_and_a_verb_ask_about_the_previous_question_stated() -> None:
    assert _condense("客户为什么不续约？", "怎么避免？") == "客户不续约怎么避免？"


def test_a_pronoun_is_replaced_by_the_previous_subject() -> None:
    assert _condense("门店补货助手项目遇到了什么问题？", "它最后交付了吗？") == "门店补货助手项目最后交付了吗？"
    assert _condense("设备维修助手项目为什么丢单？", "这个项目的客户是谁？") == "设备维修助手项目的客户是谁？"
    assert _condense("What went wrong in the retail project?", "How long was it delayed?") == \
        "How long was the retail project delayed?"


def test_a_bare_why_re_asks_the_previous_english_question() -> None:
    assert _condense("Should the pilot contract fix the scope?", "Why?") == "Why should the pilot contract fix the scope?"
    assert _condense("How did the pilot fail?", "Why?") == "Why did the pilot fail?"


def test_a_chain_is_resolved_turn_by_turn() -> None:
    assert _condense("零售项目怎么避免延期？", "那银行项目呢？", "为什么会延期？") == "银行项目为什么会延期？"
    assert _condense("零售项目怎么避免延期？", "那银行项目呢？", "那保险项目呢？") == "保险项目怎么避免延期？"


def test_a_short_follow_up_with_its_own_subject_asks_about_the_previous_topic() -> None:
    # Round 7: prefixed, the previous question's words (上线时间, 什么时候) outvoted the new ask.
    assert _condense("信贷审核项目的上线时间是什么时候？", "团队有多少人？") == "信贷审核项目的团队有多少人？"
    assert _condense("零售试点为什么延期？", "客户是谁？") == "零售试点的客户是谁？"
    assert _condense("门店补货 POC 为什么延期了？", "POC 是什么？") == "门店补货 POC 为什么延期了？ POC 是什么？"  # names the topic


def test_what_cannot_be_substituted_is_still_prefixed() -> None:
    assert _condense(BANK, "他们为什么不签约？") == f"{BANK} 他们为什么不签约？"  # people, not the subject
    assert _condense(BANK, "为什么？") == f"{BANK} 为什么？"  # no predicate of its own
    assert _condense("Why did the bank deal stall?", "那价格呢？") == "Why did the bank deal stall? 那价格呢？"  # other language
