"""`hindsight questions`: the configured LLM drafts corpus/questions/ for documents without them,
over real HTTP (the scripted OpenAI-compatible server); only well-formed lines whose quote the
document holds are kept."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from assistant.core.settings import Settings
from assistant.llm.client import create_llm_client
from assistant.store.build_store import load_index
from hindsight.cli import main
from ingest.build import run_ingest
from ingest.draft_questions import draft_corpus, passages
from testing.fake_llm import FakeLLMServer, Reply
from testing.fakes import HashEmbedder

GOOD = {"question": "客户数字化底子差还能做吗？", "quote": "很多客户的数据还停留在纸质单据和 Excel 表格里。", "lang": "zh-Hans"}
REPLY = "\n".join([
    "Here are the questions:",
    "```json",
    json.dumps(GOOD, ensure_ascii=False),
    json.dumps({"question": "What did the model invent?", "quote": "这句话不在文中", "lang": "en"}, ensure_ascii=False),
    json.dumps({"question": "Quoi ?", "quote": "试用期结束后", "lang": "fr"}, ensure_ascii=False),
    "```",
])


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        yield fake


def configured(settings: Settings, server: FakeLLMServer) -> Settings:
    return settings.model_copy(update={"llm_base_url": server.openai_url, "llm_timeout": 2.0})


def test_kept_lines_are_the_well_formed_ones_whose_quote_the_document_holds(
    fake_settings: Settings, server: FakeLLMServer,
) -> None:
    settings = configured(fake_settings, server)
    server.enqueue(*[REPLY] * len(passages(_body(settings))))
    client = create_llm_client(settings)
    assert client is not None
    (result,) = draft_corpus(settings.corpus_dir, client, ["trial-conversion"])
    assert (result.kept, result.dropped, result.error) == (1, 2, None)
    path = settings.corpus_dir / "questions" / "trial-conversion.jsonl"
    assert [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] == [GOOD]
    sent = server.requests[0]["body"]["messages"]
    assert "试用期转化的三个教训" in sent[-1]["content"]  # the document's title and passage were asked about
    # the next ingest attaches it; a second run leaves the existing file alone
    run_ingest(settings, HashEmbedder, progress=False)
    assert [q.question for q in load_index(settings.index_dir).questions] == [GOOD["question"]]
    assert draft_corpus(settings.corpus_dir, client, ["trial-conversion"]) == []


def test_an_unreachable_llm_writes_nothing_and_says_why(fake_settings: Settings, server: FakeLLMServer) -> None:
    settings = configured(fake_settings, server)
    server.enqueue(Reply(status=500, raw="boom"))
    client = create_llm_client(settings)
    assert client is not None
    (result,) = draft_corpus(settings.corpus_dir, client, ["trial-conversion"])
    assert result.error is not None and "500" in result.error and result.path is None
    assert not (settings.corpus_dir / "questions" / "trial-conversion.jsonl").exists()


def test_without_an_llm_the_command_says_what_to_configure(fake_settings: Settings, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HINDSIGHT_LLM_BASE_URL", raising=False)
    assert main(["questions", "--corpus", str(fake_settings.corpus_dir)]) == 2
    assert "HINDSIGHT_LLM_BASE_URL" in capsys.readouterr().err


def test_passages_join_paragraphs_up_to_the_size() -> None:
    text = "一" * 300 + "\n\n" + "二" * 200 + "\n\n" + "三" * 400 + "\n\n\n" + "四" * 900
    assert [len(p) for p in passages(text)] == [502, 400, 900]


def _body(settings: Settings) -> str:
    text = (settings.corpus_dir / "articles" / "trial-conversion.md").read_text(encoding="utf-8")
    return text.split("---", 2)[2]


def test_the_command_drafts_and_reports_per_document(fake_settings: Settings, server: FakeLLMServer,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HINDSIGHT_LLM_BASE_URL", server.openai_url)
    server.enqueue(*[REPLY] * len(passages(_body(fake_settings))))
    assert main(["questions", "--corpus", str(fake_settings.corpus_dir), "--doc", "trial-conversion", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["doc_id"] == "trial-conversion" and row["kept"] == 1 and row["dropped"] == 2
    assert main(["questions", "--corpus", str(fake_settings.corpus_dir), "--doc", "trial-conversion"]) == 0
    assert "every document has its questions file" in capsys.readouterr().out
