"""The OpenAI-compatible API, driven by the official `openai` client against a live server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai
import pytest
from markdown_it import MarkdownIt

from assistant.core.settings import Settings
from testing.fake_llm import FakeLLMServer, Reply
from testing.live_server import LiveServer, ServeReplica
from tests.integrations.conftest import API_KEY, server_env

Q = "试用期结束后客户为什么转投大厂？"
OFF_TOPIC = "红烧肉怎么做？"


@pytest.fixture(scope="module")
def client(live: LiveServer, auth: dict[str, str]) -> Iterator[openai.OpenAI]:
    key = auth["Authorization"].removeprefix("Bearer ")
    with openai.OpenAI(base_url=f"{live.url}/v1", api_key=key, max_retries=0, timeout=60) as oai:
        yield oai


def ask(client: openai.OpenAI, question: str, **kwargs: Any) -> Any:
    return client.chat.completions.create(
        model=kwargs.pop("model", "hindsight"), messages=[{"role": "user", "content": question}], **kwargs
    )


def answer_part(content: str) -> str:
    return re.split(r"\n\n(?:来源：|來源：|Sources:)\n", content)[0]


BANK_Q = "银行项目的排他条款是怎么来的？"  # cites the postmortem, which has no public URL
SOURCE_LINK = re.compile(r"https?://[^\s]+/sources/pm-bank-exclusivity\?start=\d+&end=\d+")


def test_models_lists_the_extractive_and_the_configured_llm_model(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["hindsight", "hindsight-llm"]


def test_completion_carries_citations_in_text_and_extension(client: openai.OpenAI) -> None:
    completion = ask(client, Q)
    content = completion.choices[0].message.content
    extension = completion.model_extra["hindsight"]
    citations = extension["citations"]
    assert completion.object == "chat.completion" and completion.choices[0].finish_reason == "stop"
    assert not extension["abstained"] and extension["answerer"] == "extractive" and citations
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer_part(content))}
    assert markers and markers <= {c["n"] for c in citations}
    assert "大厂" in answer_part(content)
    sources = content.split("\n\n来源：\n", 1)[1]
    for c in citations:
        assert f"[{c['n']}] {c['title']}" in sources and (c["url"] or c["doc_id"]) in sources
        assert c["snippet"] and c["doc_id"] and c["text"]


def test_stream_sends_openai_chunks_that_add_up_to_the_answer(client: openai.OpenAI) -> None:
    plain = ask(client, Q).choices[0].message.content
    chunks = list(ask(client, Q, stream=True))
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    assert len([p for p in pieces if p]) >= 2  # streamed in pieces, not one blob
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(pieces) == plain
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["hindsight"]["citations"]
    assert all(c.id == chunks[0].id for c in chunks)


def test_llm_model_answers_through_the_configured_llm(client: openai.OpenAI, fake_llm: FakeLLMServer) -> None:
    before = len(fake_llm.requests)
    completion = ask(client, Q, model="hindsight-llm")
    extension = completion.model_extra["hindsight"]
    assert extension["answerer"] == "llm" and [c["n"] for c in extension["citations"]] == [1]
    assert completion.choices[0].message.content.startswith(answer_part(completion.choices[0].message.content))
    assert len(fake_llm.requests) > before


def test_llm_failure_falls_back_with_a_visible_notice(client: openai.OpenAI, fake_llm: FakeLLMServer) -> None:
    fake_llm.enqueue(Reply(status=500))
    completion = ask(client, Q, model="hindsight-llm")
    extension = completion.model_extra["hindsight"]
    assert extension["answerer"] == "extractive-fallback" and extension["notice"]
    assert extension["notice"] in completion.choices[0].message.content and extension["citations"]


def test_streamed_llm_claims_that_fail_verification_are_followed_by_the_fallback(
    client: openai.OpenAI, fake_llm: FakeLLMServer,
) -> None:
    fake_llm.enqueue(Reply(chunks=["月球完全是", "由奶酪构成的。[1]"]))
    chunks = list(ask(client, Q, model="hindsight-llm", stream=True))
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    extension = chunks[-1].model_extra["hindsight"]
    assert extension["answerer"] == "extractive-fallback" and extension["citations"]
    streamed, rest = content.split("\n\n", 1)
    assert streamed == "月球完全是由奶酪构成的。[1]"  # already sent; what follows replaces it
    # The fallback opens with its notice, then the quoted answer, then the sources block.
    assert rest.index(extension["notice"]) < rest.index("大厂") < rest.index("来源：")


def test_filters_pass_through_the_extension_field(client: openai.OpenAI) -> None:
    only = "pricing-trad"
    completion = ask(client, "大客户更愿意怎么买？", extra_body={"hindsight": {"filters": {"doc_id": only}}})
    citations = completion.model_extra["hindsight"]["citations"]
    assert citations and {c["doc_id"] for c in citations} == {only}


def test_off_topic_question_is_abstained_on_without_sources(client: openai.OpenAI) -> None:
    completion = ask(client, OFF_TOPIC)
    extension = completion.model_extra["hindsight"]
    assert extension["abstained"] and extension["citations"] == []
    assert completion.choices[0].message.content.startswith("资料中没有")  # the reason names the missing term


def test_earlier_messages_are_the_conversation(client: openai.OpenAI, fake_llm: FakeLLMServer) -> None:
    first = ask(client, "银行项目的排他条款是怎么来的？").choices[0].message.content
    assert "\n\n来源：\n" in first
    fake_llm.enqueue("银行项目排他条款谈判后来怎么样了？")  # the LLM condenser's standalone question
    client.chat.completions.create(model="hindsight-llm", messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "银行项目的排他条款是怎么来的？"},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "那后来呢？"},
    ])
    condense = next(r for r in reversed(fake_llm.requests) if "<follow_up>" in str(r["body"]))
    prompt = condense["body"]["messages"][-1]["content"]
    assert "银行项目的排他条款是怎么来的？" in prompt and answer_part(first)[:20] in prompt
    assert "来源：" not in prompt and "helpful assistant" not in prompt


def test_missing_or_wrong_key_is_refused(live: LiveServer) -> None:
    for key in ("", "wrong-key-0123456789abcdef"):
        with openai.OpenAI(base_url=f"{live.url}/v1", api_key=key or "x", max_retries=0) as anon, \
                pytest.raises(openai.AuthenticationError, match="API key"):
            anon.models.list()


@pytest.mark.parametrize(("messages", "extra", "reason"), [
    ([{"role": "assistant", "content": "hi"}], {}, "last message must have role 'user'"),
    ([{"role": "user", "content": "   "}], {}, "last user message is empty"),
    ([], {}, "messages"),
    ([{"role": "user", "content": "x" * 1001}], {}, "limit is 1000"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]}], {},
     "only text content"),
    ([{"role": "user", "content": Q}], {"n": 2}, "n"),
    ([{"role": "user", "content": Q}], {"extra_body": {"hindsight": {"filters": {"color": "red"}}}}, "color"),
    ([{"role": "robot", "content": Q}], {}, "role"),
])
def test_bad_requests_get_a_400_with_the_reason(client: openai.OpenAI, messages: Any, extra: dict[str, Any],
                                               reason: str) -> None:
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError, match=re.escape(reason)) as caught:
            client.chat.completions.create(model="hindsight", messages=messages, stream=stream, **extra)
        assert caught.value.status_code == 400 and caught.value.body["type"] == "invalid_request_error"


def test_unknown_model_and_conversation_are_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="GET /v1/models") as caught:
        ask(client, Q, model="gpt-4o")
    assert caught.value.code == "model_not_found"
    with pytest.raises(openai.NotFoundError, match="conversation nope not found"):
        ask(client, Q, stream=True, extra_body={"hindsight": {"conversation_id": "nope"}})


def test_raw_bad_bodies_get_openai_shaped_4xx(live: LiveServer, auth: dict[str, str]) -> None:
    url = f"{live.url}/v1/chat/completions"
    broken = httpx.post(url, content=b"{not json", headers={**auth, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"]["message"]
    huge = httpx.post(url, content=b"x" * 2_000_000, headers={**auth, "Content-Type": "application/json"})
    assert huge.status_code == 413
    other = httpx.post(f"{live.url}/api/chat", json={"question": ""}, headers=auth)
    assert other.status_code == 422 and "detail" in other.json()  # /api keeps FastAPI's shape


# ---- round 7 trial fixes -------------------------------------------------------------------
def test_over_long_question_is_a_400_whose_message_is_a_sentence(client: openai.OpenAI) -> None:
    # The message was the Python repr of /api's issue list: "[{'loc': ['body', 'question'], …}]".
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as caught:
            ask(client, "x" * 1001, stream=stream)
        error = caught.value.body
        assert error["message"] == "question is 1001 characters; the limit is 1000"
        assert error["param"] == "messages" and error["code"] == "question_too_long"


def test_sources_block_keeps_its_lines_when_a_chat_ui_renders_markdown(client: openai.OpenAI) -> None:
    # Open WebUI and LibreChat render the content as Markdown, where single newlines are soft
    # breaks: every source's title, quote and link ran together on one line.
    completion = ask(client, Q)
    content = completion.choices[0].message.content
    citations = completion.model_extra["hindsight"]["citations"]
    html = MarkdownIt("commonmark").render(content)
    sources_html = html.split("<p>来源：</p>", 1)[1]
    paragraphs = re.findall(r"<p>(.*?)</p>", sources_html, re.S)
    assert [p.split(" ", 1)[0] for p in paragraphs] == [f"[{c['n']}]" for c in citations]
    for paragraph, c in zip(paragraphs, citations, strict=True):
        label, quote, url = paragraph.split("<br />\n")
        assert label.startswith(f"[{c['n']}] {c['title']}") and quote == f"“{c['snippet']}”" and url == c["url"]
    # As plain text (curl, an SDK) the block reads as before: hard breaks are trailing spaces.
    plain = "\n".join(line.rstrip() for line in content.split("来源：", 1)[1].splitlines())
    assert f"“{citations[0]['snippet']}”\n    {citations[0]['url']}" in plain and "\n\n[1] " in plain


def test_a_source_without_a_public_url_links_to_its_cited_span(client: openai.OpenAI, live: LiveServer,
                                                              auth: dict[str, str]) -> None:
    # A postmortem has no URL: the Sources block showed its bare doc_id, nothing a reader can open.
    completion = ask(client, BANK_Q)
    bank = next(c for c in completion.model_extra["hindsight"]["citations"] if c["doc_id"] == "pm-bank-exclusivity")
    link = SOURCE_LINK.search(completion.choices[0].message.content)
    assert link and link.group().endswith(f"?start={bank['start']}&end={bank['end']}")
    page = httpx.get(live.url + urlsplit(link.group()).path + "?" + urlsplit(link.group()).query, headers=auth)
    assert page.status_code == 200 and 'id="cited"' in page.text


def test_a_traditional_question_gets_a_traditional_sources_heading(client: openai.OpenAI) -> None:
    content = ask(client, "試用期結束後客戶為什麼轉投大廠？").choices[0].message.content
    assert "\n\n來源：\n\n[1] " in content and "来源：" not in content


def test_serve_links_sources_to_the_port_it_serves_on(real_settings: Settings, tmp_path: Path) -> None:
    # `hindsight serve --port N` left the app's settings at port 8000, so source links (and
    # Slack's) pointed at a server that is not there.
    with ServeReplica(server_env(real_settings, str(tmp_path / "data")), tmp_path) as server, \
            openai.OpenAI(base_url=f"{server.url}/v1", api_key=API_KEY, max_retries=0, timeout=60) as oai:
        content = ask(oai, BANK_Q).choices[0].message.content
        link = SOURCE_LINK.search(content)
        assert link and link.group().startswith(f"{server.url}/sources/")
        page = httpx.get(link.group(), headers={"Authorization": f"Bearer {API_KEY}"})
        assert page.status_code == 200 and 'id="cited"' in page.text


@pytest.mark.parametrize("sources", [
    "\n\n来源：\n[1] 标题\n    “摘录”\n    pm-x",  # as clients stored replies before round 7
    "\n\n来源：\n\n[1] 标题  \n    “摘录”  \n    http://h/sources/pm-x?start=0&end=9",
    "\n\n來源：\n\n[1] 標題  \n    “摘錄”  \n    http://h/sources/pm-x?start=0&end=9",
    "\n\nSources:\n\n[1] Title  \n    “quote”  \n    https://example.com/x",
])
def test_history_drops_the_sources_block_in_every_layout(sources: str) -> None:
    from assistant.surfaces.openai_compat import question_and_history
    from assistant.surfaces.openai_models import ChatMessage

    messages = [ChatMessage(role="user", content="问题一"), ChatMessage(role="assistant", content="回答。[1]" + sources),
                ChatMessage(role="user", content="那后来呢？")]
    question, history = question_and_history(messages, max_turns=10)
    assert question == "那后来呢？" and history[-1] == {"role": "assistant", "content": "回答。[1]"}


# Open WebUI's background tasks (its DEFAULT_*_PROMPT_TEMPLATEs) share one structure: a user
# message opening "### Task:", the chat quoted as "USER: …" / "ASSISTANT: …" lines in
# <chat_history>, and the JSON it wants under "### Output". Our own wording, same structure:
# the server must key on the structure, not on Open WebUI's exact text.
def task_prompt(instruction: str, output: str, history: str, extra: str = "") -> str:
    return (f"### Task:\n{instruction}\n### Guidelines:\n- Use the chat's primary language.\n"
            f"### Output:\nJSON format: {output}\n### Chat History:\n<chat_history>\n{history}\n</chat_history>{extra}")


FIRST_ANSWER = "试用期结束后，客户转向了服务更成熟的大厂。[1]\n\n来源：\n\n[1] 试用期转化 › 丢单  \n    https://example.com/x"
CHAT = f"USER: {Q}\nASSISTANT: {FIRST_ANSWER}\nUSER: 那报价呢？\n要看哪些\n因素？"
TASKS = {
    "title": (task_prompt("Give this chat a 3-5 word title.", '{ "title": "the title" }', CHAT),
              {"title": "试用期结束后客户为什么转投大厂"}),
    "tags": (task_prompt("Tag the chat's themes.", '{ "tags": ["tag1", "tag2"] }', CHAT), {"tags": []}),
    "follow_ups": (task_prompt("Suggest follow-up questions.", '{ "follow_ups": ["Question 1?"] }', CHAT),
                   {"follow_ups": []}),
    "queries": (task_prompt("Write search queries for the chat.", '{ "queries": ["query1"] }', CHAT),
                {"queries": ["那报价呢？ 要看哪些 因素？"]}),
    "autocomplete": (task_prompt("Continue the text in <text>.", '{ "text": "<completion>" }', CHAT,
                                 "\n<type>General</type>\n<text>试用期</text>"), {"text": ""}),
    "unknown": (task_prompt("Describe an image for this chat.", '{ "prompt": "description" }', CHAT), {}),
}


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("kind", list(TASKS))
def test_open_webui_tasks_get_json_of_their_shape_without_retrieval(
    client: openai.OpenAI, fake_llm: FakeLLMServer, kind: str, stream: bool,
) -> None:
    # Round 7 trial: the chat title became "资料中没有提到 Generate。", and the prompt (which
    # quotes the chat) was refused as too long or answered from the corpus.
    prompt, expected = TASKS[kind]
    assert len(prompt) > 100  # quotes an answer; the title prompt is what Open WebUI sends first
    before = len(fake_llm.requests)
    if stream:
        chunks = list(ask(client, prompt, model="hindsight-llm", stream=True))
        content = "".join(c.choices[0].delta.content or "" for c in chunks)
        extension, finish = chunks[-1].model_extra["hindsight"], chunks[-1].choices[0].finish_reason
    else:
        completion = ask(client, prompt, model="hindsight-llm")
        content, extension = completion.choices[0].message.content, completion.model_extra["hindsight"]
        finish = completion.choices[0].finish_reason
    assert json.loads(content) == expected and finish == "stop"
    assert extension["answerer"] == "task" and extension["citations"] == [] and not extension["abstained"]
    assert len(fake_llm.requests) == before  # neither the condenser nor the answerer was asked


def test_a_task_prompt_longer_than_a_question_is_still_a_task(client: openai.OpenAI) -> None:
    history = f"USER: Why did the bank deal stall? [2]\nASSISTANT: {'很长的回答。' * 400}"
    prompt = task_prompt("Title the chat.", '{ "title": "…" }', history)
    assert len(prompt) > 2000
    assert json.loads(ask(client, prompt).choices[0].message.content) == {"title": "Why did the bank deal stall"}


def test_tasks_need_no_index(tmp_path: Path) -> None:
    # No retrieval runs for a task: with no index at all, a title still comes back, while a
    # question gets the 503 it always did.
    from hindsight.app import create_app
    from testing.live_server import serve_in_thread
    from tests.conftest import make_settings

    with serve_in_thread(create_app(make_settings(tmp_path, embedder="fake"))) as url:
        def post(content: str) -> httpx.Response:
            return httpx.post(f"{url}/v1/chat/completions", timeout=30, json={
                "model": "hindsight", "messages": [{"role": "user", "content": content}]})

        title = post(TASKS["title"][0])
        assert title.status_code == 200
        assert json.loads(title.json()["choices"][0]["message"]["content"]) == TASKS["title"][1]
        assert post(Q).status_code == 503


def test_an_unknown_filter_value_is_a_400_naming_the_valid_ones(client: openai.OpenAI) -> None:
    # Before round 8: a 200 whose answer was an abstention, with no hint that the filter was the cause.
    with pytest.raises(openai.BadRequestError) as raised:
        ask(client, Q, extra_body={"hindsight": {"filters": {"doc_id": "pricing"}}})
    error = raised.value.body
    assert error["code"] == "unknown_filter_value" and error["param"] == "hindsight.filters"
    assert error["message"].startswith("no document has doc_id='pricing'; valid doc_id values: ")
    assert "pricing-trad" in error["message"]
    with pytest.raises(openai.BadRequestError):  # rejected before the stream starts
        ask(client, Q, stream=True, extra_body={"hindsight": {"filters": {"doc_id": "pricing"}}})
    # Each value exists, together they match nothing: a valid request, answered by an abstention.
    empty = ask(client, Q, extra_body={"hindsight": {"filters": {"doc_type": "postmortem", "doc_id": "pricing-trad"}}})
    assert empty.model_extra["hindsight"]["abstained"] and empty.model_extra["hindsight"]["citations"] == []
